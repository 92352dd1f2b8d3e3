"""Requests aiohttp's parser refuses before maild's middleware sees them, sent raw to
the site of a real `maild serve`: the log has one WARNING line for each, no
traceback, no token; and the site goes on serving."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest

from tests.integration.test_serve import wait_until
from tests.webclient import request, running_site

TOKEN = "4821-7730.1.SECRETTOKENx"
LINE = f"/t/{TOKEN}".encode()
MALFORMED = {
    "an 8-bit byte in the path": b"GET " + LINE + b"\xff HTTP/1.1\r\nHost: x\r\n\r\n",
    "a header over 8190 bytes": b"GET "
    + LINE
    + b" HTTP/1.1\r\nHost: x\r\nX: "
    + b"a" * 9000
    + b"\r\n\r\n",
    "a path over 8190 bytes": b"GET " + LINE + b"?" + b"q" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "a bad chunk size": b"POST " + LINE + b"/reply HTTP/1.1\r\nHost: x\r\n"
    b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    "HTTP/2's preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "a space in the path": b"GET " + LINE + b" x HTTP/1.1\r\nHost: x\r\n\r\n",
    # a second request on the connection: aiohttp logs a bad method at first as DEBUG
    "an unknown method, second": (
        b"GET /new HTTP/1.1\r\nHost: x\r\n\r\n",
        b"FOO " + LINE + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    ),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    yield from running_site(tmp_path_factory.mktemp("malformed"))


def raw(base: str, data: bytes | tuple[bytes, ...]) -> bytes:
    """What the site answers to `data` (its parts sent 0.3 s apart) on one connection."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
        for n, part in enumerate((data,) if isinstance(data, bytes) else data):
            time.sleep(0.3 if n else 0)
            s.sendall(part)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out


@pytest.mark.parametrize("what", list(MALFORMED))
def test_a_malformed_request_is_one_warning_without_traceback_or_token(site, what):
    _desk, daemon, _sink, base = site
    before = len(daemon.logtext())
    answer = raw(base, MALFORMED[what])
    assert b" 400 Bad Request\r\n" in answer
    said = lambda: daemon.logtext()[before:]  # noqa: E731
    assert wait_until(lambda: "malformed request refused" in said(), 5), said()
    log = said()
    assert "Traceback" not in log and "SECRETTOKEN" not in log and "ERROR" not in log, log
    [line] = [x for x in log.splitlines() if "malformed request refused" in x]
    assert line.startswith("maild: WARNING: web: ")
    assert "qqq" not in line and "b'" not in line, line  # none of the request's bytes
    assert request(base + "/new").status == 200  # the site serves on


def _post(body: bytes, *headers: bytes) -> bytes:
    return (
        b"POST /new HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        + b"".join(h + b"\r\n" for h in headers)
        + b"Content-Length: %d\r\n\r\n" % len(body)
        + body
    )


_PART = (
    b'--b\r\nContent-Disposition: form-data; name="text"\r\n'
    b"Content-Transfer-Encoding: x-uuencode\r\n\r\nhi\r\n--b--\r\n"
)
_NAMELESS = (
    b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename*=utf-8''%FF%FE.png"
    b"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n\r\n--b--\r\n"
)
BODIES = {
    "a form part of an unknown Content-Transfer-Encoding": _post(
        _PART, b"Content-Type: multipart/form-data; boundary=b"
    ),
    "a file whose name does not decode": _post(
        _NAMELESS, b"Content-Type: multipart/form-data; boundary=b"
    ),
    "a body whose deflate does not decode": _post(
        b"\x78\x9cgarbage",
        b"Content-Type: application/x-www-form-urlencoded",
        b"Content-Encoding: deflate",
    ),
}


@pytest.mark.parametrize("what", list(BODIES))
def test_a_form_body_that_does_not_read_is_a_400_without_an_error(site, what):
    """aiohttp's multipart reader raised RuntimeError on an x-uuencode part, its
    payload reader RequestPayloadError on a deflate that is not: each was a 500, an
    ERROR and tracebacks in the log (one request is all it takes). A file whose
    filename*= aiohttp cannot decode came as text and was dropped, the page saying
    all was added."""
    _desk, daemon, _sink, base = site
    before = len(daemon.logtext())
    answer = raw(base, BODIES[what])
    assert b" 400 Bad Request\r\n" in answer, answer[:200]
    assert "Запрос не понят".encode() in answer
    assert request(base + "/new").status == 200  # the site serves on
    time.sleep(0.5)
    log = daemon.logtext()[before:]
    assert "Traceback" not in log and "ERROR" not in log, log


def test_a_path_with_line_breaks_writes_no_line_of_its_own_into_the_log(site):
    """request.path is percent-decoded: GET /new%0amaild: ERROR: … wrote a line of the
    visitor's choosing into the log (an ERROR, a «Traceback»), which one reading the
    log or a monitor counting its ERROR lines took for maild's own."""
    _desk, daemon, _sink, base = site
    before = len(daemon.logtext())
    forged = "/new%0amaild:%20ERROR:%20web%20GET%20/%20failed%0d%0aTraceback%1b[2J"
    assert request(base + forged).status == 404
    said = lambda: daemon.logtext()[before:]  # noqa: E731
    assert wait_until(lambda: "web GET /new" in said(), 5), said()
    [line] = [x for x in said().splitlines() if "web GET /new" in x]
    assert line.startswith("maild: INFO: web GET /new\\nmaild: ERROR: web GET / failed\\r\\n")
    assert "\x1b" not in said() and not any(
        x.startswith(("maild: ERROR", "Traceback")) for x in said().splitlines()
    ), said()
