"""`maild forget` and mail a worker claimed and read before the store lock: the
daemon's worker (runner.run_batch) and `maild ingest` claim a message and read it,
then wait for the lock a forget holds. Once forget reported, that mail is not stored
with the erased person's address, name or text: theirs not at all (its spool copy
goes, nothing is queued), another's without the address (as forget left its spool
copy). Mail spooled after forget reported is a new contact, stored as any.

The worker is a real second process, paused where it waits for the lock (its
store's `locked`, wrapped to wait for a line first); forget is the real CLI."""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
from pathlib import Path

import pytest

from maild import app as appmod
from maild import config, pipeline, runner
from maild.app import App
from tests.helpers import ROOT, Desk, make_mail

GONE = "ivan@shop.ru"
PASSPORT = "Мой паспорт 4500 123456"

WORKER = r"""
import sys
from maild import app as appmod
from maild import config, pipeline, runner
from maild.app import App

app = App(config.load(sys.argv[1]))
locked = app.store.locked

def paused():  # claimed and read: it waits for the store lock
    print("waiting", flush=True)
    input()
    app.store.locked = locked
    return locked()

app.store.locked = paused
raw = open(sys.argv[3], "rb").read()
if sys.argv[2] == "serve":
    result = runner.run_batch(app, [app.spool.add(raw)], budget=60)
    print("done", result.ok, result.failed, result.fault, flush=True)
else:
    key, decision = runner.ingest(app, raw)
    print("done", decision and decision.tid, flush=True)
"""


def _decoded(data: bytes) -> str:
    """A file as text: a mail (the outbox's after its record line, the spool's) with
    its headers and text parts decoded (base64, encoded words), else as UTF-8."""
    head, _, mail = data.partition(b"\n")
    shown = [data.decode("utf-8", "replace")]
    for raw in (data, mail):
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        shown += [f"{k}: {v}" for k, v in msg.items()]
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                shown.append(str(part.get_content()))
    return "\n".join(shown)


def _holding(root: Path, text: str) -> list[str]:
    """The files of tickets, outbox and spool that hold `text` (any case, decoded)."""
    found = []
    for top in ("tickets", "outbox", "spool"):
        for path in (root / "data" / top).rglob("*"):
            if path.is_file() and text.lower() in _decoded(path.read_bytes()).lower():
                found.append(str(path.relative_to(root / "data")))
    return found


def _opened(desk: Desk) -> str:
    """Ivan's ticket (the one to be erased); its TID."""
    return desk.ingest_tid(
        make_mail(
            sender=f"Иван Петров <{GONE}>",
            subject="Ошибка 500",
            body="Мой телефон +7 900 000-00-00",
        )
    )


def _while_forget(desk: Desk, how: str, raw: bytes) -> str:
    """Run a worker (`how`: "serve" or "ingest") on `raw`, let it claim and read it,
    erase GONE while it waits for the lock, then let it go on; its last line."""
    mail = desk.root / "late.eml"
    mail.write_bytes(raw)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(desk.config), how, str(mail)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    try:
        assert worker.stdout is not None and worker.stdin is not None
        assert worker.stdout.readline() == b"waiting\n"
        r = desk.run("forget", GONE)
        assert r.code == 0, r.err
        worker.stdin.write(b"\n")
        worker.stdin.close()
        said = worker.stdout.readline().decode().strip()
        worker.stdout.close()
        assert worker.wait(60) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    return said


@pytest.mark.parametrize("how", ["serve", "ingest"])
def test_their_mail_claimed_meanwhile_is_not_stored(tmp_path: Path, sink, how: str) -> None:
    desk = Desk(tmp_path, sink.port)
    tid = _opened(desk)
    late = make_mail(
        sender=f"Иван Петров <{GONE}>",
        subject=f"Re: [TID#{tid}] Ошибка 500",
        body=PASSPORT,
        msgid="<late@shop.ru>",
    )
    said = _while_forget(desk, how, late)
    assert said.startswith("done"), said
    assert _holding(tmp_path, "4500 123456") == []
    assert _holding(tmp_path, GONE) == []
    assert _holding(tmp_path, "Иван Петров") == []
    shown = desk.ticket(tid)
    assert shown["requester"] != GONE
    assert [m["kind"] for m in shown["messages"]].count("customer") == 1  # the erased one


