# SPDX-License-Identifier: BSD-3-Clause
"""The Prometheus endpoint (`nfvd: {metrics: ADDR:PORT}`, dataplane/metrics.c).

nfvd forwards from a generating null port through a router to a null sink
(the null frames are not for the router's MAC: they are dropped by reason,
so a labelled VNF drop counter grows). A scrape must be valid exposition
text, agree with `nfvctl stats`, and bad HTTP clients must neither stop it
nor forwarding.
"""
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from test_control import BUILD, NFVD, nfvctl, wait_for

CHAIN = """\
version: 1
nfvd:
  socket: {sock}
  metrics: "127.0.0.1:{port}"
ports:
  - {{name: gen, driver: "null", rx: true}}
  - {{name: sink, driver: "null"}}
vnfs:
  - name: rtr
    class: router
    interfaces:
      - {{name: a, port: gen, addresses: [10.0.1.1/24]}}
      - {{name: b, port: sink, addresses: [10.0.2.1/24]}}
chains:
  - {{name: fwd, ingress: [gen], vnfs: [rtr]}}
"""

pytestmark = pytest.mark.skipif(not os.access(NFVD, os.X_OK), reason="nfvd not built in " + BUILD)

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
                    r'(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)\})? (-?[0-9.eE+]+)$')


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="module")
def nfvd(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("metrics")
    port = free_port()
    sock = str(tmp / "nfvd.sock")
    chain = tmp / "chain.yaml"
    chain.write_text(CHAIN.format(sock=sock, port=port))
    out = open(tmp / "nfvd.out", "w+")
    proc = subprocess.Popen([NFVD, "--file-prefix", "nfvmx", "-l", "0,1", str(chain)],
                            stdout=out, stderr=subprocess.STDOUT)

    def up():
        if proc.poll() is not None:
            out.seek(0)
            raise AssertionError("nfvd exited:\n" + out.read())
        return nfvctl("status", sock=sock).returncode == 0
    wait_for(up, 60, "nfvd to answer")
    yield {"proc": proc, "sock": sock, "url": "http://127.0.0.1:%d" % port, "port": port}
    proc.terminate()
    proc.wait(30)
    out.close()


def scrape(url):
    with urllib.request.urlopen(url + "/metrics", timeout=10) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode()


def parse(text):
    """{(name, labels): value}, checking the exposition format as it goes."""
    types, samples, seen = {}, {}, []
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge"), line
            assert name not in types, "family %s declared twice" % name
            types[name] = kind
            seen.append(name)
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        name = m.group(1)
        assert name == seen[-1], "%s outside its family's block" % name
        assert types[name] != "counter" or name.endswith("_total"), name
        labels = tuple(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        assert (name, labels) not in samples, "duplicate sample %s" % line
        samples[(name, labels)] = float(m.group(4))
    return samples


def stats(sock):
    p = nfvctl("stats", "--json", sock=sock)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_scrape_is_valid_and_agrees_with_nfvctl(nfvd):
    before = stats(nfvd["sock"])
    status, ctype, text = scrape(nfvd["url"])
    after = stats(nfvd["sock"])
    assert status == 200 and ctype.startswith("text/plain; version=0.0.4")
    s = parse(text)

    def between(key, path):
        lo, hi = before, after
        for p in path:
            lo, hi = lo[p], hi[p]
        assert lo <= s[key] <= hi, (key, lo, s[key], hi)
        return s[key]

    assert between(("nfvd_chain_rx_packets_total", (("chain", "fwd"),)),
                   ["chains", "fwd", "rx"]) > 0
    between(("nfvd_port_rx_packets_total", (("port", "gen"),)), ["ports", "gen", "rx"])
    assert between(("nfvd_vnf_drops_total",
                    (("vnf", "rtr"), ("class", "router"), ("reason", "other-host"))),
                   ["vnfs", "rtr", "drops", "other-host"]) > 0
    # every router counter and drop reason is there, zero or not
    for c in before["vnfs"]["rtr"]["counters"]:
        assert ("nfvd_vnf_packets_total", (("vnf", "rtr"), ("class", "router"),
                                           ("counter", c))) in s
    for r in before["vnfs"]["rtr"]["drops"]:
        assert ("nfvd_vnf_drops_total", (("vnf", "rtr"), ("class", "router"),
                                         ("reason", r))) in s
    assert s[("nfvd_vnf_stat", (("vnf", "rtr"), ("class", "router"),
                                ("stat", "routes4")))] == after["vnfs"]["rtr"]["routes4"]
    assert s[("nfvd_port_up", (("port", "sink"),))] == 1
    lcore = str(after["workers"][0]["lcore"])
    assert s[("nfvd_worker_packets_total", (("lcore", lcore),))] > 0
    # counters grow between scrapes
    wait_for(lambda: parse(scrape(nfvd["url"])[2])[
        ("nfvd_chain_rx_packets_total", (("chain", "fwd"),))] >
        s[("nfvd_chain_rx_packets_total", (("chain", "fwd"),))], 10, "counters to grow")


def raw(port, data, read=True):
    c = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        c.sendall(data)
        if not read:
            return c
        out = b""
        while True:
            b = c.recv(65536)
            if not b:
                return out
            out += b
    finally:
        if read:
            c.close()


def test_bad_requests_answered_and_nothing_stops(nfvd):
    port = nfvd["port"]
    assert raw(port, b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 404 ")
    assert raw(port, b"POST /metrics HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 405 ")
    assert raw(port, b"\x00\xff garbage\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    head = raw(port, b"HEAD /metrics HTTP/1.0\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and head.endswith(b"\r\n\r\n")
    # clients that never finish their request, or vanish, do not block others
    silent = [raw(port, b"GET /metr", read=False) for _ in range(3)]
    gone = raw(port, b"GET /metrics HTTP/1.1\r\n\r\n", read=False)
    gone.close()
    before = stats(nfvd["sock"])["chains"]["fwd"]["rx"]
    status, _, text = scrape(nfvd["url"])
    assert status == 200 and "nfvd_chain_rx_packets_total" in text
    for c in silent:
        c.close()
    wait_for(lambda: stats(nfvd["sock"])["chains"]["fwd"]["rx"] > before, 10,
             "forwarding to go on")
    assert nfvd["proc"].poll() is None


def test_bad_metrics_address_refused(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(CHAIN.format(sock=tmp_path / "s.sock", port=99999))
    p = nfvctl("validate", str(bad))
    assert p.returncode == 1
    assert re.search(r"bad\.yaml:4:\d+: .*bad port", p.stdout + p.stderr), p.stdout + p.stderr
    bad.write_text(CHAIN.format(sock=tmp_path / "s.sock", port=9464).replace(
        '"127.0.0.1:9464"', '"localhost"'))
    p = nfvctl("validate", str(bad))
    assert p.returncode == 1 and re.search(r"bad\.yaml:4:\d+: .*IPV4:PORT", p.stdout + p.stderr)
    good = tmp_path / "good.yaml"
    good.write_text(CHAIN.format(sock=tmp_path / "s.sock", port=9464))
    p = subprocess.run([NFVD, "--metrics", "1.2.3:80", str(good)], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 1 and "--metrics: bad metrics address" in p.stderr, p.stderr
