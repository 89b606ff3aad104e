# SPDX-License-Identifier: BSD-3-Clause
"""nfvd with pcap ports: what goes in comes out, byte for byte and in order.

Each test writes an input pcap with scapy, runs nfvd on a chain from a pcap
rx port to a pcap tx port, waits until nfvd's counters show every packet
forwarded, stops nfvd (SIGTERM flushes and closes the output file) and reads
the output back.
"""
import os

from nfvlib import mixed_frames, read_pcap, tshark_fields, wait_for, write_pcap

N = 66  # 11 sizes x 6 kinds: every size meets every kind


def pcap_chain(tmp, stages, vnfs, egress=None):
    chain = {"name": "main", "ingress": ["in"], "vnfs": stages}
    if egress:
        chain["egress"] = egress
    return {
        "version": 1,
        "ports": [
            {"name": "in", "driver": "pcap", "rx-file": os.path.join(str(tmp), "in.pcap")},
            {"name": "out", "driver": "pcap", "tx-file": os.path.join(str(tmp), "out.pcap")},
        ],
        "vnfs": vnfs,
        "chains": [chain],
    }


def run_to_completion(nfvd, n):
    """Wait until n packets left on port out, then stop nfvd; return stats."""
    def done():
        s = nfvd.stats()
        return s if s["ports"]["out"]["tx"] >= n else None
    stats = wait_for(done, 30, "%d packets on port out" % n)
    rc, out = nfvd.stop()
    assert rc == 0, out
    return stats


def vnf_packets(vnf):
    """The packet count a counter instance reports (counters.packets)."""
    return vnf["counters"]["packets"]


def test_forward_keeps_bytes_and_order(nfvd_factory, tmp_path):
    frames = mixed_frames(N)
    write_pcap(tmp_path / "in.pcap", frames)
    conf = pcap_chain(tmp_path, ["fwd"], [{"name": "fwd", "class": "forward", "port": "out"}])
    stats = run_to_completion(nfvd_factory(conf), N)

    out = read_pcap(tmp_path / "out.pcap")
    assert len(out) == N
    for i, (sent, got) in enumerate(zip(frames, out)):
        assert got == bytes(sent), "frame %d (%d bytes) differs" % (i, len(sent))
    assert stats["ports"]["in"]["rx"] == N
    assert stats["chains"]["main"]["rx"] == N
    assert stats["chains"]["main"]["drops"] == 0


def test_counter_and_mac_rewrite(nfvd_factory, tmp_path):
    frames = mixed_frames(N)
    write_pcap(tmp_path / "in.pcap", frames)
    src, dst = "02:aa:bb:cc:dd:01", "02:aa:bb:cc:dd:02"
    conf = pcap_chain(tmp_path, ["cnt", "mac"], [
        {"name": "cnt", "class": "counter"},
        {"name": "mac", "class": "mac-rewrite", "src": src, "dst": dst},
    ], egress="out")
    stats = run_to_completion(nfvd_factory(conf), N)

    out = read_pcap(tmp_path / "out.pcap")
    assert len(out) == N
    mac = bytes.fromhex(dst.replace(":", "")) + bytes.fromhex(src.replace(":", ""))
    for i, (sent, got) in enumerate(zip(frames, out)):
        assert got[:12] == mac, "frame %d: MACs not rewritten" % i
        assert got[12:] == bytes(sent)[12:], "frame %d: bytes after the MACs changed" % i
    assert vnf_packets(stats["vnfs"]["cnt"]) == N
    assert stats["vnfs"]["cnt"]["counters"]["bytes"] == sum(len(f) for f in frames)
    assert stats["chains"]["main"]["tx"] == N


def test_capture_read_back_by_tshark(nfvd_factory, tmp_path):
    frames = mixed_frames(N)
    write_pcap(tmp_path / "in.pcap", frames)
    cap = tmp_path / "cap.pcapng"
    conf = pcap_chain(tmp_path, ["cap"], [
        {"name": "cap", "class": "capture", "file": str(cap)},
    ], egress="out")
    run_to_completion(nfvd_factory(conf), N)

    rows = tshark_fields(cap, "frame.len", "eth.src", "eth.dst")
    assert len(rows) == N
    assert [int(r[0]) for r in rows] == [len(f) for f in frames]
    # outer Ethernet source (tshark also lists the inner one of VXLAN frames)
    assert all(r[1].split(",")[0] == "02:00:00:00:00:01" for r in rows)
    # The capture is a copy: the frames themselves still went out unchanged.
    assert read_pcap(tmp_path / "out.pcap") == [bytes(f) for f in frames]
