"""Shared test tools: a real SMTP sink, a data dir with config, the real CLI."""

from __future__ import annotations

import email
import email.policy
import functools
import io
import json
import os
import pwd
import random
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

from aiosmtpd.controller import Controller

from tests import zygote

ROOT = Path(__file__).resolve().parent.parent
# A fixed key for signed reply addresses, so a test can write a staff reply to the
# address a staff notice carries (staff_to) without reading it from the notice.
REPLY_SECRET = "test-reply-secret"
SUPPORT = "support@example.com"
# A desk's schedule.reminder_fraction, set in its config: the tests that work out when
# staff are reminded (by hand: 75 % of 24 business hours from Friday 16:00 is Monday
# 16:00) do so by this, not by the default (configschema's, which test_config pins)
REMINDER_FRACTION = 0.75
# Daemon(pace=...) of a test that waits for these timers and is not about their length
# (tests/pace.py): processing paused by a fault is tried again after 1 s, doubling to
# 30 s (faults.BACKOFF_FIRST, BACKOFF_MAX); mail another process queued goes at the
# daemon's next outbox pass, every 5 s (server.OUTBOX_INTERVAL)
QUICK_RETRIES = {"maild.faults.BACKOFF_FIRST": 0.1, "maild.faults.BACKOFF_MAX": 0.4}
QUICK_OUTBOX = {"maild.server.OUTBOX_INTERVAL": 0.5}
# A whole 1×1 PNG: a screenshot every check of attachments accepts.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def support_config() -> Any:
    """The [support] section the unit tests of rendering use."""
    from maild.configtypes import SupportConfig

    return SupportConfig(
        address=SUPPORT,
        name="Служба поддержки",
        staff=("anna@example.com",),
        head="head@example.com",
        timezone="Europe/Moscow",
        max_auto_replies_per_hour=10,
    )


DATA = Path(__file__).resolve().parent / "data"
# `maild restore ... *AS_ME`: the restored files stay the test's user's (as root, a
# storage under pytest's root-owned tmp_path is otherwise refused: root's files)
AS_ME = ("--owner", pwd.getpwuid(os.geteuid()).pw_name)


# Ports for the servers tests start. Not the kernel's ephemeral range (32768-60999 by
# default): a port bound to 0 and let go is free only till a client's connection takes
# it as its own end, and the suite makes thousands (a site's daemon then failed with
# "address already in use"). Each xdist worker has its own slice, used in turn from a
# random place in it (two test runs at once, in two checkouts, do not walk in step).
_PORTS_FROM, _PORTS_TO, _SLICES = 12000, 32000, 8


def _port_slice() -> list[int]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    size = (_PORTS_TO - _PORTS_FROM) // _SLICES
    start = _PORTS_FROM + (int(worker) % _SLICES if worker.isdigit() else 0) * size
    ports = list(range(start, start + size))
    turn = random.randrange(size)
    return ports[turn:] + ports[:turn]


_next_port = iter(())


def free_port() -> int:
    """A loopback port nothing is bound to, from this worker's slice: no other worker
    and no client connection of this machine's tests is given it meanwhile."""
    global _next_port
    for _ in range(2):
        for port in _next_port:
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:  # taken, or closed lately (TIME_WAIT)
                    continue
                return port
        _next_port = iter(_port_slice())
    raise RuntimeError("no free port in this test worker's slice")


_HELD: list[socket.socket] = []


