# SPDX-License-Identifier: BSD-3-Clause
"""Hostile chain files (issue 18, docs/schema.md limits).

- a file nested 40,000 deep (crashed nfvctl validate and, through apply,
  the running nfvd): validate prints file:line:col and exits non-zero; an
  apply of it is refused and nfvd keeps running and answering;
- a pcap port whose rx-file smuggles ",iface=..." into the DPDK device
  arguments is refused by validate;
- a capture file that is a symlink is refused at apply: the file it points
  at (here a copy of the chain file) is left untouched.
"""
import os
import subprocess

import nfvlib

CONF = nfvlib.NULL_CHAIN


def validate(path):
    return subprocess.run([nfvlib.NFVCTL, "validate", str(path)], capture_output=True,
                          text=True, timeout=60)


def test_deep_file_refused_nfvd_keeps_running(nfvd_factory, tmp_path):
    deep = tmp_path / "deep.yaml"
    deep.write_text("[" * 40000 + "\n")
    p = validate(deep)
    assert p.returncode != 0
    assert "%s:1:65: nested deeper than 64" % deep in p.stdout + p.stderr, p
    d = nfvd_factory(CONF)
    gen = d.result("status")["generation"]
    r = d.ctl("apply", path=str(deep))
    assert r["ok"] is False and ":1:65: nested deeper than 64" in str(r), r
    assert d.proc.poll() is None, d.output()
    st = d.result("status")
    assert st["generation"] == gen
    # and a good apply still works
    r = d.apply(CONF)
    assert r["ok"], r


def test_devargs_injection_refused(tmp_path):
    f = tmp_path / "inject.yaml"
    f.write_text("version: 1\nports:\n"
                 "  - {name: p, driver: pcap, rx-file: \"/x/none.pcap,iface=lo\"}\n"
                 "chains: []\n")
    p = validate(f)
    assert p.returncode != 0
    assert "%s:3:38: ports[p].rx-file: ',' not allowed here" % f in p.stdout + p.stderr, p


def test_capture_symlink_refused_target_untouched(nfvd_factory, tmp_path):
    d = nfvd_factory(CONF)
    victim = tmp_path / "victim.yaml"
    victim.write_text(CONF)
    before = victim.read_bytes()
    link = tmp_path / "cap.pcapng"
    os.symlink(victim, link)
    r = d.apply(CONF.replace("vnfs: []", "vnfs: [cap]") +
                "vnfs:\n  - {name: cap, class: capture, file: cap.pcapng}\n")
    assert r["ok"] is False and "symbolic link" in str(r), r
    assert victim.read_bytes() == before
    assert os.path.islink(link)
    assert d.proc.poll() is None, d.output()
    assert d.result("status")
