"""A connection the IMAP server ends while the poller fetches, against a real Dovecot:
the admin kicks the user (`doveadm kick`) or restarts Dovecot just as a FETCH goes
out, and the FETCH is answered with "* BYE Server shutting down.". That BYE was taken
for the message's fault: logged at ERROR as a message the server cannot give, passed
by and tried again only 5 min later (and counted towards a degraded `maild status`).
Now it is a connection that ended: the poller reconnects and the next round fetches
the message as ever, in UID order. A message whose FETCH the server keeps answering
with BYE is still passed by (tests/integration/test_imap_unfetchable.py).

A small TCP relay between the poller and Dovecot makes the timing exact: it holds the
poller's first FETCH, disrupts Dovecot, and passes on what Dovecot sends (its BYE,
then the end of the connection)."""

from __future__ import annotations

import contextlib
import logging
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from maild.adapters import imap
from maild.adapters.imap import ImapPoller
from tests.dovecot import DovecotServer, append, messages, require_dovecot
from tests.integration.test_imap import USER, Inbox, Running, config, make_raw, wait_until


class FetchDisruptor:
    """A TCP relay to `upstream` that, at the first FETCH (or `command`) a client sends
    through it, calls `disrupt()` instead of passing that command on; everything else,
    and every later connection, is passed on unchanged."""

    def __init__(
        self, upstream: tuple[str, int], disrupt: Callable[[], None], command: bytes = b"FETCH"
    ) -> None:
        self.upstream = upstream
        self.disrupt = disrupt
        self.command = b" %s " % command
        self.disrupted = threading.Event()
        self.disrupting = threading.Lock()  # a new connection waits for Dovecot back up
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closing = False
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            try:
                with self.disrupting:
                    server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            self.sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, from_client: bool) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                if from_client and self.command in data and not self.disrupted.is_set():
                    with self.disrupting:
                        self.disrupted.set()
                        self.disrupt()  # Dovecot answers with BYE and closes its end
                    continue
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)  # the other side sees the end, after the data

    def close(self) -> None:
        self.listener.close()
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.close()


@pytest.fixture
def server() -> Iterator[DovecotServer]:
    """A Dovecot of the test's own (it is kicked or restarted)."""
    require_dovecot()
    s = DovecotServer()
    s.start()
    yield s
    s.cleanup()


def kick(server: DovecotServer) -> None:
    subprocess.run(
        ["doveadm", "-c", f"{server.dir}/dovecot.conf", "kick", USER],
        check=True,
        capture_output=True,
    )


def logged_in(server: DovecotServer) -> bool:
    """Whether Dovecot still counts a connection of USER (its anvil forgets one only
    when the connection's imap process has ended it)."""
    who = subprocess.run(
        ["doveadm", "-c", f"{server.dir}/dovecot.conf", "who", USER],
        check=True,
        capture_output=True,
        text=True,
    )
    return any(line.split()[:1] == [USER] for line in who.stdout.splitlines())


def restart(server: DovecotServer) -> None:
    server.stop()
    server.start()


@pytest.mark.parametrize("disrupt", [kick, restart], ids=["doveadm-kick", "restart"])
def test_a_bye_while_fetching_is_a_lost_connection_not_the_messages_fault(
    disrupt, server, caplog, monkeypatch
):
    caplog.set_level(logging.INFO, logger="maild.imap")
    monkeypatch.setattr(imap, "BACKOFF_START", 0.1)
    monkeypatch.setattr(imap, "IDLE_SLICE", 0.1)  # (a stop in IDLE seen in 0.1 s, not 1)
    info = server.info()
    for n in (1, 2, 3):
        append(info, USER, make_raw(n))
    relay = FetchDisruptor((info["host"], info["port"]), lambda: disrupt(server))
    inbox = Inbox()
    told: list[Any] = []
    # fetch_retry as in the daemon: a message passed by would wait 5 min
    poller = ImapPoller(config(info | {"port": relay.port}), inbox, unfetched=told.append)
    running = Running(poller)
    try:
        assert inbox.wait_for(3, timeout=10), inbox.raws
        assert relay.disrupted.is_set()
        # the one whose FETCH met the BYE is fetched after the others (it may be broken)
        assert inbox.raws == [make_raw(2), make_raw(3), make_raw(1)]
        assert poller.fetching.failing == {} and told == []
    finally:
        running.stop(within=5)
        relay.close()
    assert messages(info, USER) == {} and len(messages(info, USER, "Processed")) == 3

    lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "maild.imap"]
    assert not [m for level, m in lines if level >= logging.ERROR], lines
    assert not [m for _, m in lines if "cannot be fetched" in m], lines
    [ended] = [m for level, m in lines if level == logging.WARNING]
    assert ended.startswith("imap: the connection to 127.0.0.1 ended: the server said BYE "), ended
    assert "FETCH of UID 1: Server shutting down." in ended and "reconnecting in" in ended


def test_the_back_off_starts_afresh_once_mail_was_delivered_on_the_connection(
    server, caplog, monkeypatch
):
    """A backlog taken over a connection the server keeps ending (kicked after each
    message here; restarts, a load balancer's timeout): the wait before each reconnect
    grew 0.1, 0.2, 0.4 ... s (1 s up to 5 min in the daemon), since only a round that
    finished cleanly reset it. Mail flowed on each connection: each wait is the first.

    Each kick is let take effect before the poller goes on (its process gone from
    Dovecot): else a loaded machine lets Dovecot answer the MOVE, or even the next
    FETCH, before it reads the kick, and a BYE that ends a FETCH (FetchBye) neither
    grows the back-off nor shows that it is reset."""
    caplog.set_level(logging.INFO, logger="maild.imap")
    monkeypatch.setattr(imap, "BACKOFF_START", 0.1)
    monkeypatch.setattr(imap, "IDLE_SLICE", 0.1)  # (a stop in IDLE seen in 0.1 s, not 1)
    monkeypatch.setattr(imap, "MOVE_BATCH", 1)  # each message's MOVE reads its kick
    info = server.info()
    for n in range(1, 7):
        append(info, USER, make_raw(n))
    inbox = Inbox()

    def kicked_after(raw: bytes) -> None:
        inbox(raw)
        if len(inbox.raws) < 6:
            kick(server)
            # the connection is ended: its next command, the MOVE, reads the BYE
            assert wait_until(lambda: not logged_in(server), timeout=10)

    poller = ImapPoller(config(info), kicked_after, backoff_max=60)
    running = Running(poller)
    try:
        assert inbox.wait_for(6, timeout=20), inbox.raws
        assert wait_until(lambda: messages(info, USER) == {}, timeout=10)
    finally:
        running.stop(within=5)
    # each once, in order (the one whose MOVE met the BYE is moved at the next round)
    assert inbox.raws == [make_raw(n) for n in range(1, 7)]
    waits = [
        m.rsplit("reconnecting in ", 1)[1]
        for m in (r.getMessage() for r in caplog.records if r.name == "maild.imap")
        if "reconnecting in" in m
    ]
    assert waits == ["0.1 s"] * 5, waits
    assert len(messages(info, USER, "Processed")) == 6