def dead_port() -> int:
    """A loopback port where nothing listens: a relay that is down. This process keeps
    it bound (not listening) till it ends, so no other test's server can take it: a
    port free_port() found free may be another xdist worker's relay a moment later,
    and mail meant to stay queued would be sent there."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    _HELD.append(s)
    return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    at: float
    peer: Any = None  # the client's (host, port): one per SMTP connection

    @functools.cached_property  # parsed once: tests read many headers of many mails
    def msg(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)

    @property
    def subject(self) -> str:
        return str(self.msg["Subject"])

    @property
    def text(self) -> str:
        body = self.msg.get_body(("plain",))
        return body.get_content() if body else ""


@dataclass
class SinkHandler:
    """Takes every mail, but answers a recipient of `refuse` (address -> reply) with
    that reply at RCPT, and a mail to one of `refuse_data` with its reply at DATA, as
    a relay that verifies recipients does; `tries` counts the RCPTs per address."""

    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    refuse: dict[str, str] = field(default_factory=dict)
    refuse_data: dict[str, str] = field(default_factory=dict)
    tries: dict[str, int] = field(default_factory=dict)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        with self.lock:
            self.tries[address] = self.tries.get(address, 0) + 1
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        for rcpt in envelope.rcpt_tos:
            if rcpt in self.refuse_data:
                return self.refuse_data[rcpt]
        with self.lock:
            self.received.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    envelope.content,
                    time.time(),
                    session.peer,
                )
            )
        return "250 OK"


class Sink:
    """A real aiosmtpd server on an ephemeral loopback port that records mail."""

    def __init__(
        self,
        port: int | None = None,
        *,
        refuse: dict[str, str] | None = None,
        refuse_data: dict[str, str] | None = None,
        handler: SinkHandler | None = None,
        **server_options: Any,
    ) -> None:
        """`handler`: one of SinkHandler's kind with more to it (AUTH); `server_options`
        go to aiosmtpd's SMTP (auth_required ...)."""
        self.handler = handler or SinkHandler(refuse=refuse or {}, refuse_data=refuse_data or {})
        self.port = port or free_port()
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, **server_options
        )

    def start(self) -> Sink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
        self.controller.loop.close()

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]

    def wait_for(self, count: int, timeout: float = 1.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Desk:
    """A maild data dir + config, driven through the real `maild` CLI."""

    def __init__(self, root: Path, relay_port: int, **sections: dict[str, Any]) -> None:
        self.root = root
        self.config = root / "maild.toml"
        self.relay_port = relay_port
        self.sections = {
            "support": {
                "address": "support@example.com",
                "name": "Служба поддержки",
                "staff": ["anna@example.com", "boris@example.com"],
                "head": "head@example.com",
                "reply_secret": REPLY_SECRET,
            },
            "storage": {"path": str(root / "data")},
            "outbound": {"host": "127.0.0.1", "port": relay_port, "timeout": 5},
            "schedule": {"reminder_fraction": REMINDER_FRACTION, **self._daily()},
        }
        for name, values in sections.items():
            self.sections.setdefault(name, {}).update(values)
        self.write_config()

    def write_config(self) -> None:
        lines = []
        for name, values in self.sections.items():
            lines.append(f"[{name}]")
            for k, v in values.items():
                lines.append(f"{k} = {json.dumps(v, ensure_ascii=False)}")
            lines.append("")
        self.config.write_text("\n".join(lines), encoding="utf-8")
        self.config.chmod(self.config_mode)

    # The morning digest and the daily report are due from 09:00 until a business day
    # ends: a test's daemon or `maild jobs run` on a business morning mailed them into
    # tests counting their mail, which failed then only. They are "off" but in tests
    # marked daily_mail (conftest.py), which pretend their time with `--now`.
    daily_mail = False

    def _daily(self) -> dict[str, str]:
        off = {"digest_time": "off", "daily_report_time": "off"}
        return {} if self.daily_mail else off

    # as README's install leaves it (root:maild 0640): it holds the reply key
    config_mode = 0o640
    in_process = True  # the real CLI entry point, without a new interpreter each time
    # timers of maild's modules set shorter, as Daemon(pace=...) does: a paced desk's
    # commands run as processes of their own (in_process or not)
    pace: dict[str, float] = {}  # (replaced for a desk, never changed in place)

    def run(self, *args: str, input: bytes | None = None, timeout: float = 60) -> Result:
        if self.in_process and not self.pace:
            return self._run_in_process(args, input)
        # a process of its own: forked from the zygote (tests/zygote.py), or a new
        # interpreter where the environment starts Python otherwise (a locale, TZ)
        env = dict(os.environ, PYTHONPATH=str(ROOT), MAILD_PACE=json.dumps(self.pace))
        argv = ["--config", str(self.config), *args]
        main = "tests.pace" if self.pace else "maild"
        p = zygote.run(main, argv, env, input=input or b"", timeout=timeout)
        return Result(p.returncode, p.stdout.decode(), p.stderr.decode())

    def _run_in_process(self, args: tuple[str, ...], input: bytes | None) -> Result:
        from maild.cli import main

        out, err = io.StringIO(), io.StringIO()
        stdin = io.TextIOWrapper(io.BytesIO(input or b""), encoding="utf-8")
        saved = sys.stdin, sys.stdout, sys.stderr
        sys.stdin, sys.stdout, sys.stderr = stdin, out, err
        try:
            code = main(["--config", str(self.config), *args])
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        finally:
            sys.stdin, sys.stdout, sys.stderr = saved
            stdin.close()
        return Result(code, out.getvalue(), err.getvalue())

    def make_store(self) -> None:
        """The store, made as the desk's setup makes it (a listing makes none)."""
        r = self.run("block", "remove", "nobody.invalid")
        assert r.code == 0, r

    def ingest(self, raw: bytes) -> Result:
        r = self.run("ingest", "-", input=raw)
        assert r.code == 0, r.err
        return r

    def ingest_tid(self, raw: bytes) -> str:
        out = self.ingest(raw).out
        return out.split("[TID#", 1)[1].split("]", 1)[0]

    def ticket(self, tid: str) -> dict[str, Any]:
        r = self.run("ticket", "show", tid, "--json")
        assert r.code == 0, r.err
        return r.json()

    def tickets(self, *args: str) -> list[dict[str, Any]]:
        r = self.run("ticket", "list", "--json", *args)
        assert r.code == 0, r.err
        return r.json()

    def flush(self) -> Result:
        return self.run("outbox", "flush")


# check-config's warning that the installed `holidays` release knows no transferred days
# off of this year: it comes with the year the suite runs in, not with a test's config
YEAR_UNKNOWN = "knows no transferred days off of"


def warnings_of(err: str) -> list[str]:
    """The warning lines of `maild check-config` but the calendar's of an unknown year."""
    return [w for w in err.strip().splitlines() if YEAR_UNKNOWN not in w]


def days_on(days: int) -> str:
    """`maild jobs run --now` that many days after the real now: for a test whose mail
    came in at the real time (a fixed date comes before that mail one day, and a job
    due after it then finds nothing)."""
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def wait_until(pred, timeout: float = 60.0, step: float = 0.05):
    """The first true value of pred() within `timeout` s, else its last. The deadline
    is for a loaded machine (two cores, four test workers and more): it costs time
    only when the condition never comes, and then the test fails anyway."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(step)
    return pred()


def staff_to(tid: str, staff: str = "anna@example.com", support: str = SUPPORT) -> str:
    """Where a staff member's reply to a notice about ``tid`` goes: the notice's
    Reply-To, signed for that staff member (what makes the reply count as staff)."""
    from maild.domain.replyaddr import sign_for

    return sign_for(tid, staff, REPLY_SECRET.encode(), support)


def conversation(desk: Desk) -> str:
    """A ticket with the customer's question, anna's answer and the customer's reply."""
    tid = desk.ingest_tid(make_mail(sender="ivan@shop.ru", subject="Ошибка 500"))
    desk.ingest(
        make_mail(
            sender="anna@example.com", to=staff_to(tid), subject=f"[TID#{tid}]", body="Ответ."
        )
    )
    desk.ingest(make_mail(sender="ivan@shop.ru", subject=f"Re: [TID#{tid}] Ошибка 500"))
    return tid


def serve_until_spool_empty(desk: Desk, tries: int = 300, outbox_turn: float = 0.5) -> None:
    """`maild serve` on ``desk`` until its spool is empty (each try 0.1 s), then stopped
    after `outbox_turn` s more: 0 where the test then sends the outbox (Desk.flush)."""
    daemon = Daemon(desk).start()
    try:
        for _ in range(tries):
            if spool_empty(desk):
                break
            time.sleep(0.1)
        time.sleep(outbox_turn)  # (its outbox sender's turn)
    finally:
        assert daemon.stop() == 0


def spool_empty(desk: Desk) -> bool:
    """No mail in the desk's spool, new or claimed: `maild serve` processed what it took in."""
    spool = desk.root / "data" / "spool"
    claimed = [f for d in (spool / "claimed").iterdir() for f in d.iterdir() if f.name[0] != "."]
    return not any((spool / "new").iterdir()) and not claimed


def outbox_empty(desk: Desk) -> bool:
    """Nothing queued in the desk's outbox (`maild outbox list`): each mail queued so
    far reached the relay (or was set aside)."""
    return not desk.run("outbox", "list", "--json").json()


def staff_reply(tid: str, body: str, *, sender: str = "anna@example.com", **kw) -> bytes:
    """A reply to the staff notice: to its Reply-To, signed for this staff member."""
    kw.setdefault("to", staff_to(tid, sender))
    kw.setdefault("subject", f"Re: Новое обращение [TID#{tid}]")
    return make_mail(sender=f"Анна <{sender}>", body=body, **kw)


def relayed_reply(desk: Desk, sink: Sink, tid: str, body: str) -> list[Received]:
    """Anna's reply with ``body`` (staff_reply) taken in and sent on: what the relay
    got for it (at least one mail: the customer's, or her error notice)."""
    before = len(sink.received)
    desk.ingest(staff_reply(tid, body))
    desk.flush()
    return sink.wait_for(before + 1)[before:]


def list_to(tid: str, staff: str = "anna@example.com", support: str = SUPPORT) -> str:
    """A list mail's Reply-To (its first ticket ``tid``), signed for ``staff``: a reply
    there is one to the list itself, on none of its tickets."""
    from maild.domain.replyaddr import sign_list

    return sign_list(tid, staff, REPLY_SECRET.encode(), support)


AUTHSERV = "mx.example.com"  # the authserv-id a desk trusts with support.authserv_id


def dkim_pass(sender: str) -> dict[str, str]:
    """Our MTA's Authentication-Results (a desk with support.authserv_id = AUTHSERV):
    DKIM passed for the domain of ``sender``. A first mail so proven adds whom it
    copies (README "Trust": nobody joins a ticket by writing Cc)."""
    domain = sender.rsplit("@", 1)[1].rstrip(">")
    return {"Authentication-Results": f"{AUTHSERV}; dkim=pass header.d={domain}"}


# Requests a person writes one after another, each in words of its own: the same text
# from one address, each right after our confirmation of the one before, is a robot's
# from the third (domain/robotrounds.py), and numbers do not make texts differ.
_TOPICS = (
    "оплата картой",
    "личный кабинет",
    "выгрузка отчёта",
    "поиск по каталогу",
    "форма заказа",
    "рассылка писем",
    "резервная копия",
    "доступ по FTP",
    "импорт товаров",
    "мобильная версия",
    "корзина покупателя",
    "скидки и купоны",
    "регистрация покупателя",
    "восстановление пароля",
    "курсы валют",
    "доставка курьером",
)


_PAGES = ("на сайте", "в админке", "в приложении", "в отчётах")


def request_text(n: int) -> str:
    """The n-th of a customer's distinct requests (n < 64)."""
    topic, page = _TOPICS[n % len(_TOPICS)], _PAGES[n // len(_TOPICS)]
    return f"Здравствуйте! После обновления {page} не работает {topic}, подскажите, что делать."


def make_mail(
    *,
    sender: str = "Иван Петров <ivan@shop-example.ru>",
    to: str = "support@example.com",
    subject: str = "Не работает оформление заказа",
    body: str = "Здравствуйте! После обновления до 7.0 ошибка 500 при оформлении заказа.",
    charset: str = "utf-8",
    msgid: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
) -> bytes:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    m["Date"] = "Wed, 25 Nov 2026 10:15:00 +0300"
    m["Message-ID"] = msgid or email.utils.make_msgid(domain="client.example")
    for k, v in (headers or {}).items():
        m[k] = v
    m.set_content(body, charset=charset)
    for name, ctype, data in attachments:
        maintype, subtype = ctype.split("/")
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return m.as_bytes(policy=email.policy.SMTP)


class Daemon:
    """`maild serve` as a subprocess, the way systemd runs it."""

    def __init__(
        self, desk: Desk, days_ahead: float = 0, pace: dict[str, float] | None = None
    ) -> None:
        self.desk = desk
        self.proc: subprocess.Popen | zygote.Forked | None = None
        self.log = desk.root / "serve.log"
        self.days_ahead = days_ahead  # its clock this far ahead: tests/clockshift.py
        self.pace = pace or {}  # timers of maild's modules set shorter: tests/pace.py

    @property
    def port(self) -> int | None:
        smtp = self.desk.sections.get("smtp")
        return int(smtp["listen"].rsplit(":", 1)[1]) if smtp else None

    def start(self, timeout: float = 60) -> Daemon:
        """Started: "maild ready" in its log (every listener up, SIGTERM handled) and,
        with an SMTP listener, its greeting there. The greeting alone was not enough:
        another test run's server on the port (two checkouts' suites share the slices
        of free_port) answered it while this daemon still started, and a SIGTERM then
        killed it before it handled one (stop() returned -15)."""
        env = dict(os.environ, PYTHONPATH=str(ROOT), MAILD_DAYS_AHEAD=str(self.days_ahead))
        env["MAILD_PACE"] = json.dumps(self.pace)
        main = "tests.pace" if self.pace else "tests.clockshift" if self.days_ahead else "maild"
        self._logf = open(self.log, "ab")  # noqa: SIM115 - closed in stop()
        # (the log is appended to: a daemon started before on this desk said it was ready)
        before = self.log.stat().st_size
        args = ["--config", str(self.desk.config), "serve"]
        self.proc = zygote.spawn(main, args, env, stdout=self._logf, stderr=subprocess.STDOUT)
        try:
            self._wait_ready(before, time.monotonic() + timeout)
        except BaseException:  # not started: nothing of it left behind
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._logf.close()
            raise
        return self

    def _wait_ready(self, before: int, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"maild serve exited {self.proc.returncode}: {self.logtext()}")
            ready = b"maild ready" in self.log.read_bytes()[before:]
            if ready and (self.port is None or self._greets()):
                return
            time.sleep(0.05)
        raise RuntimeError(f"maild serve did not start in time: {self.logtext()}")

    def _greets(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                s.settimeout(10)
                if s.recv(100).startswith(b"220"):
                    s.sendall(b"QUIT\r\n")
                    return True
        except OSError:
            pass
        return False

    def logtext(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = 15, timeout: float = 60) -> int:
        """Its exit code; its SIGTERM grace (server.STOP_GRACE) and its children's
        ends take longer than that on a loaded machine."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._logf.close()

    def kill(self) -> None:
        self.stop(9)


class StorageHold:
    """A process holding `root`'s run/serve.lock as `maild serve` does, for a test that
    runs parts of the daemon in its own process: `maild status` then sees a serve
    running. Not the test's process itself: an in-process `maild status` opens and
    closes the lock file, and closing any descriptor of a file drops its process's
    POSIX locks on it."""

    def __init__(self, root: Path) -> None:
        code = (
            "import sys; from pathlib import Path; from maild.serving import claim_storage\n"
            "assert claim_storage(Path(sys.argv[1])) is not None\n"
            "print('held', flush=True); sys.stdin.read()  # till the test closes stdin\n"
        )
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, str(root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline() == b"held\n"

    def release(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


def stored_text(root: Path) -> str:
    """Every file under a desk's storage as text: its bytes and, of each mail (spool
    copies, outbox files after their record line), its decoded headers and text parts
    (plain and HTML): what a search of the disk for a secret or an address finds. A
    file a running daemon moves away between the listing and its reading (a queued mail
    sent) makes it list and read again: every file listed is read."""
    while (text := _stored_text(root)) is None:
        pass
    return text


def _stored_text(root: Path) -> str | None:
    """stored_text, or None when a file listed was gone by its reading."""
    out = []
    for path in sorted(p for p in (root / "data").rglob("*") if p.is_file()):
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        out.append(raw.decode("utf-8", "replace"))
        if "spool" in path.parts or path.suffix == ".mail":
            mail = raw.partition(b"\n")[2] if path.suffix == ".mail" else raw
            msg = email.message_from_bytes(mail, policy=email.policy.default)
            out += [f"{k}: {v}" for k, v in msg.items()]
            for part in msg.walk():
                if part.get_content_maintype() == "text":
                    out.append(part.get_content())
    return "\n".join(out)


T = TypeVar("T")


def peak_memory(call: Callable[[], T]) -> tuple[T, int]:
    """What `call()` returns, and the most memory it held at once (tracemalloc)."""
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
