#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# mkcorpus_ttrpc.py - write the seed corpus of fuzz_ttrpc to
# tests/fuzz/corpus/ttrpc/: ttrpc frame sequences carrying Task requests,
# hand-encoded (varints and length-delimited fields only).
import os, struct, sys

def varint(n):
    n &= (1 << 64) - 1
    out = b""
    while True:
        b = n & 0x7f
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out

def field(num, val):
    if isinstance(val, bool):
        val = int(val)
    if isinstance(val, int):
        return varint(num << 3) + varint(val)
    if isinstance(val, str):
        val = val.encode()
    return varint(num << 3 | 2) + varint(len(val)) + val

def msg(*fields):
    return b"".join(field(n, v) for n, v in fields if v is not None)

def request(method, payload, service="containerd.task.v2.Task"):
    md = msg((1, "containerd-namespace-ttrpc"), (2, "default"))
    return msg((1, service), (2, method), (3, payload), (5, md))

def frame(stream, data, ftype=1):
    return struct.pack(">IIBB", len(data), stream, ftype, 0) + data

def seq(*reqs):
    return b"".join(frame(2 * i + 1, request(m, p)) for i, (m, p) in enumerate(reqs))

B = "/tmp/husk-fuzz-bundle"
idx = lambda i, e=None: msg((1, i), (2, e))
create = lambda i: msg((1, i), (2, B), (3, msg((1, "overlay"), (2, "overlay"), (4, "lowerdir=/a"))),
                       (5, ""), (6, "/tmp/fifo-out"), (7, "/tmp/fifo-err"))
spec = msg((1, "types.containerd.io/opencontainers/runtime-spec/1/Process"), (2, '{"args":["sh"]}'))
exec_ = lambda i, e: msg((1, i), (2, e), (7, spec))
kill = lambda i, e, s, a=False: msg((1, i), (2, e), (3, s), (4, a))

seeds = {
    "lifecycle": seq(("Create", create("c1")), ("Connect", idx("c1")), ("State", idx("c1")),
                     ("Start", idx("c1")), ("State", idx("c1")), ("Kill", kill("c1", None, 15)),
                     ("Wait", idx("c1")), ("Delete", idx("c1")), ("Shutdown", idx("c1"))),
    "exec": seq(("Create", create("c1")), ("Start", idx("c1")), ("Exec", exec_("c1", "e1")),
                ("Exec", exec_("c1", "e1")), ("Start", idx("c1", "e1")),
                ("ResizePty", msg((1, "c1"), (2, "e1"), (3, 80), (4, 24))),
                ("CloseIO", msg((1, "c1"), (2, "e1"), (3, True))), ("Pids", idx("c1")),
                ("Kill", kill("c1", "e1", 9)), ("Delete", idx("c1", "e1")),
                ("Kill", kill("c1", None, 9, True)), ("Delete", idx("c1"))),
    "pause": seq(("Create", create("c2")), ("Start", idx("c2")), ("Pause", idx("c2")),
                 ("State", idx("c2")), ("Resume", idx("c2")), ("Stats", idx("c2")),
                 ("Update", msg((1, "c2"), (2, msg((1, "x"), (2, '{"memory":{}}'))))),
                 ("Checkpoint", msg((1, "c2"), (2, "/tmp/cp")))),
    "errors": seq(("State", idx("nope")), ("Start", idx("-bad-")), ("Create", create("")),
                  ("Frob", b""), ("Create", b"\x0a\xff\xff\xff")),
    "bad-frames": frame(2, request("State", idx("c1"))) + frame(3, b"\x0a\x05ab", 3)
                  + frame(5, b"\xff\xff") + struct.pack(">IIBB", 5 << 20, 7, 1, 0),
    "truncated": frame(1, request("Connect", idx("c1")))[:-3],
    "empty": b"",
}

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "ttrpc")
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
