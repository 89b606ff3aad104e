# SPDX-License-Identifier: BSD-3-Clause
"""nfvctl trace and nfvctl drops on the lab chain (chains/examples/lab.yaml:
dhcp -> fw -> rtr from the LAN, fw -> rtr from the WAN behind VLAN 20).

    lan ns 10.81.1.2/24 <tap a> nfvd [dhcp -> fw -> rtr] <tap b> VLAN 20 10.81.2.2/24 wan ns

A routed ping shows the firewall's rule, the router's route and the tx
port; a packet a firewall rule drops shows the rule; a TTL=1 packet the
router's ICMP time exceeded; a DHCP DISCOVER the DHCP stage's punt to its
server; count= bounds what is kept; filter= selects; --json parses; bad
requests are refused while the chain keeps forwarding.
"""
import json

import pytest

import nfvlib
from nfvlib import move_link, run, wait_for
from test_dhcp_server import client_ns, stop_clients  # noqa: F401 (fixture)

LAN_MAC = "02:81:01:00:00:02"


@pytest.fixture
def lab(nfvd_factory, client_ns, tag):
    conf = nfvlib.lab_conf("lab.yaml", tag)
    fw = next(v for v in conf["vnfs"] if v["name"] == "fw")
    # a rule that drops (the lab's own rules allow, reject or fall to the
    # default policy)
    fw["rules"].insert(0, {"name": "no-telnet", "action": "drop", "in-port": "a",
                           "proto": "tcp", "dport": 23})
    lan, wan = client_ns("l"), client_ns("w")
    d = nfvd_factory(conf)
    move_link(tag + "A", lan, addr="10.81.1.2/24", mac=LAN_MAC)
    run(["ip", "route", "add", "default", "via", "10.81.1.1"], ns=lan)
    move_link(tag + "B", wan)
    nfvlib.lab_wan_host(wan, tag + "B")
    wait_for(lambda: run(["ping", "-c", "1", "-W", "1", "10.81.2.2"], ns=lan,
                         check=False).returncode == 0, 20, "LAN -> WAN ping")
    yield d, lan, wan, tag + "A"


def nfvctl_ok(d, *args):
    r = d.nfvctl(*args)
    assert r.returncode == 0, "nfvctl %s: %s%s" % (" ".join(args), r.stdout, r.stderr)
    return r.stdout


def show(d):
    return json.loads(nfvctl_ok(d, "--json", "trace", "show"))


def traced(d, pred, what, timeout=15):
    """The first traced packet pred() accepts, waiting for it."""
    def find():
        return next((p for p in show(d)["packets"] if pred(p)), None)
    return wait_for(find, timeout, what)


def stage(p, vnf):
    return next(s for s in p["stages"] if s["vnf"] == vnf)


