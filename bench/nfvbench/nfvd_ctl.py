# SPDX-License-Identifier: BSD-3-Clause
"""One request on nfvd's control socket: a JSON line each way (protocol
version 1, docs/control.md), for nfv-bench and the bench scripts."""
import json
import socket


class NfvdCtlError(RuntimeError):
    pass


def request(path, cmd, timeout=10, **args):
    """cmd with args on the socket at path; its result, or NfvdCtlError
    when nfvd refuses it (OSError when it does not answer)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        req = {"v": 1, "id": 1, "cmd": cmd}
        if args:
            req["args"] = args
        s.sendall((json.dumps(req) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    r = json.loads(buf)
    if not r.get("ok"):
        raise NfvdCtlError("nfvd %s: %s" % (cmd, r.get("error")))
    return r["result"]
