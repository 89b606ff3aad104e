# SPDX-License-Identifier: BSD-3-Clause
"""DHCP server RFC 2131 behaviour a conformance test probes, with a client
speaking through a namespace as a relay agent (bench/dhcp_client.py; the
set-up of test_dhcp_server.py): a REQUEST in SELECTING state for an address
the server did not offer, DECLINE, RELEASE by another client.
"""
import json
import os
import sys

import pytest

from nfvlib import run
from test_dhcp_server import (RELAY, SERVER, Env, attach, dc, dhcp_conf,  # noqa: F401
                              relay_ns, client_ns)

JOBS = r"""
import json, sys
sys.path.insert(0, %(bench)r)
import dhcp_client as dc
c = dc.RelayClient(%(server)r, %(relay)r)
sid = dc.ip2b(%(server)r)
out = []
for j in json.loads(sys.argv[1]):
    mac, xid = bytes.fromhex(j["mac"]), j["xid"]
    if j["do"] == "discover":
        r = c.exchange(dc.build(dc.DISCOVER, mac, xid, c.giaddr), xid)
    elif j["do"] == "select":    # REQUEST, SELECTING: our server id
        r = c.exchange(dc.build(dc.REQUEST, mac, xid, c.giaddr,
                                opts=[(54, sid), (50, dc.ip2b(j["addr"]))]), xid)
    elif j["do"] in ("decline", "release"):
        t = dc.DECLINE if j["do"] == "decline" else dc.RELEASE
        c.send(dc.build(t, mac, xid, c.giaddr,
                        ciaddr=j["addr"] if t == dc.RELEASE else "0.0.0.0",
                        opts=[(54, sid)] + ([(50, dc.ip2b(j["addr"]))] if t == dc.DECLINE
                                            else [])))
        r = None
    out.append(r and {"type": r["type"], "yiaddr": r["yiaddr"], "flags": r["flags"],
                      "giaddr": r["giaddr"]})
print(json.dumps(out))
"""


@pytest.fixture
def env(nfvd_factory, client_ns, tag, tmp_path):  # noqa: F811
    ns = client_ns("c")
    d = nfvd_factory(dhcp_conf(tag, str(tmp_path / "leases"),
                               relay_pool="10.65.0.10-10.65.0.13"))
    attach(d, ns, tag + "l")
    e = Env(d, ns, tag + "l", str(tmp_path))
    relay_ns(e)
    return e


def jobs(e, js):
    code = JOBS % {"bench": os.path.dirname(dc.__file__), "server": SERVER, "relay": RELAY}
    r = run([sys.executable, "-c", code, json.dumps(js)], ns=e.ns, timeout=120)
    return json.loads(r.stdout)


def lease_of(e, addr):
    return [x for x in e.leases() if x["address"] == addr]


def test_selecting_request_for_an_address_not_offered_is_naked(env):
    """RFC 2131 3.1 step 4 / 4.3.2: the REQUEST of a client in SELECTING
    names our server and the offered address; one for another (free)
    address is not what it was offered: NAK (to the relay, broadcast bit
    set, yiaddr 0), nothing bound; the offered address is then ACKed."""
    e = env
    mac = "02d0000000a1"
    off = jobs(e, [{"do": "discover", "mac": mac, "xid": 11}])[0]
    assert off["type"] == dc.OFFER
    other = next(a for a in ("10.65.0.10", "10.65.0.11") if a != off["yiaddr"])
    nak, ack = jobs(e, [{"do": "select", "mac": mac, "xid": 12, "addr": other},
                        {"do": "select", "mac": mac, "xid": 13, "addr": off["yiaddr"]}])
    assert nak["type"] == dc.NAK, nak
    assert nak["yiaddr"] == "0.0.0.0" and nak["giaddr"] == RELAY and nak["flags"] & 0x8000
    assert not [x for x in lease_of(e, other) if x["state"] == "bound"], e.leases()
    assert ack["type"] == dc.ACK and ack["yiaddr"] == off["yiaddr"], ack
    assert [x["state"] for x in lease_of(e, off["yiaddr"])] == ["bound"]
    assert e.vnf()["counters"]["nak"] >= 1


def test_decline_quarantines_and_release_needs_the_owner(env):
    """RFC 2131 4.3.3: a DECLINEd address is marked unusable (listed
    declined, offered to nobody); 4.3.4: a RELEASE from a client that does
    not hold the address changes nothing (counted not-owner)."""
    e = env
    a, b = "02d0000000b1", "02d0000000b2"
    res = jobs(e, [{"do": "discover", "mac": a, "xid": 21}])
    addr = res[0]["yiaddr"]
    res = jobs(e, [{"do": "select", "mac": a, "xid": 22, "addr": addr},
                   {"do": "release", "mac": b, "xid": 23, "addr": addr}])
    assert res[0]["type"] == dc.ACK
    assert [x["state"] for x in lease_of(e, addr)] == ["bound"]
    # the RELEASE is counted before the next request is answered
    jobs(e, [{"do": "decline", "mac": a, "xid": 24, "addr": addr},
             {"do": "discover", "mac": "02d0000000b3", "xid": 25}])
    assert e.vnf()["drops"]["not-owner"] >= 1
    assert [x["state"] for x in lease_of(e, addr)] == ["declined"]
    offers = jobs(e, [{"do": "discover", "mac": "02d0000000b%d" % i, "xid": 30 + i}
                      for i in range(4, 8)])
    assert addr not in [o["yiaddr"] for o in offers if o], offers
