"""wsforward.py - a client of the CRI streaming server's port forwarding
over WebSocket (what the kubelet relays for `kubectl port-forward`), from
the Python standard library: the URL of a CRI PortForward answer, with
"?port=N", upgraded to the "v4.channel.k8s.io" subprotocol. Each binary
message starts with its channel's number: 0 carries the port's data, 1
its errors; the server first writes the port (2 bytes, little-endian) on
both. forward() sends one request and returns what came back on each
channel until the server closes (the pod's side ended the connection).
"""
import base64
import os
import socket
import struct
import urllib.parse

PROTOCOL = "v4.channel.k8s.io"


def _recv_exact(sock, n):
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise EOFError("the streaming server closed mid-frame")
        out += chunk
    return out


def _send_frame(sock, opcode, payload):
    """One masked frame (a client must mask what it sends)."""
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 1 << 16:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", n)
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(head + mask + body)


def _read_frame(sock):
    """(opcode, payload) of the next frame; the server does not mask."""
    b0, b1 = _recv_exact(sock, 2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack(">H", _recv_exact(sock, 2))[0]
    elif n == 127:
        n = struct.unpack(">Q", _recv_exact(sock, 8))[0]
    mask = _recv_exact(sock, 4) if b1 & 0x80 else None
    data = _recv_exact(sock, n)
    if mask:
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    return b0 & 0x0F, data


def _upgrade(sock, url, port):
    u = urllib.parse.urlparse(url)
    key = base64.b64encode(os.urandom(16)).decode()
    req = ("GET %s?port=%d HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Protocol: %s\r\n\r\n") % (u.path, port, u.netloc, key, PROTOCOL)
    sock.sendall(req.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            raise EOFError("no upgrade answer: %r" % head)
        head += chunk
    status = head.split(b"\r\n", 1)[0].decode(errors="replace")
    if " 101 " not in status + " ":
        raise ConnectionError("upgrade refused: %s" % status)


def forward(url, port, request, timeout=30):
    """Send @request to @port through the forward at @url; return
    (data, error) as received on channels 0 and 1, port bytes removed."""
    u = urllib.parse.urlparse(url)
    with socket.create_connection((u.hostname, u.port), timeout) as sock:
        _upgrade(sock, url, port)
        _send_frame(sock, 0x2, b"\x00" + request)
        got = {0: b"", 1: b""}
        while True:
            try:
                op, data = _read_frame(sock)
            except (EOFError, ConnectionResetError):
                break
            if op == 0x8:   # close
                break
            if op == 0x9:   # ping
                _send_frame(sock, 0xA, data)
                continue
            if op in (0x1, 0x2) and data and data[0] in got:
                got[data[0]] += data[1:]
    for ch in got:
        want = struct.pack("<H", port)
        if not got[ch].startswith(want):
            raise ConnectionError("channel %d does not start with port %d: %r" % (
                ch, port, got[ch][:20]))
        got[ch] = got[ch][2:]
    return got[0], got[1]
