#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Render Kubernetes manifests that run an nfvd chain file on every node.

    deploy/kubernetes/render.py [CHAIN.yaml] [-o DIR] [--network host|multus]
                                [--namespace NS] [--image IMAGE] ...

Writes into DIR, or all as one stream to stdout (default; for
"| kubectl apply -f -"):
  configmap.yaml        the chain file, adapted to the pod (control socket,
                        metrics on all addresses, vhost sockets in the shared
                        host folder, multus interface names)
  daemonset.yaml        nfvd on every node selected: hugepages, the minimum
                        capabilities for the chain's port drivers, liveness
                        from "nfvctl status", Prometheus scrape annotations
  nad-<port>.yaml       Multus NetworkAttachmentDefinitions: the pod's data
                        ports (--network multus) and the guests' vhost-user
                        NICs
  vm-<vnf>.yaml         a KubeVirt VirtualMachine for each "runtime: vm" VNF,
                        its NICs joined to nfvd by vhost-user

What each piece does, and what was and was not tested: docs/kubernetes.md.
Needs python3-yaml only.
"""
import argparse
import copy
import json
import os
import re
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_CHAINS = [os.path.join(REPO, "chains", "examples", "two-hosts", "host-a.yaml"),
                  os.path.join(REPO, "chains", "examples", "lab.yaml")]

POD_SOCKET_DIR = "/run/nfvd"                 # control socket, in the pod
CHAIN_DIR = "/etc/nfvd"                      # the ConfigMap, in the pod
VHOST_DIR = "/var/run/nfvd/vhost"            # host folder shared with the guests
GUEST_DIR = "/usr/share/nfvd/guest"          # guest kernel + initrd in the image
STATE_DIR = "/var/lib/nfvd"                  # files nfvd writes (DHCP lease journals)

# The capabilities each port driver needs (measured with setpriv on this
# machine: tests/system/test_k8s_manifests.py starts nfvd with exactly the
# set rendered; docs/kubernetes.md says why each is needed). Hugepages
# (hugetlbfs emptyDir) and vhost-user sockets need none: EAL runs in IOVA
# VA mode without CAP_SYS_ADMIN, which every vdev driver and vfio accept.
DRIVER_CAPS = {
    "tap": {"NET_ADMIN"},                          # TUNSETIFF, link up, MAC
    "af_packet": {"NET_RAW", "NET_ADMIN"},         # packet socket; promiscuous mode
    "af_xdp": {"NET_RAW", "NET_ADMIN", "IPC_LOCK", "SYS_ADMIN"},  # XSK, XDP prog, UMEM
    "pci": {"IPC_LOCK"},                           # vfio DMA maps pin memory
    "vhost": set(),
    "memif": set(),
    "pcap": set(),
    "ring": set(),
    "null": set(),
    "vxlan": set(),                                # sent through the underlay port
    "geneve": set(),
}
KERNEL_IFACE_DRIVERS = ("af_packet", "af_xdp", "tap")


class RenderError(Exception):
    pass


class Dumper(yaml.SafeDumper):
    """No &anchors/*aliases (kubectl reads them, people do not); multi-line
    strings (the chain file in the ConfigMap) as | blocks."""

    def ignore_aliases(self, data):
        return True


def _str(dumper, s):
    if "\n" in s:
        return dumper.represent_scalar("tag:yaml.org,2002:str", s, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", s)


Dumper.add_representer(str, _str)


def load_chain(path):
    with open(path) as f:
        doc = yaml.safe_load(f)
    if not isinstance(doc, dict) or not isinstance(doc.get("ports"), list):
        raise RenderError("%s: not a chain file (no ports: list)" % path)
    return doc


def k8s_name(s):
    """A DNS-1123 label from a chain name (lower case, [a-z0-9-])."""
    n = re.sub(r"[^a-z0-9-]+", "-", s.lower()).strip("-")
    if not n:
        raise RenderError("cannot make a Kubernetes name of %r" % s)
    return n[:63]


def classify_ports(chain):
    """-> {port name: role}: underlay (carries a tunnel), tunnel, guest
    (a guest NIC, vhost), data (the rest)."""
    roles = {}
    guest_ports = set()
    for v in chain.get("vnfs") or []:
        if v.get("runtime") == "vm":
            for nic in (v.get("vm") or {}).get("nics") or []:
                guest_ports.add(nic.get("port", nic.get("name")))
    underlays = {p.get("underlay") for p in chain["ports"] if p.get("underlay")}
    for p in chain["ports"]:
        name = p["name"]
        if p.get("driver") in ("vxlan", "geneve"):
            roles[name] = "tunnel"
        elif name in underlays:
            roles[name] = "underlay"
        elif name in guest_ports:
            roles[name] = "guest"
        else:
            roles[name] = "data"
    return roles


def capabilities(chain):
    caps = set()
    for p in chain["ports"]:
        d = p.get("driver", "")
        if d not in DRIVER_CAPS:
            raise RenderError("port %s: driver %s: no capability rule (add it to "
                              "DRIVER_CAPS in render.py)" % (p["name"], d))
        caps |= DRIVER_CAPS[d]
    return sorted(caps)


def pod_chain(chain, args, roles):
    """The chain file as the pod runs it, and the multus attachments."""
    c = copy.deepcopy(chain)
    d = c.setdefault("nfvd", {}) or {}
    c["nfvd"] = d
    d["socket"] = POD_SOCKET_DIR + "/nfvd.sock"
    d["metrics"] = "0.0.0.0:%d" % args.metrics_port
    d["file-prefix"] = "nfvd"
    attach = []          # (port, nad name, pod interface, NAD config)
    n = 0
    for p in c["ports"]:
        role = roles[p["name"]]
        if p.get("driver") == "vhost":
            p["socket"] = "%s/%s.sock" % (VHOST_DIR, p["name"])
            continue
        if args.network != "multus" or p.get("driver") not in KERNEL_IFACE_DRIVERS:
            continue
        # the pod has its own network namespace: every kernel-interface
        # port opens a Multus interface; a tap port would make an interface
        # only the pod sees, so it becomes af_packet on the attachment
        n += 1
        ifc = "net%d" % n
        host_if = p.get("iface", p["name"])
        if role == "underlay":
            # the node's underlay NIC itself, moved into the pod
            conf = {"type": "host-device", "device": host_if}
        else:
            conf = {"type": "macvlan", "master": args.master or host_if, "mode": "bridge"}
        if p.get("driver") == "tap":
            p["driver"] = "af_packet"
            p.pop("mac", None)
        p["iface"] = ifc
        attach.append((p["name"], "nfvd-%s" % k8s_name(p["name"]), ifc, conf))
    for v in c.get("vnfs") or []:
        # the chain's folder is the read-only ConfigMap: what nfvd writes
        # goes to the node's state folder (kept across pod restarts)
        if v.get("class") == "dhcp" and v.get("lease-file"):
            v["lease-file"] = "%s/%s" % (STATE_DIR, os.path.basename(str(v["lease-file"])))
        if v.get("runtime") != "vm":
            continue
        img = (v.get("vm") or {}).get("image") or {}
        for k in ("kernel", "initrd", "disk"):
            if k in img:
                img[k] = "%s/%s" % (GUEST_DIR, os.path.basename(str(img[k])))
    return c, attach


def nad(name, ns, conf, note):
    cfg = {"cniVersion": "0.3.1", "name": name}
    cfg.update(conf)
    return {
        "apiVersion": "k8s.cni.cncf.io/v1",
        "kind": "NetworkAttachmentDefinition",
        "metadata": {"name": name, "namespace": ns,
                     "annotations": {"nfvd.io/purpose": note}},
        "spec": {"config": json.dumps(cfg, sort_keys=True)},
    }


def daemonset(args, chain, attach, caps, has_vhost, has_pci, has_state):
    labels = {"app.kubernetes.io/name": "nfvd", "app.kubernetes.io/instance": args.name}
    sock = chain["nfvd"]["socket"]
    annotations = {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(args.metrics_port),
        "prometheus.io/path": "/metrics",
    }
    if attach:
        annotations["k8s.v1.cni.cncf.io/networks"] = json.dumps(
            [{"name": a[1], "interface": a[2]} for a in attach])
    probe_cmd = ["nfvctl", "-s", sock, "status"]
    mounts = [
        {"name": "chain", "mountPath": CHAIN_DIR, "readOnly": True},
        {"name": "hugepages", "mountPath": "/dev/hugepages"},
        {"name": "run", "mountPath": POD_SOCKET_DIR},
        {"name": "dpdk-run", "mountPath": "/var/run/dpdk"},
    ]
    volumes = [
        {"name": "chain", "configMap": {"name": args.name + "-chain"}},
        {"name": "hugepages", "emptyDir": {"medium": "HugePages-2Mi"}},
        {"name": "run", "emptyDir": {}},
        {"name": "dpdk-run", "emptyDir": {"medium": "Memory"}},
    ]
    if has_vhost:
        mounts.append({"name": "vhost", "mountPath": VHOST_DIR})
        volumes.append({"name": "vhost",
                        "hostPath": {"path": VHOST_DIR, "type": "DirectoryOrCreate"}})
    if has_state:
        mounts.append({"name": "state", "mountPath": STATE_DIR})
        volumes.append({"name": "state", "hostPath": {"path": "%s/%s" % (STATE_DIR, args.name),
                                                      "type": "DirectoryOrCreate"}})
    if has_pci:
        mounts.append({"name": "vfio", "mountPath": "/dev/vfio"})
        volumes.append({"name": "vfio", "hostPath": {"path": "/dev/vfio"}})
    res = {"cpu": str(args.cpus), "memory": "%dMi" % args.memory_mib,
           "hugepages-2Mi": "%dMi" % args.hugepages_mib}
    container = {
        "name": "nfvd",
        "image": args.image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["nfvd", "-s", sock, CHAIN_DIR + "/chain.yaml"],
        "ports": [{"name": "metrics", "containerPort": args.metrics_port, "protocol": "TCP"}],
        # requests == limits: Guaranteed QoS, so the static CPU manager
        # gives the workers whole cores (EAL takes the pod's cpuset)
        "resources": {"requests": dict(res), "limits": dict(res)},
        "securityContext": {
            "privileged": False,
            "allowPrivilegeEscalation": False,
            "runAsUser": 0,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"], "add": caps},
        },
        "volumeMounts": mounts,
        # nfvd start-up (EAL, ports) is bounded by its --start-timeout (60 s)
        "startupProbe": {"exec": {"command": probe_cmd}, "periodSeconds": 2,
                         "timeoutSeconds": 5, "failureThreshold": 45},
        "livenessProbe": {"exec": {"command": probe_cmd}, "periodSeconds": 10,
                          "timeoutSeconds": 5, "failureThreshold": 3},
    }
    pod = {
        "hostNetwork": args.network == "host",
        "dnsPolicy": "ClusterFirstWithHostNet" if args.network == "host" else "ClusterFirst",
        "nodeSelector": {"nfvd.io/node": "true"},
        # SIGTERM: nfvd drains and prints its summary
        "terminationGracePeriodSeconds": 30,
        "containers": [container],
        "volumes": volumes,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": args.name, "namespace": args.namespace, "labels": labels},
        "spec": {
            "selector": {"matchLabels": labels},
            "updateStrategy": {"type": "RollingUpdate",
                               "rollingUpdate": {"maxUnavailable": 1}},
            "template": {"metadata": {"labels": labels, "annotations": annotations},
                         "spec": pod},
        },
    }


def virtual_machine(args, vnf, vhost_nads):
    vm = vnf.get("vm") or {}
    img = vm.get("image") or {}
    nics = vm.get("nics") or []
    name = k8s_name(vnf["name"])
    interfaces, networks = [], []
    for nic in nics:
        port = nic.get("port", nic["name"])
        nname = k8s_name(nic["name"])
        interfaces.append({"name": nname, "binding": {"name": "vhostuser"}})
        networks.append({"name": nname, "multus": {"networkName": vhost_nads[port]}})
    cmdline = img.get("cmdline", "quiet")
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachine",
        "metadata": {"name": name, "namespace": args.namespace,
                     "labels": {"app.kubernetes.io/name": "nfvd-guest",
                                "nfvd.io/vnf": vnf["name"],
                                "nfvd.io/class": str(vnf.get("class", "vm"))}},
        "spec": {
            "runStrategy": "Always",
            "template": {
                "metadata": {"labels": {"nfvd.io/vnf": vnf["name"]}},
                "spec": {
                    # vhost-user is node-local: the guest runs beside an nfvd
                    "nodeSelector": {"nfvd.io/node": "true"},
                    "domain": {
                        "cpu": {"cores": int(vm.get("vcpus", 1))},
                        # vhost-user needs guest memory nfvd can map: hugepages
                        "memory": {"guest": "%dMi" % int(vm.get("memory", 256)),
                                   "hugepages": {"pageSize": "2Mi"}},
                        "firmware": {"kernelBoot": {
                            "kernelArgs": cmdline,
                            "container": {
                                "image": args.guest_image,
                                "kernelPath": "/boot/" + os.path.basename(
                                    str(img.get("kernel", "vmlinux"))),
                                "initrdPath": "/boot/" + os.path.basename(
                                    str(img.get("initrd", "nfvd.cpio.gz"))),
                            }}},
                        "devices": {"autoattachPodInterface": False,
                                    "interfaces": interfaces},
                    },
                    "networks": networks,
                },
            },
        },
    }


def render(chain_path, args):
    """-> [(file name, object)]"""
    chain = load_chain(chain_path)
    roles = classify_ports(chain)
    pchain, attach = pod_chain(chain, args, roles)
    caps = capabilities(pchain)  # of the ports as the pod opens them
    out = []
    text = "# rendered by deploy/kubernetes/render.py from %s\n%s" % (
        os.path.relpath(chain_path, REPO) if chain_path.startswith(REPO) else chain_path,
        yaml.dump(pchain, Dumper=Dumper, sort_keys=False, default_flow_style=False))
    out.append(("configmap.yaml", {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": args.name + "-chain", "namespace": args.namespace},
        "data": {"chain.yaml": text},
    }))
    drivers = {p.get("driver") for p in chain["ports"]}
    has_state = any(str(v.get("lease-file", "")).startswith(STATE_DIR + "/")
                    for v in pchain.get("vnfs") or [])
    out.append(("daemonset.yaml", daemonset(args, pchain, attach, caps, "vhost" in drivers,
                                            "pci" in drivers, has_state)))
    for port, name, ifc, conf in attach:
        out.append(("nad-%s.yaml" % k8s_name(port),
                    nad(name, args.namespace, conf,
                        "nfvd port %s (%s) as pod interface %s" % (port, roles[port], ifc))))
    vhost_nads = {}
    for p in pchain["ports"]:
        if p.get("driver") == "vhost" and roles[p["name"]] == "guest":
            name = "nfvd-vhost-%s" % k8s_name(p["name"])
            vhost_nads[p["name"]] = name
            # for the guest's vhost-user network binding: the socket nfvd
            # (client) connects to, QEMU in virt-launcher is the server
            out.append(("nad-vhost-%s.yaml" % k8s_name(p["name"]),
                        nad(name, args.namespace,
                            {"type": "vhostuser", "socket": p["socket"], "mode": "server"},
                            "vhost-user NIC of a guest, joined to nfvd port %s" % p["name"])))
    for v in chain.get("vnfs") or []:
        if v.get("runtime") == "vm":
            out.append(("vm-%s.yaml" % k8s_name(v["name"]),
                        virtual_machine(args, v, vhost_nads)))
    return out


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("chain", nargs="?", help="chain file (default: %s, else %s)" % (
        os.path.relpath(DEFAULT_CHAINS[0], REPO), os.path.relpath(DEFAULT_CHAINS[1], REPO)))
    ap.add_argument("-o", "--out", default="-",
                    help='output folder (one file per object); "-" (default): one '
                    'stream on stdout')
    ap.add_argument("--network", choices=("host", "multus"), default="host",
                    help="host: hostNetwork pod, ports open the node's interfaces "
                    "(Multus does not attach to such pods); multus: own network "
                    "namespace, each kernel-interface port a Multus attachment")
    ap.add_argument("--master", help="macvlan master for the Multus data ports "
                    "(default: the port's own iface)")
    ap.add_argument("--namespace", default="nfvd")
    ap.add_argument("--name", default="nfvd")
    ap.add_argument("--image", default="registry.example/nfvd:latest",
                    help="nfvd image: nfvd, nfvctl, DPDK 22.11 libraries, and the guest "
                    "kernel/initrd in %s when the chain has guests" % GUEST_DIR)
    ap.add_argument("--guest-image", default="registry.example/nfvd-guest:latest",
                    help="container with the guest's kernel and initrd in /boot")
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--memory-mib", type=int, default=512)
    ap.add_argument("--hugepages-mib", type=int, default=1024)
    ap.add_argument("--metrics-port", type=int, default=9464)
    args = ap.parse_args(argv)
    if args.chain is None:
        args.chain = next((c for c in DEFAULT_CHAINS if os.path.exists(c)), DEFAULT_CHAINS[-1])
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        docs = render(args.chain, args)
    except (OSError, yaml.YAMLError, RenderError, KeyError) as e:
        print("render.py: %s" % e, file=sys.stderr)
        return 1
    if args.out == "-":
        try:
            yaml.dump_all([d for _, d in docs], sys.stdout, Dumper=Dumper, sort_keys=False)
            sys.stdout.flush()
        except BrokenPipeError:  # | head
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    os.makedirs(args.out, exist_ok=True)
    for fname, d in docs:
        with open(os.path.join(args.out, fname), "w") as f:
            f.write("# rendered by deploy/kubernetes/render.py from %s\n" %
                    os.path.basename(args.chain))
            yaml.dump(d, f, Dumper=Dumper, sort_keys=False)
    print("\n".join(os.path.join(args.out, f) for f, _ in docs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
