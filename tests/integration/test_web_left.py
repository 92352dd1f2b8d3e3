"""A visitor who leaves while their form's body is still coming, inside a real
`maild serve`: their connection reset is no fault of the store's disk. It was logged
as one (WARNING «not served: ConnectionResetError») and the «try later» page read
the form again for a client gone."""

from __future__ import annotations

import socket
import struct
import time
from urllib.parse import urlsplit

import pytest

from tests.helpers import make_mail, wait_until
from tests.integration.test_web import mail_in
from tests.webclient import link_in, running_site


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    yield from running_site(tmp_path_factory.mktemp("left"))


def left_mid_body(url: str, reset: bool) -> None:
    """A form's POST to `url` declaring 100,000 bytes, 1,000 sent, then the
    connection closed: reset (RST) or plainly (FIN)."""
    parts = urlsplit(url)
    head = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
        s.sendall(head.encode() + b"text=" + b"a" * 995)
        time.sleep(0.5)
        if reset:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@pytest.mark.parametrize("reset", [True, False])
def test_a_visitor_gone_mid_post_is_no_disk_fault(site, reset):
    _desk, daemon, sink, base = site
    customer = f"left{int(reset)}@client.example"
    mail_in(daemon, make_mail(sender=customer, body="Вопрос."), sender=customer)
    [conf] = wait_until(lambda: sink.to(customer), 20)
    link = link_in(conf.text, base)
    before = len(daemon.logtext())
    left_mid_body(link + "/reply", reset)
    assert wait_until(lambda: "web POST /t/…/reply" in daemon.logtext()[before:], 20)
    time.sleep(0.3)
    said = daemon.logtext()[before:]
    assert "not served" not in said and "WARNING" not in said, said
    assert "INFO: web POST /t/…/reply: the client left: " in said, said
    assert "web POST /t/…/reply 499 " in said, said
