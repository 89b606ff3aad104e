# SPDX-License-Identifier: BSD-3-Clause
"""The Kubernetes recipe (deploy/kubernetes/render.py, docs/kubernetes.md)
cannot rot silently: the manifests rendered from the example chains are
read back through the python3-kubernetes models (a misspelt or misplaced
field is dropped by the model, so the round trip differs), the CRDs
(Multus NetworkAttachmentDefinition, KubeVirt VirtualMachine) are checked
for the fields their schemas require, the pieces are checked against each
other (probe socket, metrics port, volumes, attachments, guest NICs), the
chain in the ConfigMap passes "nfvctl validate", and nfvd starts with
exactly the capabilities the DaemonSet grants and not with one fewer.

There is no cluster here: nothing is applied (docs/kubernetes.md).
"""
import copy
import json
import os
import re
import subprocess
import sys

import pytest
import yaml
from kubernetes.client import ApiClient

import nfvlib

RENDER = os.path.join(nfvlib.REPO, "deploy", "kubernetes", "render.py")
EXAMPLES = [os.path.join(nfvlib.REPO, "chains", "examples", f) for f in (
    "two-hosts/host-a.yaml", "two-hosts/host-b.yaml", "two-hosts/host-a-geneve.yaml",
    "two-hosts/host-b-geneve.yaml", "lab.yaml", "lab-guest.yaml", "vm_router_fw.yaml",
    "dhcp.yaml")]
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

sys.path.insert(0, os.path.dirname(RENDER))
import render  # noqa: E402


