"""The IMAP edge: poll (or IDLE on) a mailbox and hand every message to the durable spool.

A message leaves the server folder only after deliver() returned, so a crash or a failed
delivery can at worst cause a re-delivery (ingest is idempotent by Message-ID), never a loss.

Which messages are taken: every message in `folder` that is not flagged \\Deleted and not
flagged with the keyword $MaildProcessed (SEARCH NOT DELETED NOT KEYWORD $MaildProcessed).
Not UNSEEN: staff or the admin may open the support mailbox in a mail client, which marks
mail \\Seen, and such mail must still become tickets. Processed mail does not stay in the
folder, so "everything still there" is exactly "everything not yet delivered".

How a delivered message is taken out of `folder`, best first, by what the server advertises
after login:
  MOVE      UID MOVE to processed_folder.
  UIDPLUS   flag $MaildMoving, UID COPY to processed_folder, flag \\Deleted, UID EXPUNGE
            of just that UID (a maild stopped between them: imapmove.MoveWatch.recall).
  neither   flag $MaildMoving, UID COPY to processed_folder and flag $MaildProcessed,
            left in `folder`; later polls skip it. A plain EXPUNGE would also purge
            messages a human flagged \\Deleted, so we never send one.
The message is fetched with BODY.PEEK[] and never marked \\Seen by us. One spooled that
the server does not move (over quota, processed_folder read-only) is not fetched again
and holds up no other: its move alone is tried again later (imapmove.MoveWatch). One
the server cannot give (its FETCH answered NO, or BYE on two connections in a row: one BYE may be a
restart of the server) stays in `folder` untouched and is tried again later, while the
mail after it is taken (imapfetch.FetchWatch).
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable

from imapclient import IMAPClient

from maild.adapters.imapbatch import move_batch
from maild.adapters.imapfailures import (
    LOGIN_RETRY,
    DeliveryError,
    DeliveryWatch,
    FolderMissing,
    LoginRefused,
    LoginWatch,
    NoGreeting,
    Refusal,
    Stall,
    log_connection_failure,
    server_bye,
)
from maild.adapters.imapfetch import FETCH_RETRY, FetchBye, FetchWatch, Unfetchable, Unfetched
from maild.adapters.imapmove import MOVE_RETRY, PROCESSED_KEYWORD, MoveWatch, Unmoved
from maild.adapters.imapround import CONTACT_EVERY, Backlog, Failure, RoundWatch
from maild.adapters.imapsession import ensure_processed, is_new_mail, log_in, shutdown, tls_context
from maild.configtypes import ImapConfig
from maild.domain.logid import message_id_for_log

log = logging.getLogger("maild.imap")

SEARCH_CRITERIA = [b"NOT", b"DELETED", b"NOT", b"KEYWORD", PROCESSED_KEYWORD]
IDLE_SLICE = 1.0  # seconds per idle_check, so a stop request is seen within about this long
# imaplib keeps every untagged answer (each moved message leaves a COPYUID and an
# EXPUNGE) until the next SELECT starts them afresh, and the connection lives for days:
# the folder is selected again at each poll, before IDLE and every this many messages.
SELECT_EVERY = 100
MOVE_BATCH = 50  # spooled messages moved by one UID MOVE (SELECT_EVERY is a multiple)
BACKOFF_START = 1.0
MIN_POLL_INTERVAL = 0.1


class ImapPoller:
    """Fetch mail from one IMAP folder and hand it to `deliver`, at least once, in UID order.

    Use run() in a thread for the daemon, poll() for a single pass. Not thread-safe:
    one thread drives it; other threads only set the `stop` event given to run().
    """

    def __init__(
        self,
        cfg: ImapConfig,
        deliver: Callable[[bytes], None],
        *,
        ssl_context: ssl.SSLContext | None = None,
        idle_timeout: float = 300,
        backoff_max: float = 300,
        io_timeout: float = 60,
        contact: Callable[[], None] | None = None,
        refused: Callable[[Refusal | None], None] | None = None,
        login_retry: float = LOGIN_RETRY,
        stalled: Callable[[Stall | None], None] | None = None,
        backlog: Callable[[Backlog | None], None] | None = None,
        contact_every: float = CONTACT_EVERY,
        failure: Callable[[Failure], None] | None = None,
        unfetched: Callable[[Unfetched | None], None] | None = None,
        fetch_retry: float = FETCH_RETRY,
        unmoved: Callable[[Unmoved | None], None] | None = None,
        move_retry: float = MOVE_RETRY,
    ) -> None:
        self.cfg = cfg
        self.deliver = deliver
        self.ssl_context = ssl_context
        self.idle_timeout = idle_timeout
        self.backoff_max = backoff_max
        # Socket timeout for connect and every command: a half-open connection must end in
        # an error (and a reconnect), not hang the poller forever.
        self.io_timeout = io_timeout
        # `contact` is called after every successful round with the server, and every
        # `contact_every` seconds during a long one, with `backlog`; `failure` hears why
        # a round failed (maild status shows all three)
        self.round = RoundWatch(contact, backlog, contact_every, failure)
        # `refused` hears of a refused login, and (None) when the server accepts it again
        self.login = LoginWatch(cfg, refused, login_retry)
        # `stalled` hears that deliver() fails (mail waits on the server), and (None)
        # when a message is delivered again
        self.delivery = DeliveryWatch(stalled)
        # a message the server fails to give is passed by, tried every `fetch_retry` s;
        # `unfetched` hears of one that keeps failing, and (None) once none does
        self.fetching = FetchWatch(cfg, unfetched, fetch_retry)
        # a message spooled that the server does not move is not fetched again; its move
        # is tried every `move_retry` s; `unmoved` hears of it, and (None) once none is left
        self.moving = MoveWatch(cfg, unmoved, move_retry)
        # a message was delivered since the last failed round: the back-off starts afresh
        self._progressed = False
        self._mode_logged = False  # "IDLE" or "polling" said once per connection
        self._client: IMAPClient | None = None
        self._caps: frozenset[bytes] = frozenset()
        self._idling = False
        self._uidnext: int | None = None  # the folder's UIDNEXT when this poll began
        self._uidvalidity: int | None = None  # the folder's, at its last SELECT

    # -- connection -------------------------------------------------------------------

    def _tls_context(self) -> ssl.SSLContext:
        return self.ssl_context or tls_context(self.cfg)

    def _connect(self) -> IMAPClient:
        cfg = self.cfg
        mode = "implicit TLS" if cfg.ssl else "STARTTLS" if cfg.starttls else "plain"
        log.info("imap: connecting to %s:%d (%s)", cfg.host, cfg.port, mode)
        try:
            client = IMAPClient(
                cfg.host,
                port=cfg.port,
                ssl=cfg.ssl,
                ssl_context=self._tls_context() if cfg.ssl else None,
                timeout=self.io_timeout,
            )
        except TimeoutError as e:
            raise NoGreeting(cfg, self.io_timeout) from e
        try:
            if cfg.starttls and not cfg.ssl:
                # imapclient refuses when STARTTLS is not advertised, so the password is
                # never sent in clear when TLS was asked for.
                client.starttls(self._tls_context())
            log_in(client, cfg)
            self.login.accepted()
            # MOVE (and, on Dovecot, UIDPLUS) is only advertised after login.
            self._caps = frozenset(c.upper() for c in client.capabilities())
            ensure_processed(client, cfg)  # (ProcessedUncreatable: no mail is taken)
            try:
                info = client.select_folder(cfg.folder)
            except IMAPClient.Error:
                if client.folder_exists(cfg.folder):
                    raise  # there, but not to be read: the server's answer says why
                raise FolderMissing(cfg, [f[2] for f in client.list_folders()]) from None
        except BaseException:
            shutdown(client)
            raise
        self._mode_logged = False
        log.info(
            "imap: logged in as %s on %s:%d, folder %s has %d message(s); server has %s",
            cfg.username,
            cfg.host,
            cfg.port,
            cfg.folder,
            info.get(b"EXISTS", 0),
            " ".join(c for c in ("MOVE", "UIDPLUS", "IDLE") if c.encode() in self._caps)
            or "none of MOVE/UIDPLUS/IDLE",
        )
        return client

    def close(self) -> None:
        """Log out and close the connection (best effort, never raises)."""
        client, self._client = self._client, None
        idling, self._idling = self._idling, False
        if client is None:
            return
        if idling:
            # A LOGOUT in the middle of IDLE would not be understood: just drop the socket.
            shutdown(client)
            return
        try:
            client.logout()
        except Exception:
            shutdown(client)

    def _drop(self) -> None:
        # After an error the connection is suspect: a LOGOUT could wait io_timeout for an
        # answer that never comes, so just close the socket.
        client, self._client = self._client, None
        self._idling = False
        if client is not None:
            shutdown(client)

    # -- one pass ---------------------------------------------------------------------

    def poll(self, stop: threading.Event | None = None) -> int:
        """Deliver every waiting message (till `stop` is set); return how many were
        delivered. run() calls it once a round; a test calls it for a single pass.

        Connects if needed. A message the server refuses to give stays on the server and
        is passed by (self.fetching). Raises DeliveryError when deliver() raised (that
        message and the rest of the round stay on the server, untouched), Unfetchable
        when the server closed the connection over a message again (FetchBye the
        first time: maybe it restarted), and imapclient/socket/ssl errors when the
        server or network fails; the connection is kept either way, so callers that
        see a network error should close() before trying again.
        """
        if self._client is None:
            self._client = self._connect()
        client = self._client
        self._uidnext = self._select(client)
        self.moving.recall(client, self._caps, self._uidvalidity)  # (after a stop)
        found, due = self.moving.order(sorted(client.search(SEARCH_CRITERIA)), self._uidvalidity)
        uids = self.fetching.order(found, self._uidvalidity)
        self.round.started(len(uids))
        try:
            self.moving.retry_due(client, self._caps, due)
            return self._take(client, uids, stop)
        finally:
            self.round.ended()

    def _take(self, client: IMAPClient, uids: list[int], stop: threading.Event | None) -> int:
        delivered = 0
        batch: list[tuple[int, str]] = []  # spooled, to move (imapbatch.move_batch)
        try:
            for n, uid in enumerate(uids, 1):
                if stop is not None and stop.is_set():
                    break
                # One message at a time: a big mailbox is never held in memory at once.
                raw = self.fetching.fetch(client, uid)
                if raw is None:
                    continue  # expunged by someone else since the SEARCH, or refused (logged)
                try:
                    self.deliver(raw)
                except Exception as e:
                    self.delivery.failed(uid, e)
                    self._move(client, batch)  # (the connection is fine)
                    raise DeliveryError(uid, delivered, e) from e
                self.delivery.delivered()
                self._progressed = True
                delivered += 1
                batch.append((uid, message_id_for_log(raw)))
                if len(batch) >= MOVE_BATCH:
                    self._move(client, batch)
                if delivered % SELECT_EVERY == 0:
                    self._select(client)
                self.round.delivered(len(uids) - n)
            self._move(client, batch)
        finally:
            self.moving.hold(batch)  # the round failed first: the next one moves them
        return delivered

    def _move(self, client: IMAPClient, batch: list[tuple[int, str]]) -> None:
        """Move the spooled messages of `batch` (emptied) to processed_folder."""
        moving, batch[:] = batch[:], []
        for uid, message_id in move_batch(self.moving, client, self._caps, moving):
            log.info("imap: delivered UID %d (Message-ID %s)", uid, message_id)  # (else logged)

    def _select(self, client: IMAPClient) -> int | None:
        """SELECT the folder again (imaplib forgets the answers it kept); its UIDNEXT."""
        info = client.select_folder(self.cfg.folder)
        uidvalidity, uidnext = info.get(b"UIDVALIDITY"), info.get(b"UIDNEXT")
        self._uidvalidity = uidvalidity if isinstance(uidvalidity, int) else None
        return uidnext if isinstance(uidnext, int) else None

    def _new_mail_pending(self, taken: int) -> bool:
        """Whether mail came in since this poll's SELECT (`taken`: what it delivered).
        The server announces new mail once, with whatever command runs then (our MOVE),
        never again in IDLE, where it would wait for idle_timeout; mail that comes after
        this SELECT is announced in the IDLE that follows."""
        if self._client is None:
            return False
        now = self._select(self._client)
        if now is None or self._uidnext is None:  # no UIDNEXT: poll until a poll is empty
            return taken > 0
        return now != self._uidnext

    # -- daemon loop --------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Poll, then IDLE (or sleep poll_interval), until `stop` is set. Never raises.

        On a network or IMAP error: one log line, close, reconnect after 1, 2, 4 ... s
        (capped at backoff_max, reset after a successful poll and once a message was
        delivered: a backlog taken over a connection that keeps ending never waits
        long between its pieces); after 1 s, always, when the server closed the
        connection over the FETCH of a message. When deliver() fails the connection
        is kept and the same backoff applies before the message is retried.
        A login the server refuses is tried again every login_retry seconds.
        """
        delay = BACKOFF_START
        try:
            while not stop.is_set():
                try:
                    taken = self.poll(stop)
                    self.delivery.delivered()  # (the failing message may be gone)
                    delay = BACKOFF_START
                    self._contacted()
                    if stop.is_set() or self._new_mail_pending(taken):
                        continue
                    if b"IDLE" in self._caps:
                        self._idle(stop)
                    else:
                        # Floor: poll_interval = 0 would hammer the server in a busy loop.
                        pause = self._pause(self.cfg.poll_interval)
                        stop.wait(max(pause, MIN_POLL_INTERVAL))
                    continue
                except (Unfetchable, FetchBye) as e:
                    # No fault of the network; the next round takes the message after
                    # the others, or passes it by: reconnect, the back-off not grown.
                    wait = self._passed_by(e)
                except Exception as e:
                    if self._progressed:  # mail flowed on that connection: a new outage
                        delay = BACKOFF_START
                    self._progressed = False
                    wait = self._failed(e, min(delay, self.backoff_max))
                    delay = min(delay * 2, self.backoff_max)
                stop.wait(wait)
        finally:
            self.close()

    def _passed_by(self, e: Unfetchable | FetchBye) -> float:
        """The server's BYE to the FETCH of a message ended a round; the wait."""
        self._drop()
        if isinstance(e, FetchBye):  # (Unfetchable is logged by self.fetching)
            self.round.failed(log_connection_failure(e, self.cfg, BACKOFF_START))
        if self._progressed:  # it gave mail since the last failure: it answers
            self.round.contacted()
        return BACKOFF_START

    def _failed(self, e: Exception, delay: float) -> float:
        """Log a failed round once; the seconds to wait before the next."""
        if isinstance(e, DeliveryError):  # the connection is fine: keep it
            log.error("imap: %s; it stays on the server, retrying in %g s", e, delay)
            self._contacted()  # the server answered: the fault is ours (status says so)
            return delay
        self._drop()
        if isinstance(e, LoginRefused) and not e.temporary:
            return self.login.refused_now(e)
        self.round.failed(log_connection_failure(e, self.cfg, delay))
        return delay

    def _pause(self, seconds: float) -> float:
        """`seconds`, or less: the time left to the next try of a message the server
        failed to give, or of a move it refused."""
        return self.moving.pause(self.fetching.pause(seconds))

    def _contacted(self) -> None:
        """A round with the server went well: say once how new mail is awaited, and
        tell `contact`."""
        if not self._mode_logged:
            self._mode_logged = True
            if b"IDLE" in self._caps:
                log.info("imap: waiting for new mail with IDLE on %s", self.cfg.folder)
            else:
                log.info(
                    "imap: the server has no IDLE: polling %s every %g s",
                    self.cfg.folder,
                    max(self.cfg.poll_interval, MIN_POLL_INTERVAL),
                )
        self.round.contacted()

    def _idle(self, stop: threading.Event) -> None:
        """Wait in IDLE until new mail, stop, idle_timeout, or a dead connection."""
        client = self._client
        assert client is not None
        client.idle()
        self._idling = True
        # (a message the server failed to give is tried again on time)
        deadline = time.monotonic() + self._pause(self.idle_timeout)
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break  # re-issue IDLE now and then: servers drop idle clients (RFC 2177)
            wait = min(IDLE_SLICE, left)
            started = time.monotonic()
            responses = client.idle_check(timeout=wait)
            bye = server_bye(responses)
            if bye is not None:  # idle_done() would only fail on the closed socket
                raise bye
            if any(is_new_mail(r) for r in responses):
                break
            if not responses and time.monotonic() - started < wait / 2:
                # Woken early with nothing to parse: imapclient swallows EOF and resets here.
                # Leaving IDLE makes a dead connection raise, so run() reconnects.
                break
        client.idle_done()
        self._idling = False
