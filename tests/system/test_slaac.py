# SPDX-License-Identifier: BSD-3-Clause
"""IPv6 router advertisements sent by nfvd's router (`ra:`, RFC 4861
section 6, RDNSS RFC 8106) to Linux hosts with default settings.

    h1 (SLAAC, accept_ra on) --tap a-- rtr --tap b-- h2 (2001:db8:83:2::2/64)
        lan: 2001:db8:83:1::1/64, ra: O flag, RDNSS
        wan: 2001:db8:83:2::1/64, ra: M flag, solicited-unicast, no SLAAC prefix

h1 is a namespace with the kernel's defaults (forwarding 0, accept_ra 1, set
explicitly in case the host's were inherited): it gets an address in
2001:db8:83:1::/64 and a default route via the router's link-local address
from the adverts alone, and pings h2 through the router; scapy sends router
solicitations and reads the answers (all-nodes on lan, unicast to the
solicitor on wan); an apply that removes `ra:`
sends the final advert (router lifetime 0) and h1 drops its default route.
"""
import copy
import json
import os
import re

import nfvlib
from nfvlib import run, wait_for

PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"
LAN_PREFIX, LAN_R = "2001:db8:83:1::", "2001:db8:83:1::1"
WAN_R, H2 = "2001:db8:83:2::1", "2001:db8:83:2::2"
DNS = "2001:db8:83:1::53"
H1_MAC, H2_MAC = "02:83:00:00:00:01", "02:83:00:00:00:02"


def conf(tag):
    return {
        "version": 1,
        "ports": [{"name": "a", "driver": "tap", "iface": tag + "a"},
                  {"name": "b", "driver": "tap", "iface": tag + "b"}],
        "vnfs": [{"name": "rtr", "class": "router", "interfaces": [
            {"name": "lan", "port": "a", "addresses": ["10.83.1.1/24", LAN_R + "/64"],
             "ra": {"other-config": True, "rdnss": [DNS], "max-interval": 60}},
            {"name": "wan", "port": "b", "addresses": [WAN_R + "/64"],
             "ra": {"managed": True, "solicited-unicast": True, "max-interval": 60,
                    "prefixes": [{"prefix": "2001:db8:83:2::/64",
                                  "autonomous": False}]}},
        ]}],
        "chains": [{"name": "from-a", "ingress": ["a"], "vnfs": ["rtr"]},
                   {"name": "from-b", "ingress": ["b"], "vnfs": ["rtr"]}],
    }


def default_host(ns, ifname, mac):
    """Move the tap into ns as a host with the kernel's defaults: not a
    router (forwarding 0), accepting adverts. The tap PMD gives the kernel
    side the port's MAC: the host gets its own (else its link-local is the
    router's and fails DAD)."""
    for k in ("all", "default"):
        run(["sysctl", "-qw", "net.ipv6.conf.%s.forwarding=0" % k,
             "net.ipv6.conf.%s.accept_ra=1" % k], ns=ns)
    wait_for(lambda: os.path.exists("/sys/class/net/" + ifname), 10, "tap " + ifname)
    run(["ip", "link", "set", ifname, "netns", ns])
    run(["sysctl", "-qw", "net.ipv6.conf.%s.forwarding=0" % ifname,
         "net.ipv6.conf.%s.accept_ra=1" % ifname], ns=ns)
    run(["ip", "link", "set", ifname, "address", mac], ns=ns)
    run(["ip", "link", "set", ifname, "up"], ns=ns)


def addrs6(ns, ifname, scope):
    out = json.loads(run(["ip", "-j", "-6", "addr", "show", "dev", ifname], ns=ns).stdout)
    return [a for i in out for a in i.get("addr_info", [])
            if a.get("scope") == scope and not a.get("tentative")]


def slaac_addrs(ns, ifname):
    return [a["local"] for a in addrs6(ns, ifname, "global")
            if a["local"].startswith(LAN_PREFIX[:-1])]


def default_via(ns):
    out = json.loads(run(["ip", "-j", "-6", "route", "show", "default"], ns=ns).stdout)
    return [r.get("gateway") for r in out]


def router_ll(nfvd, ifname):
    mac = next(f["mac"] for f in nfvd.stats()["vnfs"]["rtr"]["interfaces"]
               if f["name"] == ifname)
    b = [int(x, 16) for x in mac.split(":")]
    return "fe80::%x:%x:%x:%x" % (((b[0] ^ 2) << 8) | b[1], (b[2] << 8) | 0xff,
                                  0xfe00 | b[3], (b[4] << 8) | b[5])


def rtr_control(nfvd):
    return nfvd.stats()["vnfs"]["rtr"]["control"]


