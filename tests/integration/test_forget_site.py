"""What of a person «Задать вопрос» keeps, and the credentials a long pasted text
keeps in the zip a staff notice carries, gone as README promises. End to end: the
site in a real `maild serve`, the `maild` CLI (`forget`, `jobs run --now`); then the
storage is searched for what should be gone, in raw bytes, decoded mail parts and
zip members."""

from __future__ import annotations

import email
import email.policy
import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from maild.domain.longtext import MAX_MAILED_TEXT
from tests.helpers import Daemon, Desk, Sink, dead_port, make_mail, staff_reply, staff_to
from tests.integration.test_serve import wait_until
from tests.integration.test_web import mail_in
from tests.webclient import link_in, post, request, site_desk

OLGA = "olga@client.ru"
NAME = "Ольга Смирнова"
FORM_TEXT = "ОльгинТекстФормы про кассу"
REPLY_TEXT = "ОльгинТекстОтвет в чужом обращении"


def texts(data: bytes, depth: int = 0):
    """The file's bytes and what they hold decoded: a mail's parts (an outbox file's
    record line before it), a zip's members."""
    yield data
    if depth > 3:
        return
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                for name in z.namelist():
                    yield from texts(z.read(name), depth + 1)
        except zipfile.BadZipFile:
            pass
        return
    for mail in (data, data.partition(b"\n")[2]):
        msg = email.message_from_bytes(mail, policy=email.policy.compat32)
        if not msg.keys():
            continue
        for part in msg.walk():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes) and payload:
                yield from texts(payload, depth + 1)


def zips(path: Path) -> set[bytes]:
    """The zip files a stored mail carries."""
    return {z for z in texts(path.read_bytes()) if z[:2] == b"PK"}


def holding(root: Path, *needles: str) -> dict[str, list[str]]:
    """The files under `root` that hold each needle, any case."""
    found: dict[str, list[str]] = {n: [] for n in needles}
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        name = str(path.relative_to(root))
        for data in texts(path.read_bytes()):
            low = data.lower()
            for n in needles:
                if n.lower().encode() in low and name not in found[n]:
                    found[n].append(name)
    return found


LINK_SUBJECT = "Подтвердите обращение в службу поддержки"


def ask(base: str, ip: str, subject: str = "ОльгинаТемаФормы") -> None:
    headers = {"X-Forwarded-For": ip}
    form = request(base + "/new", headers=headers)
    fields = {"name": NAME, "email": OLGA, "subject": subject, "text": FORM_TEXT}
    sent = post(base + "/new", {**fields, "form": form.form_token()}, headers=headers)
    assert sent.status == 200, sent.text


def started(desk: Desk) -> Daemon:
    daemon = Daemon(desk).start()
    assert wait_until(lambda: "site on" in daemon.logtext(), 10)
    return daemon


def test_forget_erases_whoever_used_the_form_and_finishes(tmp_path):
    """The form's confirmation mail is of no ticket ("tid": null): `maild forget` of its
    address stopped on it with a TypeError (dry run too), half done: the person's text
    in another's ticket, the outbox's mail to them and the pending request, name and
    text, all kept; run again, it stopped again."""
    sink = Sink().start()
    desk, base = site_desk(tmp_path, sink.port)
    daemon = started(desk)
    try:
        raw = make_mail(sender="Пётр <petr@shop.ru>", subject="Касса", headers={"Cc": OLGA})
        mail_in(daemon, raw, "petr@shop.ru")
        [conf] = wait_until(lambda: sink.to("petr@shop.ru"))
        tid = conf.subject.split("[TID#")[1].rstrip("]")
        # the first mail proves no From: staff add whom it copies
        body = f"#cc {OLGA}\nСмотрим."
        answer = make_mail(sender="anna@example.com", to=staff_to(tid), body=body)
        mail_in(daemon, answer, "anna@example.com", staff_to(tid))
        [copy] = wait_until(lambda: sink.to(OLGA))
        reply = make_mail(sender=f"{NAME} <{OLGA}>", subject=copy.subject, body=REPLY_TEXT)
        mail_in(daemon, reply, OLGA)
        assert wait_until(lambda: REPLY_TEXT in str(desk.ticket(tid))), "Olga's reply not stored"
        ask(base, "192.0.2.10")  # and a question on the site, its link not clicked
        # her mail so far: the #cc copy, the confirmation of her reply, the form's link
        # (counting to 2 passed on the first two alone, and failed when the third came
        # before the count was read)
        assert wait_until(lambda: [m for m in sink.to(OLGA) if m.subject == LINK_SUBJECT])
    finally:
        assert daemon.stop() == 0
        sink.stop()
    dry = desk.run("forget", OLGA, "--dry-run")
    assert dry.code == 0 and "Traceback" not in dry.err, dry.err
    done = desk.run("forget", OLGA)
    assert done.code == 0 and "Traceback" not in done.err, done.err
    data = tmp_path / "data"
    left = holding(data, OLGA, FORM_TEXT, REPLY_TEXT, "Смирнова", "ОльгинаТемаФормы")
    assert left == {n: [] for n in left}, left
    assert REPLY_TEXT not in str(desk.ticket(tid))
    assert "Касса" in str(desk.ticket(tid))  # Pyotr's ticket stays his
    again = desk.run("forget", OLGA)
    assert again.code == 0 and "Traceback" not in again.err, again.err


