"""The SMTP listener's DATA, read in blocks (adapters/listener.BlockData): the bytes
stored are the bytes sent, with aiosmtpd's answers for the limits."""

from __future__ import annotations

import smtplib

import pytest
from aiosmtpd.controller import Controller
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maild.adapters.listener import MaildSMTP, SupportHandler
from maild.adapters.spool import Spool
from tests.helpers import free_port

LIMIT = 20_000


class _Server(Controller):
    def factory(self):
        return MaildSMTP(self.handler, data_size_limit=LIMIT, decode_data=False)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    spool = Spool(tmp_path_factory.mktemp("listener") / "spool")
    keys: list[str] = []
    handler = SupportHandler(spool, lambda a: a == "support@example.com", keys.append)
    ctl = _Server(handler, hostname="127.0.0.1", port=free_port())
    ctl.start()
    yield ctl.port, spool, keys
    ctl.stop()


def send(port: int, raw: bytes) -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", port) as s:
        s.ehlo()
        s.mail("ivan@shop-example.ru")
        s.rcpt("support@example.com")
        try:
            code, _ = s.data(raw)
        except smtplib.SMTPDataError as e:
            return e.smtp_code, b""
    return code, b""


def stored(server, raw: bytes) -> bytes:
    port, spool, keys = server
    before = len(keys)
    code, _ = send(port, raw)
    assert code == 250
    assert len(keys) == before + 1
    return spool.read(keys[-1])


def test_dots_at_line_starts_and_ends_come_through_unchanged(server):
    raw = (
        b"Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\n"
        b"The end.\r\nAnother end.\r\n. \r\n...\r\n"
    )
    assert stored(server, raw) == raw


def test_empty_body_and_a_message_of_one_line(server):
    assert stored(server, b"Subject: x\r\n\r\n") == b"Subject: x\r\n\r\n"
    assert stored(server, b"x") == b"x\r\n"  # smtplib ends the data with CRLF


def test_size_limit_is_552_and_the_session_goes_on(server):
    port, _spool, keys = server
    line = b"x" * 98 + b"\r\n"
    fits = line * (LIMIT // len(line))
    assert stored(server, fits) == fits
    before = len(keys)
    assert send(port, fits + line * 3)[0] == 552
    assert len(keys) == before  # nothing stored
    assert stored(server, b"after\r\n") == b"after\r\n"


def test_line_over_the_limit_is_500(server):
    port, _spool, keys = server
    before = len(keys)
    assert send(port, b"Subject: long\r\n\r\n" + b"y" * 1200 + b"\r\n")[0] == 500
    assert len(keys) == before


LINE = st.binary(max_size=120).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(LINE, max_size=40))
def test_any_lines_are_stored_as_sent(server, lines):
    raw = b"".join(line + b"\r\n" for line in lines)
    assert stored(server, raw) == (raw or b"\r\n")  # smtplib sends nothing as one CRLF


@pytest.mark.parametrize("lmtp", [False, True])
def test_aiosmtpd_tables_are_the_same_with_the_short_dir(tmp_path, lmtp):
    """AiosmtpdNames lists only the names aiosmtpd scans for: its tables of commands,
    hooks and AUTH mechanisms must come out as from the full dir()."""
    import asyncio

    from maild.adapters.listener import make_protocol

    handler = SupportHandler(Spool(tmp_path / "spool"), lambda a: True, lambda k: None)

    async def build():
        return make_protocol(handler, lmtp=lmtp, max_size=LIMIT, hostname="x")()

    proto = asyncio.run(build())

    def full(obj, prefix):
        return {n[len(prefix) :] for n in object.__dir__(obj) if n.startswith(prefix)}

    assert len(dir(proto)) < len(object.__dir__(proto)) / 5  # the short dir is in use
    assert set(proto._smtp_methods) == full(proto, "smtp_") != set()
    assert set(proto._handle_hooks) == full(handler, "handle_") == {"RCPT", "DATA"}
    auth = {  # named as aiosmtpd names them
        getattr(getattr(obj, n), "__auth_mechanism_name__", n[5:].replace("__", "-"))
        for obj in (proto, handler)
        for n in object.__dir__(obj)
        if n.startswith("auth_")
    }
    assert set(proto._auth_methods) == auth != set()