SOLICIT = """
import json, sys, time
from scapy.all import AsyncSniffer, Ether, IPv6, sendp, conf
from scapy.layers.inet6 import (ICMPv6ND_RA, ICMPv6ND_RS, ICMPv6NDOptPrefixInfo,
                                ICMPv6NDOptRDNSS, ICMPv6NDOptSrcLLAddr)
conf.verb = 0
ifc, ll, mac, dst = sys.argv[1:5]
sn = AsyncSniffer(iface=ifc, lfilter=lambda p: ICMPv6ND_RA in p and p[IPv6].dst == dst)
sn.start()
time.sleep(0.5)  # the sniffer's socket is open
sendp(Ether(src=mac, dst="33:33:00:00:00:02") /
      IPv6(src=ll, dst="ff02::2", hlim=255) / ICMPv6ND_RS() /
      ICMPv6NDOptSrcLLAddr(lladdr=mac), iface=ifc)
end = time.time() + 10  # an answer may wait 3.5 s (MIN_DELAY_BETWEEN_RAS)
while time.time() < end and not sn.results:
    time.sleep(0.05)
res = sn.stop()
if not res:
    print(json.dumps({}))
    sys.exit(0)
p = res[0]
ra, pi = p[ICMPv6ND_RA], p[ICMPv6NDOptPrefixInfo]
out = {"dst": p[IPv6].dst, "src": p[IPv6].src, "hlim": p[IPv6].hlim,
       "eth_dst": p[Ether].dst, "M": ra.M, "O": ra.O, "chlim": ra.chlim,
       "lifetime": ra.routerlifetime, "prefix": pi.prefix, "plen": pi.prefixlen,
       "A": pi.A, "L": pi.L, "valid": pi.validlifetime,
       "preferred": pi.preferredlifetime, "rdnss": [], "rdnss_lifetime": None}
if ICMPv6NDOptRDNSS in p:
    out["rdnss"] = list(p[ICMPv6NDOptRDNSS].dns)
    out["rdnss_lifetime"] = p[ICMPv6NDOptRDNSS].lifetime
print(json.dumps(out))
"""


def solicit(nfvd, ns, ifname, ll=None, mac=None):
    """A router solicitation from ns (scapy), and the first advert to ll
    (unicast answer) or, with ll None, to all-nodes; {} when none came."""
    src = ll or wait_for(lambda: addrs6(ns, ifname, "link"), 20, "link-local")[0]["local"]
    mac = mac or json.loads(run(["ip", "-j", "link", "show", ifname],
                                ns=ns).stdout)[0]["address"]
    path = os.path.join(nfvd.dir, "solicit.py")
    with open(path, "w") as f:
        f.write(SOLICIT)
    p = run([PY, path, ifname, src, mac, ll or "ff02::1"], ns=ns, timeout=60)
    got = json.loads(p.stdout.strip().splitlines()[-1])
    assert got, "no advert came back to the solicitation:\n" + p.stdout + p.stderr
    return got


def test_slaac_host_address_route_rdnss_and_ping(nfvd_factory, ns_factory, tag):
    nfvd = nfvd_factory(conf(tag))
    h1, h2 = ns_factory("h1"), ns_factory("h2")
    default_host(h1, tag + "a", H1_MAC)
    default_host(h2, tag + "b", H2_MAC)
    run(["ip", "addr", "add", H2 + "/64", "dev", tag + "b", "nodad"], ns=h2)
    run(["ip", "-6", "route", "replace", "default", "via", WAN_R], ns=h2)
    ll = router_ll(nfvd, "lan")

    # SLAAC: an address in the advertised prefix (EUI-64 or stable-privacy)
    slaac = wait_for(lambda: slaac_addrs(h1, tag + "a"), 30, "h1's SLAAC address")[0]
    # and a default route via the router's link-local address
    wait_for(lambda: ll in default_via(h1), 30, "h1's default route via " + ll)
    assert rtr_control(nfvd)["router-solicits-rx"] >= 1  # the kernel's RS

    # the advert as a host sees it (answer to a solicitation, to all-nodes
    # on lan): source, flags, RDNSS, prefix
    got = solicit(nfvd, h1, tag + "a")
    assert got["dst"] == "ff02::1" and got["src"] == ll and got["hlim"] == 255
    assert got["M"] == 0 and got["O"] == 1 and got["chlim"] == 64
    assert got["lifetime"] == 180
    assert got["rdnss"] == [DNS] and got["rdnss_lifetime"] == 180
    assert got["prefix"] == LAN_PREFIX and got["plen"] == 64
    assert got["A"] == 1 and got["L"] == 1
    assert got["valid"] == 2592000 and got["preferred"] == 604800

    # traffic through the router from the SLAAC address
    wait_for(lambda: run(["ping", "-6", "-n", "-c", "1", "-W", "2", "-I", slaac, H2],
                         ns=h1, check=False).returncode == 0, 30, "ping -6 h1 -> h2")
    p = run(["ping", "-6", "-n", "-q", "-c", "3", "-i", "0.2", "-W", "2", "-I", slaac, H2],
            ns=h1, check=False)
    assert "3 received" in p.stdout, p.stdout
    s = nfvd.stats()["vnfs"]["rtr"]
    assert s["counters"]["forwarded-v6"] >= 6
    lan = next(f for f in s["interfaces"] if f["name"] == "lan")
    assert lan["ra"]["sent"] >= 1 and lan["ra"]["solicits"] >= 1


