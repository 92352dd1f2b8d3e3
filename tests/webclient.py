"""A small HTTP client for the site tests: no redirects followed, multipart forms."""

from __future__ import annotations

import http.client
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from tests.helpers import Daemon, Desk, Sink, free_port


@dataclass
class Page:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def form_token(self) -> str:
        return re.search(r'name="form" value="([^"]+)"', self.text).group(1)


def request(url: str, method: str = "GET", body: bytes = b"", headers=None) -> Page:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, path, body=body or None, headers=headers or {})
        r = conn.getresponse()
        return Page(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        conn.close()


def post(url: str, fields: dict[str, str], files=(), headers=None) -> Page:
    """multipart/form-data, as a browser sends it; files: (name, type, bytes)."""
    boundary = uuid.uuid4().hex
    out = []
    for k, v in fields.items():
        out.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        )
    for name, ctype, data in files:
        out.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="{name}"\r\nContent-Type: {ctype}\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    out.append(f"--{boundary}--\r\n".encode())
    h = {"Content-Type": f"multipart/form-data; boundary={boundary}", **(headers or {})}
    return request(url, "POST", b"".join(out), h)


def site_desk(root, relay_port: int, **sections) -> tuple[Desk, str]:
    """A Desk with an SMTP listener and the site on free loopback ports; its base URL."""
    web_port = free_port()
    base = f"http://127.0.0.1:{web_port}"
    web = {"listen": f"127.0.0.1:{web_port}", "base_url": base, **sections.pop("web", {})}
    desk = Desk(root, relay_port, smtp={"listen": f"127.0.0.1:{free_port()}"}, web=web, **sections)
    return desk, base


def running_site(root, *, pace=None, **sections) -> Iterator[tuple[Desk, Daemon, Sink, str]]:
    """`maild serve` with the site, on a store in `root`, its relay a Sink: for a
    module's fixture (desk, daemon, sink, base URL: the site's local address);
    stopped cleanly after. `sections`: more config (site_desk); `pace`: Daemon's."""
    sink = Sink().start()
    desk, base = site_desk(root, sink.port, **sections)
    daemon = Daemon(desk, pace=pace).start()
    deadline = time.monotonic() + 10
    while "site on" not in daemon.logtext() and time.monotonic() < deadline:
        time.sleep(0.05)
    yield desk, daemon, sink, base
    assert daemon.stop() == 0
    sink.stop()


def link_in(text: str, base: str, kind: str = "t") -> str:
    return re.search(re.escape(base) + rf"/{kind}/[A-Za-z0-9_.-]+", text).group(0)