def test_trace_lab_paths(lab):
    d, lan, wan, ifc = lab

    # a routed ping: DHCP passes it, the firewall's rule, the router's route, tx port b
    out = nfvctl_ok(d, "trace", "start", "filter=icmp", "count=20")
    assert 'filter "icmp"' in out
    run(["ping", "-c", "1", "-W", "2", "10.81.2.2"], ns=lan)
    p = traced(d, lambda p: "10.81.1.2 > 10.81.2.2 ttl 64 ICMP echo request" in p["packet"],
               "the echo request's trace")
    assert p["chain"] == "from-a" and p["in_port"] == "a"
    assert [s["vnf"] for s in p["stages"]] == ["dhcp", "fw", "rtr"]
    assert [s["verdict"] for s in p["stages"]] == ["pass", "pass", "pass"]
    assert any("rule lan-out: allow" in n for n in stage(p, "fw")["notes"]), p
    assert any("connected route 10.81.2.0/24 (wan)" in n for n in stage(p, "rtr")["notes"]), p
    assert any("out port b" in n for n in stage(p, "rtr")["notes"]), p
    assert p["result"] == "tx" and p["tx_port"] == "b"
    # the readable form: one block per packet
    text = nfvctl_ok(d, "trace", "show")
    assert "chain from-a" in text and "rule lan-out: allow" in text and "=> tx port b" in text

    # a gateway route: its prefix (looked up at show time), the gateway, the port
    nfvctl_ok(d, "route", "add", "10.99.0.0/16", "via=10.81.2.2")
    nfvctl_ok(d, "trace", "start", "filter=icmp and host 10.99.7.7")
    run(["ping", "-c", "1", "-W", "1", "10.99.7.7"], ns=lan, check=False)
    p = traced(d, lambda p: "> 10.99.7.7 ttl 64 ICMP echo request" in p["packet"],
               "the trace of a ping over a gateway route")
    notes = stage(p, "rtr")["notes"]
    assert "route: 10.99.7.7 via gateway 10.81.2.2 on wan, out port b" in notes, p
    assert "gateway route 10.99.0.0/16" in notes, p
    assert p["result"] == "tx" and p["tx_port"] == "b"
    # a more specific route since: the prefix shown is today's, said so
    nfvctl_ok(d, "route", "add", "10.99.7.0/24", "via=10.81.2.2", "metric=5")
    notes = stage(traced(d, lambda p: "> 10.99.7.7 ttl 64" in p["packet"], "the record"),
                  "rtr")["notes"]
    assert any(n.startswith("gateway route 10.99.7.0/24") for n in notes), notes
    nfvctl_ok(d, "trace", "start", "filter=icmp", "count=20")

    # TTL 1: the router punts it, its control thread answers time exceeded
    run(["ping", "-c", "1", "-W", "2", "-t", "1", "10.81.2.2"], ns=lan, check=False)
    p = traced(d, lambda p: "ttl 1 ICMP echo request" in p["packet"], "the TTL=1 trace")
    r = stage(p, "rtr")
    assert r["verdict"] == "punt" and p["result"] == "punt"
    assert any("TTL/hop limit expired" in n for n in r["notes"]), p
    # the control thread's note (the punt is handled after the worker's
    # record is published: nearly always, not asserted)
    print(r.get("control"))

    # a firewall rule's drop: the rule, its reason and meaning
    nfvctl_ok(d, "trace", "start", "filter=tcp dst port 23")
    run(["python3", "-c", "import socket; s=socket.socket(); s.settimeout(0.5)\n"
         "try: s.connect(('10.81.2.2', 23))\nexcept OSError: pass"], ns=lan)
    p = traced(d, lambda p: "TCP" in p["packet"] and "> 23" in p["packet"], "the telnet SYN")
    f = stage(p, "fw")
    assert f["verdict"] == "drop" and f["reason"] == "rule", p
    assert any("rule no-telnet: drop" in n for n in f["notes"]), p
    assert p["result"] == "drop" and p["dropped_by"] == "fw"
    assert p["drop_meaning"] == "a rule with action drop matched"
    assert "rtr" not in [s["vnf"] for s in p["stages"]]

    # a DHCP DISCOVER: the DHCP stage punts it to its server
    nfvctl_ok(d, "trace", "start", "filter=udp dst port 67")
    run(["busybox", "udhcpc", "-i", ifc, "-n", "-q", "-t", "1", "-T", "1", "-s", "/bin/true"],
        ns=lan, check=False, timeout=30)
    stop_clients(lan)
    p = traced(d, lambda p: "UDP 68 > 67" in p["packet"], "the DISCOVER's trace")
    h = stage(p, "dhcp")
    assert h["verdict"] == "punt" and p["result"] == "punt"
    assert any("DHCP to the server on port a" in n for n in h["notes"]), p
    assert [s["vnf"] for s in p["stages"]] == ["dhcp"]

    # stop keeps the records for show
    out = nfvctl_ok(d, "trace", "stop")
    assert "trace stopped" in out
    st = show(d)
    assert st["running"] is False and len(st["packets"]) >= 1


