# SPDX-License-Identifier: BSD-3-Clause
"""The bench file: YAML, checked with file:line:column on every error."""
import yaml


class ConfigError(ValueError):
    pass


DEFAULTS = {
    "name": "nfv-bench",
    "sizes": [64, 512, 1518, "imix"],
    "flows": 1024,
    "ip": "ipv4",
    "trial_ms": 1000,
    "search": {"pdr": 0.005, "resolution": 0.01, "verify_retries": 1, "max_pps": 0,
               "gap_retries": 2, "gap_excuse": True, "gap_us": 50},
    "latency_loads": [10, 50, 90, 99],
    "loss_steps": [100, 90, 80, 70, 60, 50, 40, 30, 20, 10],
    "back_to_back": {"max_ms": 20, "enabled": True},
    "cores": {"gen": 0, "dut": [0, 1]},
    "traffic": {},
    "wiring": "memif",
    "bidirectional": False,
    "pairs": 1,
    "ring_slots": 4096,
    "recycle": 0,
    "isolate": False,
    "systems": [],
}

KEYS = {
    "name": str, "sizes": list, "flows": int, "ip": str, "trial_ms": int, "search": dict,
    "latency_loads": list, "loss_steps": list, "back_to_back": dict, "cores": dict, "traffic": dict,
    "systems": list, "selfcheck": bool, "wiring": str, "bidirectional": bool,
    "pairs": int, "ring_slots": int, "isolate": bool, "recycle": int,
}
SEARCH_KEYS = {"pdr": (int, float), "resolution": (int, float), "verify_retries": int, "max_pps": (int, float),
               "gap_retries": int, "gap_excuse": bool, "gap_us": (int, float)}
SYSTEM_KEYS = {"name": str, "kind": str, "chain": str, "in": str, "out": str, "police_pps": (int, float),
               "traffic": dict, "cores": dict,
               "police_depth_ms": (int, float), "gen_rxq": int, "pair_ports": list, "recycle": int}
TRAFFIC_KEYS = {"src": str, "dst": str, "dmac": str, "dmac_out": str, "sport": int, "dport": int}
KINDS = ("nfvd", "testpmd", "ovs", "police", "loop")


def _where(path, node):
    m = node.start_mark
    return "%s:%d:%d" % (path, m.line + 1, m.column + 1)


def _fail(path, node, field, msg):
    raise ConfigError("%s: %s: %s" % (_where(path, node), field, msg))


def _check_map(path, node, data, keys, prefix):
    if not isinstance(node, yaml.MappingNode):
        _fail(path, node, prefix or "(top)", "expected a mapping")
    for knode, vnode in node.value:
        k = knode.value
        field = (prefix + "." if prefix else "") + k
        if k not in keys:
            _fail(path, knode, field, "unknown key (known: %s)" % ", ".join(sorted(keys)))
        want = keys[k]
        v = data[k]
        if isinstance(v, bool) and want is not bool and bool not in (want if isinstance(want, tuple) else (want,)):
            _fail(path, vnode, field, "expected %s, got a boolean" % _tname(want))
        if not isinstance(v, want):
            _fail(path, vnode, field, "expected %s" % _tname(want))


def _tname(t):
    if isinstance(t, tuple):
        return " or ".join(x.__name__ for x in t)
    return {"str": "a string", "int": "an integer", "list": "a list", "dict": "a mapping",
            "float": "a number", "bool": "true or false"}.get(t.__name__, t.__name__)


def _child(node, key):
    for k, v in node.value:
        if k.value == key:
            return v
    return node