def test_forget_erases_a_request_whose_record_was_never_written(tmp_path):
    """A kill or a full disk between the request's two writes leaves its .eml without
    its .json: forget knows it as the person's by the address in the mail, any case,
    and leaves another's request be."""
    desk = Desk(tmp_path, dead_port())
    desk.ingest(make_mail(sender="petr@shop.ru"))
    pending = tmp_path / "data" / "web" / "pending"
    pending.mkdir(parents=True, exist_ok=True)
    theirs, others = pending / "a1b2c3.eml", pending / "d4e5f6.eml"
    theirs.write_bytes(make_mail(sender=f"{NAME} <Olga@Client.RU>", body=FORM_TEXT))
    others.write_bytes(make_mail(sender="petr@shop.ru", body=FORM_TEXT))
    done = desk.run("forget", OLGA)
    assert done.code == 0, done.err
    assert not theirs.exists() and others.exists()


def test_the_scheduler_removes_requests_left_unconfirmed_on_a_quiet_site(tmp_path):
    """An unclicked «Задать вопрос» (name, address, subject, text) and a confirmed one's
    record went only when someone else sent the form: on a quiet site, for good."""
    sink = Sink().start()
    desk, base = site_desk(tmp_path, sink.port)
    daemon = started(desk)
    try:
        ask(base, "192.0.2.11")
        [mail] = wait_until(lambda: sink.to(OLGA))
        ask(base, "192.0.2.12", subject="Вторая тема")  # this one confirmed
        [_, second] = wait_until(lambda: sink.to(OLGA)[1:] and sink.to(OLGA))
        link = link_in(second.text, base, "c")
        assert post(link, {"form": request(link).form_token()}).status == 303
        assert wait_until(lambda: desk.tickets())
    finally:
        assert daemon.stop() == 0
        sink.stop()
    pending = tmp_path / "data" / "web" / "pending"
    kept = sorted(p.name for p in pending.iterdir())
    assert [n.rsplit(".", 1)[1] for n in kept] == ["eml", "json", "json"]
    now = datetime.now(UTC)
    soon = desk.run("jobs", "run", "--now", (now + timedelta(days=1)).isoformat(), "--json")
    assert soon.code == 0 and soon.json()["site_pending_expired"] == 0
    assert sorted(p.name for p in pending.iterdir()) == kept  # the links still open
    later = (now + timedelta(days=4)).isoformat()
    r = desk.run("jobs", "run", "--now", later, "--json")
    assert r.code == 0 and r.json()["site_pending_expired"] == 2, r.out + r.err
    assert list(pending.iterdir()) == []
    assert holding(tmp_path / "data", FORM_TEXT)[FORM_TEXT] == []
    assert "Смирнова" not in mail.text  # (the link mail repeats nothing typed)


# a pasted log past what a staff notice shows (longtext.MAX_MAILED_TEXT, 100,000
# characters), its end in the zip alone: ~124,000 characters (8,000 lines, 383,000,
# cost 2 s of CPU in redaction's passes, and proved no more)
LOG = "".join(f"[2026-11-25 10:{i % 60:02d}] debug line {i} nothing here\n" for i in range(2600))
SECRET = "LongTailSecr3t"


def test_redaction_rewrites_the_zipped_long_text_of_staff_notices(tmp_path):
    """A pasted text over 100,000 characters: the staff notice shows its start and
    carries all of it as текст-обращения-TID.zip; the credentials job rewrote the
    text part only, and the password at the end of the text stayed in the zip of
    every notice, sent and queued."""
    assert len(LOG) > MAX_MAILED_TEXT
    sink = Sink().start()
    desk = Desk(tmp_path, sink.port)
    try:
        body = "Лог ниже.\n" + LOG + f"Пароль: {SECRET}\n"
        sent = desk.ingest_tid(make_mail(body=body, subject="Лог", msgid="<l1@c.example>"))
        assert desk.flush().code == 0
        files = [a.get_filename() for m in sink.received for a in m.msg.iter_attachments()]
        assert files.count(f"текст-обращения-{sent}.zip") == 2  # one to each staff member
        queued = desk.ingest_tid(make_mail(body=body, subject="Лог 2", msgid="<l2@c.example>"))
        for tid in (sent, queued):
            r = desk.run("ingest", "-", input=staff_reply(tid, "#close\nГотово.\n"))
            assert r.code == 0, r.err
    finally:
        sink.stop()
    data = tmp_path / "data"
    outbox = data / "outbox"
    assert holding(outbox / "queue", SECRET)[SECRET]  # the second ticket's notices
    assert holding(outbox / "sent", SECRET)[SECRET]
    closed = max(datetime.fromisoformat(desk.ticket(t)["closed_at"]) for t in (sent, queued))
    later = (closed + timedelta(days=2, minutes=5)).isoformat()
    r = desk.run("jobs", "run", "--now", later, "--json")
    assert r.code == 0 and r.json()["redacted"] == 2, r.out + r.err
    assert holding(data, SECRET) == {SECRET: []}
    # each notice keeps its zip: the whole text, but the password
    notices = [zips(p) for p in outbox.rglob("*.mail") if zips(p)]
    assert len(notices) == 4  # to two staff members of each ticket
    for z in {z for found in notices for z in found}:
        with zipfile.ZipFile(io.BytesIO(z)) as f:
            [member] = f.namelist()
            text = f.read(member).decode()
        assert text.startswith("Лог ниже.\n" + LOG[:1000])
        assert text.rstrip().endswith("Пароль: [данные доступа удалены]")
