#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write N random IPv4 routes for a router `routes-file:` on stdout.

Prefix lengths follow an Internet-table-like mix (most /24, few short
prefixes), first octets 0, 10, 127, 192 and 224+ left out (the benchmark
and the tests use 10/8 and 192.168.0/24 as connected subnets). Next hops
alternate between VIA addresses.

  bench/router_routes_gen.py N [--seed S] [--via A,B]
"""
import argparse
import random
import sys

MIX = [(24, 58), (23, 10), (22, 12), (21, 6), (20, 5), (19, 3), (18, 2), (17, 1.5),
       (16, 1.5), (15, .3), (14, .3), (13, .2), (12, .1), (11, .05), (10, .03),
       (9, .01), (8, .01)]


def routes(n, seed=7, via=("192.168.0.1", "192.168.0.2")):
    """Yield (network int, length, next hop) for n distinct prefixes."""
    rnd = random.Random(seed)
    lens, weights = [m[0] for m in MIX], [m[1] for m in MIX]
    seen = set()
    k = 0
    draw = iter(())
    while len(seen) < n:
        ln = next(draw, None)
        if ln is None:
            draw = iter(rnd.choices(lens, weights, k=n))
            continue
        a = rnd.getrandbits(32) & (0xffffffff << (32 - ln)) & 0xffffffff
        if (a >> 24) in (0, 10, 127, 192) or a >= 0xe0000000 or (a, ln) in seen:
            continue
        seen.add((a, ln))
        k += 1
        yield a, ln, via[k % len(via)]


def ip(a):
    return "%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--via", default="192.168.0.1,192.168.0.2")
    a = ap.parse_args()
    w = sys.stdout.write
    w("# %d IPv4 routes (bench/router_routes_gen.py %d --seed %d)\n" % (a.n, a.n, a.seed))
    for net, ln, nh in routes(a.n, a.seed, a.via.split(",")):
        w("%s/%d via %s\n" % (ip(net), ln, nh))


if __name__ == "__main__":
    main()