def test_rs_answered_unicast_with_m_flag(nfvd_factory, ns_factory, tag):
    """wan answers a solicitation to its sender (solicited-unicast), with
    the M flag and a prefix that is not for SLAAC."""
    nfvd = nfvd_factory(conf(tag))
    h2 = ns_factory("h2")
    default_host(h2, tag + "b", H2_MAC)
    ifname = tag + "b"
    ll = wait_for(lambda: addrs6(h2, ifname, "link"), 20, "h2's link-local")[0]["local"]
    mac = H2_MAC
    before = rtr_control(nfvd)["router-solicits-rx"]
    got = solicit(nfvd, h2, ifname, ll)
    assert got["dst"] == ll and got["eth_dst"] == mac
    assert got["src"] == router_ll(nfvd, "wan") and got["hlim"] == 255
    assert got["M"] == 1 and got["O"] == 0 and got["lifetime"] == 180
    assert got["prefix"] == "2001:db8:83:2::" and got["A"] == 0 and got["L"] == 1
    assert rtr_control(nfvd)["router-solicits-rx"] > before


def test_final_advert_when_ra_removed(nfvd_factory, ns_factory, tag):
    """6.2.5: an apply that stops the adverts sends router lifetime 0: the
    host drops its default route at once, not after 180 s."""
    c = conf(tag)
    nfvd = nfvd_factory(c)
    h1 = ns_factory("h1")
    default_host(h1, tag + "a", H1_MAC)
    ll = router_ll(nfvd, "lan")
    wait_for(lambda: ll in default_via(h1), 30, "h1's default route via " + ll)
    wait_for(lambda: slaac_addrs(h1, tag + "a"), 30, "h1's SLAAC address")
    c2 = copy.deepcopy(c)
    del c2["vnfs"][0]["interfaces"][0]["ra"]
    r = nfvd.apply(c2)
    assert r.get("ok"), r
    wait_for(lambda: ll not in default_via(h1), 20, "h1's default route gone")
    # the SLAAC address stays until its valid lifetime (RFC 4862)
    assert slaac_addrs(h1, tag + "a")


def test_renumbering_withdraws_the_old_prefix_and_dns(nfvd_factory, ns_factory, tag):
    """An apply that renumbers lan (a new address, so a new SLAAC prefix,
    and a new DNS server): the next adverts carry the old prefix with
    preferred and valid lifetimes 0 (RFC 4862 5.5.3: h1 deprecates its old
    address; RFC 4861 6.3.4: its on-link route goes) and the old server
    with RDNSS lifetime 0 (RFC 8106 5.1); h1 takes an address in the new
    prefix. Without them h1 would keep the old address preferred for 7 days
    and the old route for 30."""
    c = conf(tag)
    nfvd = nfvd_factory(c)
    h1 = ns_factory("h1")
    ifname = tag + "a"
    default_host(h1, ifname, H1_MAC)
    old = wait_for(lambda: slaac_addrs(h1, ifname), 30, "h1's SLAAC address")[0]

    def onlink(prefix):
        out = json.loads(run(["ip", "-j", "-6", "route", "show", "dev", ifname], ns=h1).stdout)
        return [r for r in out if r.get("dst") == prefix]
    wait_for(lambda: onlink(LAN_PREFIX + "/64"), 30, "the old on-link route")
    c2 = copy.deepcopy(c)
    lan = c2["vnfs"][0]["interfaces"][0]
    lan["addresses"] = ["10.83.1.1/24", "2001:db8:83:9::1/64"]
    lan["ra"]["rdnss"] = ["2001:db8:83:9::53"]
    r = nfvd.apply(c2)
    assert r.get("ok"), r

    def deprecated():
        return [a for a in addrs6(h1, ifname, "global")
                if a["local"] == old and (a.get("deprecated") or a.get("preferred_life_time") == 0)]
    wait_for(deprecated, 30, "h1's old address deprecated")
    wait_for(lambda: not onlink(LAN_PREFIX + "/64"), 10, "the old on-link route gone")
    wait_for(lambda: [a for a in addrs6(h1, ifname, "global")
                      if a["local"].startswith("2001:db8:83:9:")], 30, "an address in the new prefix")


def test_bad_ra_config_refused(tmp_path, need_nfvd):
    """nfvctl validate names file:line:col for the RFC's bounds."""
    c = conf("zz")
    c["vnfs"][0]["interfaces"][0]["ra"] = {
        "max-interval": 100, "min-interval": 90,
        "prefixes": [{"prefix": "2001:db8:83:1::/64", "valid-lifetime": 60,
                      "preferred-lifetime": 120}]}
    path = tmp_path / "bad.yaml"
    path.write_text(nfvlib._yaml_text(c))
    p = run([nfvlib.NFVCTL, "validate", str(path)], check=False)
    out = p.stdout + p.stderr
    assert p.returncode != 0
    assert re.search(r"bad\.yaml:\d+:\d+: .*min-interval 90 is out of 3\.\.75 s", out), out
    assert re.search(r"bad\.yaml:\d+:\d+: .*preferred-lifetime 120 exceeds valid-lifetime 60",
                     out), out
