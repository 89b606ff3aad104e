# SPDX-License-Identifier: BSD-3-Clause
"""nfvctl links the schema halves of the VNF classes only, not the data
plane: no librte library, no engine or fast-path symbol, and it still
validates every chain file of chains/examples and refuses bad ones with
file:line:col (class parsers, the firewall's pcap-filter check with libpcap,
the vm guest spec).
Binaries come from $NFVD_BUILD (default: <repo>/build).
"""
import os
import re
import shutil
import subprocess

import pytest

import nfvlib

EXAMPLES = os.path.join(nfvlib.REPO, "chains", "examples")


@pytest.fixture
def nfvctl():
    if not os.access(nfvlib.NFVCTL, os.X_OK):
        pytest.skip("nfvctl not built: " + nfvlib.NFVCTL)
    return nfvlib.NFVCTL


def validate(nfvctl, path):
    return subprocess.run([nfvctl, "validate", str(path)], capture_output=True, text=True,
                          timeout=60)


def test_no_librte(nfvctl):
    out = subprocess.run(["ldd", nfvctl], capture_output=True, text=True, check=True).stdout
    assert "libyaml" in out, out  # ldd read it
    assert [l for l in out.splitlines() if "librte" in l] == []


def test_no_data_plane_symbols(nfvctl):
    out = subprocess.run(["nm", nfvctl], capture_output=True, text=True, check=True).stdout
    names = {l.split()[-1] for l in out.splitlines() if l.strip()}
    assert "nfv_config_load" in names, "nm found no symbols"
    bad = sorted(n for n in names
                 if re.match(r"(nfv_engine_|nfv_worker_|rte_)", n)
                 or n in ("rtr_process", "fw_process", "dhcp_process"))
    assert bad == []


def example_files():
    """Every example, those in sub-directories too (two-hosts/host-a.yaml)."""
    out = []
    for d, _, files in os.walk(EXAMPLES):
        out += [os.path.relpath(os.path.join(d, f), EXAMPLES) for f in files
                if f.endswith(".yaml")]
    return sorted(out)


@pytest.mark.parametrize("name", example_files())
def test_every_example_validates(nfvctl, tmp_path, name):
    """Each example as shipped, but with what it names outside the repo (the
    guest images, the eBPF object of the build) pointed at stand-ins."""
    guest = tmp_path / "guest"
    guest.mkdir()
    for f in ("vmlinux", "bridge.cpio.gz", "nfvd.cpio.gz"):
        (guest / f).write_bytes(b"\0")
    with open(os.path.join(EXAMPLES, name)) as f:
        text = f.read()
    text = text.replace("/var/cache/nfvd/guest/", str(guest) + "/")
    if "../../build/" in text:
        obj = os.path.join(nfvlib.BUILD, "vnfs", "firewall", "fw_example.o")
        if not os.path.exists(obj):
            pytest.skip("fw_example.o not built (no clang)")
        text = text.replace("../../build/", nfvlib.BUILD + "/")
    src = os.path.dirname(os.path.join(EXAMPLES, name))
    for f in os.listdir(src):  # what the file names beside it (a pcap)
        if not f.endswith(".yaml") and os.path.isfile(os.path.join(src, f)):
            shutil.copy(os.path.join(src, f), tmp_path / f)
    path = tmp_path / os.path.basename(name)
    path.write_text(text)
    p = validate(nfvctl, path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert re.search(r": OK \(\d+ ports, \d+ vnfs, \d+ chains\)", p.stdout + p.stderr)


HEAD = """version: 1
ports:
  - {name: p0, driver: null}
  - {name: g0, driver: vhost, socket: /tmp/nfvctl-deps-g0.sock}
  - {name: g1, driver: vhost, socket: /tmp/nfvctl-deps-g1.sock}
vnfs:
"""
TAIL = """chains:
  - {name: c, ingress: [p0], vnfs: [x], egress: p0}
"""


@pytest.mark.parametrize("vnf,line,col,message", [
    ("  - {name: x, class: nope}\n", 7, 22,
     "vnfs[x].class: unknown VNF class 'nope' (known: vm, firewall, dhcp, router, "
     "capture, mac-rewrite, counter, drop, forward)"),
    ("  - name: x\n    class: firewall\n    rules:\n"
     "      - {action: allow, filter: 'tcp port'}\n", 10, 33,
     "vnfs[x].rules[0].filter: pcap-filter does not compile"),
    ("  - name: x\n    class: forward\n    port: p9\n", 9, 11,
     "vnfs[x].port: no port named 'p9'"),
    ("  - name: x\n    class: vm\n    runtime: vm\n    vm:\n"
     "      image: {kernel: /nonexistent/vmlinux}\n"
     "      nics: [{name: eth0, port: g0}]\n      memory: 64\n", 13, 15,
     "vnfs[x].vm.memory: 64 MiB is too small for a guest (at least 128 MiB)"),
])
def test_bad_file_refused_with_position(nfvctl, tmp_path, vnf, line, col, message):
    path = tmp_path / "bad.yaml"
    path.write_text(HEAD + vnf + TAIL)
    p = validate(nfvctl, path)
    assert p.returncode != 0
    out = p.stdout + p.stderr
    assert "%s:%d:%d: %s" % (path, line, col, message) in out, out