def load(path):
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        raise ConfigError("%s: %s" % (path, e.strerror))
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        m = getattr(e, "problem_mark", None)
        loc = "%s:%d:%d" % (path, m.line + 1, m.column + 1) if m else path
        raise ConfigError("%s: %s" % (loc, getattr(e, "problem", None) or e))
    if root is None:
        raise ConfigError("%s:1:1: (top): empty file" % path)
    _check_map(path, root, data, KEYS, "")
    for key, keys in (("search", SEARCH_KEYS), ("traffic", TRAFFIC_KEYS)):
        if key in data:
            _check_map(path, _child(root, key), data[key], keys, key)
    srch = data.get("search") or {}
    if "gap_us" in srch and not srch["gap_us"] > 0:
        _fail(path, _child(_child(root, "search"), "gap_us"), "search.gap_us",
              "a number > 0 (microseconds off-core that count as a gap)")
    if "gap_retries" in srch and not 0 <= srch["gap_retries"] <= 10:
        _fail(path, _child(_child(root, "search"), "gap_retries"), "search.gap_retries", "0..10")
    sizes_node = _child(root, "sizes")
    for i, s in enumerate(data.get("sizes", [])):
        ok = s == "imix" or (isinstance(s, int) and not isinstance(s, bool) and 64 <= s <= 1518)
        if not ok:
            _fail(path, sizes_node.value[i], "sizes[%d]" % i, "a frame size 64..1518 or imix")
    if not 1 <= data.get("pairs", 1) <= 4:
        _fail(path, _child(root, "pairs"), "pairs", "1..4 port pairs (nfv-gen drives up to 8 ports)")
    rs = data.get("ring_slots", 4096)
    top = 16384 if data.get("wiring") == "ring" else 8192
    if not (isinstance(rs, int) and 256 <= rs <= top and rs & (rs - 1) == 0):
        _fail(path, _child(root, "ring_slots"), "ring_slots",
              "a power of two 256..%d (memif rings up to 8192, shared rings of wiring ring up to "
              "16384; vhost stays at 1024)" % top)
    if data.get("wiring", "memif") not in ("memif", "vhost", "ring"):
        _fail(path, _child(root, "wiring"), "wiring", "memif, vhost or ring")
    if "recycle" in data and not 0 <= data["recycle"] <= 32:
        _fail(path, _child(root, "recycle"), "recycle",
              "0..32: send received frames again, rewritten every N sends (0: off)")
    if data.get("recycle") and data.get("wiring", "memif") != "ring":
        _fail(path, _child(root, "recycle"), "recycle",
              "only with wiring ring (the DUT must hand back nfv-gen's own frames)")
    if data.get("ip", "ipv4") not in ("ipv4", "ipv6"):
        _fail(path, _child(root, "ip"), "ip", "ipv4 or ipv6")
    if "flows" in data and not 1 <= data["flows"] <= 65536:
        _fail(path, _child(root, "flows"), "flows", "1..65536")
    if "trial_ms" in data and data["trial_ms"] < 10:
        _fail(path, _child(root, "trial_ms"), "trial_ms", "at least 10")
    sys_node = _child(root, "systems")
    names = set()
    for i, s in enumerate(data.get("systems", [])):
        n = sys_node.value[i]
        _check_map(path, n, s, SYSTEM_KEYS, "systems[%d]" % i)
        for req in ("name", "kind"):
            if req not in s:
                _fail(path, n, "systems[%d].%s" % (i, req), "required")
        if s["kind"] not in KINDS:
            _fail(path, _child(n, "kind"), "systems[%d].kind" % i, "one of " + ", ".join(KINDS))
        if s["kind"] == "nfvd" and "chain" not in s:
            _fail(path, n, "systems[%d].chain" % i, "required for kind nfvd (a chain file)")
        if "recycle" in s and not 0 <= s["recycle"] <= 32:
            _fail(path, _child(n, "recycle"), "systems[%d].recycle" % i, "0..32 (0: off)")
        if s["kind"] == "police" and not s.get("police_pps"):
            _fail(path, n, "systems[%d].police_pps" % i, "required for kind police")
        if s["name"] in names or s["name"] == "selfcheck":
            _fail(path, _child(n, "name"), "systems[%d].name" % i, "duplicate or reserved name")
        names.add(s["name"])
    if not data.get("systems") and data.get("selfcheck") is False:
        # systems: [] with the self-check measures the measuring side alone
        _fail(path, root, "systems", "at least one system to measure (or the self-check)")
    cfg = {}
    for k, v in DEFAULTS.items():
        cfg[k] = dict(v) if isinstance(v, dict) else v
    for k, v in data.items():
        if isinstance(v, dict) and isinstance(cfg.get(k), dict):
            cfg[k].update(v)
        else:
            cfg[k] = v
    cfg.setdefault("selfcheck", True)
    return cfg