_PATH_CHARS = "aZ09.-_+=!'~@<>()\"[]:, \t\\é"


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(_PATH_CHARS, max_size=30),
        st.builds(
            lambda local, domain, rest: f"<{local}@{domain}>{rest}",
            st.text("aZ09.-_+=!'~\"é", min_size=1, max_size=10),
            st.text("aZ09.-é[]", min_size=1, max_size=10),
            st.text(" \taZ=()<>\r\n", max_size=10),
        ),
    )
)
def test_simple_paths_are_read_as_aiosmtpd_reads_them(arg):
    """SimplePaths' shortcut answers what aiosmtpd's _getaddr answers, for any path."""
    from aiosmtpd.smtp import SMTP as Stock

    ours = MaildSMTP(SupportHandler(None, lambda a: True, lambda k: None))
    stock = Stock(SupportHandler(None, lambda a: True, lambda k: None))

    def answer(server):
        try:
            return server._getaddr(arg)
        except Exception as e:  # the email package's parser fails on some ("<0@[>")
            return type(e)

    for limit in (0, 4):
        ours.local_part_limit = stock.local_part_limit = limit
        assert answer(ours) == answer(stock)


def test_simple_paths_take_the_shortcut():
    from maild.adapters.listener import _SIMPLE_PATH

    for arg in ("<ivan@shop-example.ru>", "<o.petrova+1C@mail.example.ru> SIZE=12000"):
        assert _SIMPLE_PATH.match(arg)


@pytest.mark.parametrize("lmtp", [False, True])
def test_the_greeting_reply_is_aiosmtpds_in_one_write(tmp_path, lmtp):
    """EHLO (LHLO for LMTP) answers with aiosmtpd's lines, in its order, written at
    once; HELP still knows the command, and the session goes on as usual."""
    from aiosmtpd.lmtp import LMTP
    from aiosmtpd.smtp import SMTP

    from maild.adapters.listener import MaildLMTP

    ours, stock = (MaildLMTP, LMTP) if lmtp else (MaildSMTP, SMTP)
    writes: list[list[bytes]] = []

    class Counted(ours):
        def connection_made(self, transport):
            super().connection_made(transport)
            sent: list[bytes] = []
            writes.append(sent)
            write = transport.write
            transport.write = lambda data: (sent.append(bytes(data)), write(data))[1]

    handler = SupportHandler(Spool(tmp_path / "spool"), lambda a: True, lambda k: None)
    replies = {}
    for cls in (stock, Counted):

        class Server(Controller):
            def factory(self, cls=cls):
                return cls(handler, data_size_limit=LIMIT, decode_data=False, hostname="x")

        ctl = Server(handler, hostname="127.0.0.1", port=free_port())
        ctl.start()
        try:
            client = (smtplib.LMTP if lmtp else smtplib.SMTP)("127.0.0.1", ctl.port)
            hello = client.docmd("LHLO" if lmtp else "EHLO", "me")
            help_ = client.docmd("HELP", "LHLO" if lmtp else "EHLO")
            client.ehlo_resp = hello[1]
            client.does_esmtp = True
            code = client.sendmail("a@shop-example.ru", ["support@example.com"], b"x\r\n")
            client.quit()
        finally:
            ctl.stop()
        replies[cls] = (hello, help_, code)
    assert replies[Counted] == replies[stock]
    assert replies[Counted][0][0] == 250 and b"SIZE" in replies[Counted][0][1]
    session = writes[-1]  # (the controller's own test connection came first)
    greeting_reply = [w for w in session if w.startswith(b"250-x")]
    assert len(greeting_reply) == 1 and greeting_reply[0].endswith(b"250 HELP\r\n")
