"""The outbox against a relay that answers oddly (a raw SMTP server on loopback,
scripted): whatever it says, `maild outbox flush` ends in bounded time, and once the
relay answers well each mail reaches it exactly once."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes

from tests.helpers import Desk, make_mail


class OddRelay:
    """An SMTP server that answers as `mode` says: "good"; "endless" (a multi-line
    answer to RCPT that never ends); "dribble" (each answer a byte every `pace` s);
    "data299" (299 to the whole mail: a 2yz, the mail taken); "rcpt421" (421 to the
    first RCPT, the connection closed, then as "good"); "dropdot" (the connection
    closed once a whole mail came, no answer: taken, then as "good"); "garbled" (a line
    of no SMTP to the first MAIL, then as "good"). `taken`: the Message-IDs
    of the mails it answered 2yz at their end."""

    def __init__(self, mode: str, pace: float = 0.2) -> None:
        self.mode, self.pace, self.taken = mode, pace, []
        self.closing = False
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self) -> None:
        self.closing = True
        self.server.close()

    def _accept(self) -> None:
        while not self.closing:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _say(self, conn: socket.socket, reply: bytes) -> None:
        if self.mode != "dribble":
            conn.sendall(reply)
            return
        for byte in reply:
            if self.closing:
                raise OSError("stopped")
            conn.sendall(bytes([byte]))
            time.sleep(self.pace)

    def _session(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as lines:
            try:
                self._say(conn, b"220 odd.example ESMTP\r\n")
                while line := lines.readline():
                    self._answer(conn, lines, line[:4].upper())
            except OSError:
                pass

    def _answer(self, conn: socket.socket, lines, verb: bytes) -> None:
        if verb == b"RCPT" and self.mode == "rcpt421":
            self.mode = "good"
            conn.sendall(b"421 4.3.2 closing\r\n")
            raise OSError("closed")
        if verb == b"RCPT" and self.mode == "endless":
            while not self.closing:
                conn.sendall(b"250-and more " + b"x" * 60 + b"\r\n")
        if verb == b"MAIL" and self.mode == "garbled":
            self.mode = "good"
            self._say(conn, b"hello from a proxy\r\n")
            return
        if verb == b"DATA":
            self._say(conn, b"354 go on\r\n")
            data = b"".join(iter(lines.readline, b".\r\n"))
            self.taken.append(message_from_bytes(data)["Message-ID"])
            if self.mode == "dropdot":
                self.mode = "good"
                raise OSError("closed")
            self._say(conn, b"299 2.0.0 taken\r\n" if self.mode == "data299" else b"250 ok\r\n")
        elif verb == b"QUIT":
            self._say(conn, b"221 bye\r\n")
        else:  # EHLO, MAIL, RCPT, RSET, NOOP
            self._say(conn, b"250 ok\r\n")


def _flush_within(desk: Desk, seconds: float):
    """`maild outbox flush`, which must end within `seconds`."""
    done: list[object] = []
    runner = threading.Thread(target=lambda: done.append(desk.flush()), daemon=True)
    start = time.monotonic()
    runner.start()
    runner.join(seconds)
    assert done, f"outbox flush still running after {seconds} s"
    return done[0], time.monotonic() - start


def _queued(desk: Desk) -> list[dict]:
    return desk.run("outbox", "list", "--json").json()


@contextlib.contextmanager
def _desk_at(tmp_path, mode: str) -> Iterator[tuple[OddRelay, Desk]]:
    """A desk whose relay answers as ``mode`` says (OddRelay), stopped at the end."""
    relay = OddRelay(mode)
    try:
        yield relay, Desk(tmp_path, relay.port, outbound={"timeout": 5})
    finally:
        relay.stop()


def test_a_relay_whose_answers_never_end_or_dribble_is_given_up_in_bounded_time(tmp_path):
    """smtplib reads an answer line by line, each read waiting outbound.timeout: a
    multi-line answer that never ends (memory growing all the while), or one byte every
    few tenths of a second, held `outbox flush` (and the daemon's sender, its lock
    with it) for ever. Each answer now has outbound.timeout in all, and 64 KB."""
    for mode in ("endless", "dribble"):
        relay = OddRelay(mode)
        (tmp_path / mode).mkdir()
        desk = Desk(tmp_path / mode, relay.port, outbound={"timeout": 0.5})
        try:
            desk.ingest(make_mail(msgid=f"<{mode}@client.example>"))
            flushed, took = _flush_within(desk, 20)
            assert flushed.code == 75, flushed
            assert took < 8, took
            assert len(_queued(desk)) == 3  # the confirmation and two notices wait
            assert "Connection unexpectedly closed" in flushed.out, flushed.out
            relay.mode = "good"
            assert desk.flush().code == 0
            assert _queued(desk) == []
            assert len(relay.taken) == len(set(relay.taken)) == 3, relay.taken
        finally:
            relay.stop()


def test_a_mail_the_relay_answers_with_any_2yz_is_sent_once(tmp_path):
    """RFC 5321 4.2.1: the first digit says how it went, and a client meeting a code
    it does not know acts on it. maild took only 250 at the end of a mail for taken:
    a 299 ("taken") left it queued, "not sent", and the next pass sent it again."""
    with _desk_at(tmp_path, "data299") as (relay, desk):
        desk.ingest(make_mail(msgid="<two-nine-nine@client.example>"))
        flushed = desk.flush()
        assert flushed.code == 0, flushed
        assert _queued(desk) == []
        relay.mode = "good"
        assert desk.flush().code == 0
        assert len(relay.taken) == len(set(relay.taken)) == 3, relay.taken


def test_a_421_to_rcpt_fails_that_mail_only(tmp_path):
    """A 421 to RCPT ends the connection; the pass went on over it, and the next mail
    failed too, its attempt counted, with «please run connect() first»."""
    with _desk_at(tmp_path, "rcpt421") as (relay, desk):
        desk.ingest(make_mail(msgid="<four-two-one@client.example>"))
        flushed = desk.flush()
        assert flushed.code == 75, flushed
        tried = [m for m in _queued(desk) if m["attempts"]]
        assert [m["last_error"].endswith("421 4.3.2 closing") for m in tried] == [True], tried
        assert "connect()" not in flushed.out, flushed.out
        assert desk.flush().code == 0
        assert len(relay.taken) == len(set(relay.taken)) == 3, relay.taken


def test_a_mail_the_relay_did_not_answer_is_not_sent_again_by_a_forced_flush(tmp_path):
    """The connection lost after a whole mail and before the relay's answer: the relay
    may have it (RFC 5321 6.1). It is tried again after its back-off (at least once),
    saying so; `outbox flush`, which sends all the rest at once, sent it again each
    time (a timer running it every minute: every minute, for ever)."""
    with _desk_at(tmp_path, "dropdot") as (relay, desk):
        desk.ingest(make_mail(msgid="<drop-dot@client.example>"))
        assert desk.flush().code == 75
        [unanswered] = [m for m in _queued(desk) if m["attempts"]]
        assert "the relay may have it" in unanswered["last_error"], unanswered
        assert desk.flush().code == 75  # the other two go; it waits for its back-off
        assert [m["id"] for m in _queued(desk)] == [unanswered["id"]]
        assert len(relay.taken) == len(set(relay.taken)) == 3, relay.taken


def test_an_answer_that_is_no_smtp_is_said_whole(tmp_path):
    """A relay (a proxy, a wrong port) answering "hello from a proxy": the mail's error
    read «-1 o from a proxy» (smtplib keeps an answer from its fifth byte)."""
    with _desk_at(tmp_path, "garbled") as (relay, desk):
        desk.ingest(make_mail(msgid="<garbled@client.example>"))
        assert desk.flush().code == 75
        [tried] = [m for m in _queued(desk) if m["attempts"]]
        assert "hello from a proxy" in tried["last_error"], tried
        assert desk.flush().code == 0 and len(relay.taken) == 3, relay.taken