def _petr() -> bytes:
    """Petr's mail naming the person to be erased in its Cc and text."""
    return make_mail(
        sender="Пётр <petr@firm.ru>",
        subject="Заказ 55 завис",
        body=f"Коллега Иван Петров <{GONE}> в копии, пишите и ему.",
        msgid="<petr@firm.ru>",
        headers={"Cc": f"Иван Петров <{GONE}>"},
    )


@pytest.mark.parametrize("how", ["serve", "ingest"])
def test_anothers_mail_claimed_meanwhile_loses_the_address(tmp_path: Path, sink, how: str) -> None:
    desk = Desk(tmp_path, sink.port)
    _opened(desk)
    petr = _petr()
    said = _while_forget(desk, how, petr)
    assert said.startswith("done"), said
    assert _holding(tmp_path, GONE) == []
    assert _holding(tmp_path, "Иван Петров") == []
    stored = [t for t in desk.tickets() if t["requester"] == "petr@firm.ru"]
    assert len(stored) == 1, "Petr's mail is Petr's: stored"
    assert desk.ticket(stored[0]["tid"])["participants"] == ["petr@firm.ru"]


def test_spooled_before_the_erasure_seen_after_it(tmp_path: Path, sink) -> None:
    """Mail whose key was made before the erasure and came to spool/new after forget
    looked (a listener's group commit): theirs is not stored, by forget's mark."""
    desk = Desk(tmp_path, sink.port)
    tid = _opened(desk)
    app = App(config.load(desk.config))
    before = app.now()
    assert desk.run("forget", GONE).code == 0
    late = make_mail(sender=GONE, subject=f"Re: [TID#{tid}]", body=PASSPORT, msgid="<l@shop.ru>")
    key = app.spool.add(late, when=before)
    try:
        assert runner.process_key(app, key) is None
    finally:
        app.spool.release(key)
        app.spool.close()
    assert _holding(tmp_path, "4500 123456") == []
    assert _holding(tmp_path, GONE) == []


def test_mail_after_the_erasure_is_a_new_contact(tmp_path: Path, sink) -> None:
    desk = Desk(tmp_path, sink.port)
    _opened(desk)
    assert desk.run("forget", GONE).code == 0
    tid = desk.ingest_tid(make_mail(sender=GONE, subject="Снова я", body=PASSPORT))
    assert desk.ticket(tid)["requester"] == GONE
    assert _holding(tmp_path, "4500 123456")


def test_anothers_mail_whose_scrubbed_copy_cannot_be_read_is_stored_as_raw_text(
    tmp_path: Path, sink, monkeypatch
) -> None:
    """Petr's mail naming the erased address, read before forget scrubbed its spool
    copy: the scrubbed copy is what is stored. A copy the parser cannot read (a fault
    of the parser on what forget left) is stored as raw text, as any mail the parser
    fails on, not failed for it (a message that fails is retried, then set aside in
    spool/bad/ for staff), and without the erased address."""
    desk = Desk(tmp_path, sink.port)
    _opened(desk)
    petr = _petr()
    app = App(config.load(desk.config))
    key = app.spool.add(petr, when=app.now())
    try:
        msg = app.parse(petr)  # read before the erasure
        assert desk.run("forget", GONE).code == 0
        assert app.spool.read(key) != petr  # forget scrubbed the address from it
        real = appmod.parse

        def fails_but_on_the_first(raw: bytes, *args, **kwargs):
            if raw == petr:
                return real(raw, *args, **kwargs)
            raise ValueError("the parser's fault")

        monkeypatch.setattr(appmod, "parse", fails_but_on_the_first)
        decision = pipeline.process(app, petr, spool_key=key, received_at=app.now(), msg=msg)
    finally:
        app.spool.close()
    assert decision is not None and decision.outcome == "new", decision
    [stored] = desk.ticket(decision.tid)["messages"][:1]
    assert "Message-ID: <petr@firm.ru>" in stored["text"]  # Petr's mail, as raw text
    assert "<forgotten@invalid>" in stored["text"]  # as forget left it
    assert _holding(tmp_path, GONE) == []
