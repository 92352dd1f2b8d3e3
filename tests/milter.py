"""A minimal milter (Sendmail milter protocol 6) on loopback for tests with the real
postfix: at the end of each message it inserts the headers its `stamp` gives for the
envelope sender, each at its index, as OpenDKIM and OpenDMARC do
(`smfi_insheader(ctx, 1, "Authentication-Results", ...)`)."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable

Stamp = Callable[[str], list[tuple[int, str, str]]]  # sender -> [(index, name, value)]


class Milter:
    def __init__(self, stamp: Stamp) -> None:
        self.stamp = stamp
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def start(self) -> Milter:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        self.sock.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        sender = ""
        with conn:
            try:
                while True:
                    (size,) = struct.unpack(">I", _exact(conn, 4))
                    packet = _exact(conn, size)
                    cmd, data = packet[:1], packet[1:]
                    if cmd == b"O":  # negotiation: protocol 6, may add headers
                        _send(conn, b"O", struct.pack(">III", 6, 0x01, 0))
                    elif cmd == b"M":
                        sender = data.split(b"\0", 1)[0].decode().strip("<>")
                        _send(conn, b"c")
                    elif cmd == b"E":
                        for index, name, value in self.stamp(sender):
                            body = f"{name}\0{value}\0".encode()
                            _send(conn, b"i", struct.pack(">I", index) + body)
                        _send(conn, b"c")
                    elif cmd == b"Q":
                        return
                    elif cmd not in (b"D", b"A"):  # macros and aborts get no reply
                        _send(conn, b"c")
            except (EOFError, OSError):
                return


def _exact(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def _send(conn: socket.socket, cmd: bytes, data: bytes = b"") -> None:
    conn.sendall(struct.pack(">I", len(data) + 1) + cmd + data)