def render_to(tmp, chain, *opts):
    out = os.path.join(str(tmp), "out")
    r = subprocess.run([sys.executable, RENDER, chain, "-o", out] + list(opts),
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    docs = {}
    for f in sorted(os.listdir(out)):
        with open(os.path.join(out, f)) as fh:
            docs[f] = yaml.safe_load(fh)
    return docs


class _Resp:
    def __init__(self, obj):
        self.data = json.dumps(obj)


def model_roundtrip(obj, model):
    """obj read into the python3-kubernetes model and written back."""
    api = ApiClient()
    return api.sanitize_for_serialization(api.deserialize(_Resp(obj), model))


def check_model(obj, model):
    back = model_roundtrip(obj, model)
    assert back == obj, "fields the %s model does not know:\n%s\n---\n%s" % (
        model, yaml.safe_dump(obj), yaml.safe_dump(back))


def need(d, path):
    """The value at a dotted path; fails naming the path when missing."""
    cur = d
    for k in path.split("."):
        assert isinstance(cur, dict) and k in cur, "missing %s in:\n%s" % (path, yaml.safe_dump(d))
        cur = cur[k]
    return cur


def check_nad(n):
    assert n["apiVersion"] == "k8s.cni.cncf.io/v1"
    assert n["kind"] == "NetworkAttachmentDefinition"
    assert DNS1123.match(need(n, "metadata.name"))
    cfg = json.loads(need(n, "spec.config"))  # Multus: a CNI config as a JSON string
    for k in ("cniVersion", "name", "type"):
        assert k in cfg, cfg
    assert cfg["name"] == n["metadata"]["name"]
    return cfg


def check_vm(vm, nads):
    """The fields KubeVirt's v1 OpenAPI schema requires on the way down."""
    assert vm["apiVersion"] == "kubevirt.io/v1" and vm["kind"] == "VirtualMachine"
    assert DNS1123.match(need(vm, "metadata.name"))
    spec = need(vm, "spec")
    assert ("running" in spec) != ("runStrategy" in spec)  # exactly one
    assert spec.get("runStrategy", "Always") in ("Always", "RerunOnFailure", "Manual",
                                                 "Halted", "Once")
    dom = need(vm, "spec.template.spec.domain")
    devices = need(dom, "devices")
    ifs = devices.get("interfaces", [])
    nets = need(vm, "spec.template.spec.networks")
    assert ifs and [i["name"] for i in ifs] == [n["name"] for n in nets]
    for i in ifs:
        assert need(i, "binding.name")  # exactly one binding method
        assert len([k for k in i if k not in ("name", "model", "macAddress", "pciAddress")]) == 1
    for n in nets:
        assert need(n, "multus.networkName") in nads, (n, sorted(nads))
    # vhost-user: the guest's memory must be shareable with nfvd
    assert need(dom, "memory.hugepages.pageSize") in ("2Mi", "1Gi")
    assert re.match(r"^\d+(Mi|Gi)$", need(dom, "memory.guest"))
    kb = need(dom, "firmware.kernelBoot.container")
    assert kb["image"] and kb["kernelPath"].startswith("/") and kb["initrdPath"].startswith("/")
    assert need(dom, "cpu.cores") >= 1


def validate_chain(text, tmp):
    """nfvctl validate on the ConfigMap's chain; the guest kernel/initrd
    paths (files of the nfvd image) point at stand-ins here."""
    gdir = os.path.join(str(tmp), "guest")
    os.makedirs(gdir, exist_ok=True)
    for f in set(re.findall(render.GUEST_DIR + r"/([\w.-]+)", text)):
        open(os.path.join(gdir, f), "w").close()
    path = os.path.join(str(tmp), "pod-chain.yaml")
    with open(path, "w") as f:
        f.write(text.replace(render.GUEST_DIR, gdir))
    r = subprocess.run([nfvlib.NFVCTL, "validate", path], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr + text


def examples():
    found = [e for e in EXAMPLES if os.path.exists(e)]
    assert found
    return found


@pytest.mark.parametrize("network", ["host", "multus"])
def test_manifests_from_examples(network, tmp_path):
    assert os.access(nfvlib.NFVCTL, os.X_OK), nfvlib.NFVCTL
    for i, ex in enumerate(examples()):
        tmp = tmp_path / str(i)
        docs = render_to(tmp, ex, "--network", network)
        source = yaml.safe_load(open(ex))
        kinds = {}
        for f, d in docs.items():
            kinds.setdefault(d["kind"], []).append(d)
        cm, = kinds["ConfigMap"]
        ds, = kinds["DaemonSet"]
        check_model(cm, "V1ConfigMap")
        check_model(ds, "V1DaemonSet")
        nads = {n["metadata"]["name"]: check_nad(n)
                for n in kinds.get("NetworkAttachmentDefinition", [])}
        chain_text = cm["data"]["chain.yaml"]
        chain = yaml.safe_load(chain_text)
        validate_chain(chain_text, tmp)

        pod = ds["spec"]["template"]
        spec = pod["spec"]
        assert ds["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
        c, = spec["containers"]
        # the chain file comes from the ConfigMap, mounted where nfvd reads it
        vols = {v["name"]: v for v in spec["volumes"]}
        mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
        assert set(mounts.values()) <= set(vols)
        assert vols[mounts[render.CHAIN_DIR]]["configMap"]["name"] == cm["metadata"]["name"]
        assert c["command"][-1] == render.CHAIN_DIR + "/chain.yaml"
        assert "chain.yaml" in cm["data"]
        # hugepages: a hugetlbfs volume at /dev/hugepages, limits == requests,
        # with a memory request (Kubernetes requires one beside hugepages)
        assert vols[mounts["/dev/hugepages"]]["emptyDir"]["medium"].startswith("HugePages")
        res = c["resources"]
        assert res["limits"] == res["requests"] and "memory" in res["requests"]
        assert "hugepages-2Mi" in res["limits"]
        # liveness: nfvctl status on the socket nfvd serves
        sock = chain["nfvd"]["socket"]
        assert c["command"][1:3] == ["-s", sock]
        assert c["livenessProbe"]["exec"]["command"] == ["nfvctl", "-s", sock, "status"]
        assert os.path.dirname(sock) in mounts
        # Prometheus scrapes the port nfvd's metrics endpoint listens on
        ann = pod["metadata"]["annotations"]
        port = int(chain["nfvd"]["metrics"].rsplit(":", 1)[1])
        assert ann["prometheus.io/scrape"] == "true" and int(ann["prometheus.io/port"]) == port
        assert ann["prometheus.io/path"] == "/metrics"
        assert c["ports"][0]["containerPort"] == port
        # no full privilege: only the capabilities the pod's port drivers need
        sc = c["securityContext"]
        assert sc["privileged"] is False and sc["capabilities"]["drop"] == ["ALL"]
        want = set()
        for p in chain["ports"]:
            want |= render.DRIVER_CAPS[p["driver"]]
        assert set(sc["capabilities"]["add"]) == want
        # the network: hostNetwork (no Multus: it skips such pods) or Multus
        # attachments, one per kernel-interface port, each an existing NAD
        nets = json.loads(ann.get("k8s.v1.cni.cncf.io/networks", "[]"))
        kif = [p for p in chain["ports"] if p["driver"] in render.KERNEL_IFACE_DRIVERS]
        if network == "host":
            assert spec["hostNetwork"] is True and nets == []
        else:
            assert spec["hostNetwork"] is False
            assert sorted(n["interface"] for n in nets) == sorted(p["iface"] for p in kif)
            for n in nets:
                assert n["name"] in nads
            assert not [p for p in chain["ports"] if p["driver"] == "tap"]
        # vhost ports: sockets in the host folder shared with the guests
        vh = [p for p in chain["ports"] if p["driver"] == "vhost"]
        for p in vh:
            assert p["socket"].startswith(render.VHOST_DIR + "/")
        if vh:
            assert vols[mounts[render.VHOST_DIR]]["hostPath"]["path"] == render.VHOST_DIR
        # what nfvd writes (DHCP lease journals) goes to a node folder, not
        # next to the chain in the read-only ConfigMap
        for v in chain.get("vnfs") or []:
            if "lease-file" in v:
                assert os.path.dirname(v["lease-file"]) == render.STATE_DIR
                assert vols[mounts[render.STATE_DIR]]["hostPath"]["type"] == "DirectoryOrCreate"
        # one VirtualMachine per guest VNF, its NICs on nfvd's vhost sockets
        guests = [v for v in source.get("vnfs") or [] if v.get("runtime") == "vm"]
        vms = kinds.get("VirtualMachine", [])
        assert sorted(v["metadata"]["labels"]["nfvd.io/vnf"] for v in vms) == \
            sorted(g["name"] for g in guests)
        for vm in vms:
            check_vm(vm, nads)
            for n in vm["spec"]["template"]["spec"]["networks"]:
                cfg = nads[n["multus"]["networkName"]]
                assert cfg["socket"] in [p["socket"] for p in vh]


def test_model_check_catches_a_misspelt_field():
    """The round trip is what catches rot: a field the model does not know
    (here a typo) is dropped, so the check fails."""
    class A:
        network, master, namespace, name = "host", None, "nfvd", "nfvd"
        image, guest_image, cpus, memory_mib = "i", "g", 2, 512
        hugepages_mib, metrics_port = 1024, 9464
    ex = examples()[0]
    ds = dict(render.render(ex, A))["daemonset.yaml"]
    check_model(ds, "V1DaemonSet")
    bad = copy.deepcopy(ds)
    bad["spec"]["template"]["spec"]["hostNetwrok"] = True
    with pytest.raises(AssertionError, match="does not know"):
        check_model(bad, "V1DaemonSet")


def test_render_refuses_unknown_driver(tmp_path):
    chain = tmp_path / "c.yaml"
    chain.write_text("version: 1\nports:\n  - {name: x, driver: warp, iface: x}\n")
    r = subprocess.run([sys.executable, RENDER, str(chain), "-o", str(tmp_path / "o")],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "driver warp" in r.stderr


def run_with_caps(caps, chain, prefix, sock):
    """nfvd as root with only CAPS (what a pod with drop: [ALL], add: CAPS
    gets), for 2 s; -> (exit status, output)."""
    bset = ",".join(["-all"] + ["+" + c.lower() for c in caps])
    try:
        r = subprocess.run(["setpriv", "--bounding-set=" + bset, "--inh-caps=-all", "--",
                            nfvlib.NFVD, "--file-prefix", prefix, "-s", sock, "-l", "0,1",
                            "--duration", "2", chain],
                           capture_output=True, text=True, timeout=90)
        return r.returncode, r.stdout + r.stderr
    finally:
        subprocess.run(["rm", "-rf", "/var/run/dpdk/" + prefix], check=False)
        for f in os.listdir("/dev/hugepages"):
            if f.startswith(prefix):
                os.unlink(os.path.join("/dev/hugepages", f))


def test_rendered_capabilities_are_enough_and_needed(need_nfvd, tag, tmp_path):
    """The DaemonSet's capabilities for a chain with tap, af_packet and
    vhost ports start nfvd; without any one of them it does not start."""
    veth = tag + "v"
    subprocess.run(["ip", "link", "add", veth + "0", "type", "veth", "peer", "name",
                    veth + "1"], check=True)
    try:
        for i in "01":
            subprocess.run(["ip", "link", "set", veth + i, "up"], check=True)
        chain = tmp_path / "caps.yaml"
        chain.write_text("""version: 1
ports:
  - {name: t, driver: tap, iface: %(tag)st}
  - {name: p, driver: af_packet, iface: %(veth)s0}
  - {name: v, driver: vhost, socket: %(tmp)s/v.sock}
vnfs:
  - {name: f1, class: forward, port: p}
  - {name: f2, class: forward, port: t}
chains:
  - {name: c1, ingress: t, vnfs: [f1]}
  - {name: c2, ingress: p, vnfs: [f2]}
""" % {"tag": tag, "veth": veth, "tmp": tmp_path})
        docs = render_to(tmp_path, str(chain), "--network", "host")
        caps = docs["daemonset.yaml"]["spec"]["template"]["spec"]["containers"][0][
            "securityContext"]["capabilities"]["add"]
        assert sorted(caps) == ["NET_ADMIN", "NET_RAW"]
        sock = str(tmp_path / "s.sock")
        rc, out = run_with_caps(caps, str(chain), tag + "c", sock)
        assert rc == 0, out
        for drop in caps:
            rc, out = run_with_caps([c for c in caps if c != drop], str(chain), tag + "c", sock)
            assert rc != 0, "nfvd started without %s:\n%s" % (drop, out)
    finally:
        subprocess.run(["ip", "link", "del", veth + "0"], check=False)