def test_trace_count_and_filter(lab):
    d, lan, wan, ifc = lab
    res = json.loads(nfvctl_ok(d, "--json", "trace", "start", "count=3",
                               "filter=icmp", "and", "host", "10.81.2.2"))
    assert res["count"] == 3 and res["filter"] == "icmp and host 10.81.2.2"
    # UDP to the WAN host is not traced; ICMP is, up to 3 per worker
    run(["python3", "-c", "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
         "for _ in range(5): s.sendto(b'x', ('10.81.2.2', 9999))"], ns=lan)
    run(["ping", "-c", "6", "-i", "0.2", "-W", "1", "10.81.2.2"], ns=lan, check=False)
    st = wait_for(lambda: (lambda s: s if len(s["packets"]) >= 3 else None)(show(d)), 15,
                  "3 traced packets")
    workers = st["workers"]
    assert len(st["packets"]) == 3 * workers or (workers > 1 and len(st["packets"]) >= 3)
    assert all("ICMP" in p["packet"] for p in st["packets"])
    assert st["traced"] == len(st["packets"])
    # more traffic: still the bound
    run(["ping", "-c", "3", "-i", "0.2", "-W", "1", "10.81.2.2"], ns=lan, check=False)
    assert len(show(d)["packets"]) <= 3 * workers

    # port= selects the ingress: the WAN's echo replies (VLAN 20: the pcap
    # filter says so), not the LAN's requests
    nfvctl_ok(d, "trace", "start", "port=b", "filter=vlan and icmp")
    run(["ping", "-c", "2", "-i", "0.2", "-W", "1", "10.81.2.2"], ns=lan, check=False)
    p = traced(d, lambda p: "ICMP echo reply" in p["packet"], "an echo reply from b")
    assert p["in_port"] == "b" and p["chain"] == "from-b"
    assert "vlan 20" in p["packet"]
    assert all(q["in_port"] == "b" for q in show(d)["packets"])
    assert any("conntrack hit" in n for n in stage(p, "fw")["notes"]), p
    assert p["result"] == "tx" and p["tx_port"] == "a"

    # chain= selects the chain
    nfvctl_ok(d, "trace", "start", "chain=from-b", "filter=vlan and icmp")
    run(["ping", "-c", "2", "-i", "0.2", "-W", "1", "10.81.2.2"], ns=lan, check=False)
    traced(d, lambda p: p["chain"] == "from-b", "a from-b packet")
    assert all(q["chain"] == "from-b" for q in show(d)["packets"])
    nfvctl_ok(d, "trace", "stop")


def test_trace_bad_requests_refused(lab):
    d, lan, wan, ifc = lab
    nfvctl_ok(d, "trace", "start", "filter=icmp", "count=5")
    for args, msg in (
            (["filter=icmp and and"], "does not compile"),
            (["chain=nope"], "no chain named 'nope' (chains: from-a from-b"),
            (["port=zz"], "no port named 'zz' (ports: a b"),
            (["count=0"], "count must be 1..1000"),
            (["count=100000"], "count must be 1..1000"),
            (["count=many"], "count must be an integer"),
    ):
        r = d.nfvctl("trace", "start", *args)
        assert r.returncode == 1 and msg in r.stderr, (args, r.stdout, r.stderr)
    r = d.nfvctl("trace", "bogus")
    assert r.returncode == 2 and "unknown trace command" in r.stderr
    r = d.nfvctl("trace", "start", "colour=red")
    assert r.returncode == 2 and "unknown argument 'colour'" in r.stderr
    # the raw protocol: a bad op, unknown keys
    assert not d.ctl("trace")["ok"]
    assert "unknown op" in d.ctl("trace", op="pause")["error"]
    assert "unknown argument" in d.ctl("trace", op="start", colour="red")["error"]
    # the trace started first still runs with its settings; the chain forwards
    st = show(d)
    assert st["running"] is True and st["count"] == 5 and st["filter"] == "icmp"
    run(["ping", "-c", "1", "-W", "2", "10.81.2.2"], ns=lan)
    traced(d, lambda p: "ICMP echo request" in p["packet"], "a trace after the refusals")


def test_drops(lab):
    d, lan, wan, ifc = lab
    # from the WAN to the LAN host: the firewall's default policy drops
    # pings (the lab opens only TCP 8080)
    run(["ping", "-c", "3", "-i", "0.2", "-W", "1", "10.81.1.2"], ns=wan, check=False)
    res = json.loads(nfvctl_ok(d, "--json", "drops"))
    rows = res["drops"]
    counts = [r["count"] for r in rows]
    assert counts == sorted(counts, reverse=True) and all(c > 0 for c in counts)
    fw = next(r for r in rows if r["kind"] == "vnf" and r["name"] == "fw"
              and r["reason"] == "default-policy")
    assert fw["count"] >= 3
    assert fw["meaning"] == "no rule matched and the default policy is drop"
    assert any(r["kind"] == "chain" and r["name"] == "from-b" for r in rows)
    text = nfvctl_ok(d, "drops")
    assert "default-policy" in text and "no rule matched" in text
    assert text.splitlines()[0].split() == ["COUNT", "WHERE", "NAME", "REASON", "MEANING"]
