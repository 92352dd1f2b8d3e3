"""Every corpus mail through maild end to end: read as its sender wrote it, answered or not.

One data dir for the whole corpus (tests/data/corpus, see make_corpus.py). A handful of
files go through the real `maild ingest -` subprocess, the way an MTA pipe delivers;
the rest through `maild.cli.main` in-process (the same code without the interpreter
start-up). `maild outbox flush` runs as a subprocess against a real SMTP sink.
"""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from maild.cli import main
from tests.helpers import DATA, Desk, Received, Result, Sink, make_mail, staff_to

CORPUS = DATA / "corpus"
ALL_CASES = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))["cases"]
# A bounce of mail maild did not send is backscatter: it goes to the quarantine (issue 19);
# a bounce of our own mail joins its ticket (test_bounce_of_a_confirmation_...).
QUARANTINED = {"27_mailer_daemon_bounce.eml"}
CASES = [c for c in ALL_CASES if c["file"] not in QUARANTINED]
STAFF = ("anna@example.com", "boris@example.com")
SUPPORT = "support@example.com"
# Through the real subprocess: old 8-bit clients, a refused BMP, a bounce, no From.
VIA_SUBPROCESS = {
    "01_outlook_express_cp1251_8bit.eml",
    "02_thebat_koi8r_qp.eml",
    "19_bare_bmp.eml",
    "27_mailer_daemon_bounce.eml",
    "31_no_from.eml",
}


def cli(desk: Desk, *args: str) -> Result:
    """`maild --config ... ARGS` in this process."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["--config", str(desk.config), *args])
    return Result(code, out.getvalue(), err.getvalue())


def tid_of(output: str) -> str:
    return re.search(r"\[TID#(\d{4}-\d{4})\]", output).group(1)


@dataclass
class Run:
    desk: Desk
    sink: Sink
    tids: dict[str, str] = field(default_factory=dict)  # file -> TID
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)  # file -> ticket JSON
    mail: list[Received] = field(default_factory=list)

    def sent_for(self, tid: str) -> list[Received]:
        return [m for m in self.mail if f"[TID#{tid}]" in m.subject]


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    sink = Sink().start()
    try:
        desk = Desk(tmp_path_factory.mktemp("corpus"), sink.port)
        result = Run(desk, sink)
        for case in ALL_CASES:
            path = CORPUS / case["file"]
            if case["file"] in VIA_SUBPROCESS:
                out = desk.ingest(path.read_bytes()).out
            else:
                r = cli(desk, "ingest", str(path))
                assert r.code == 0, r.err
                out = r.out
            if case["file"] in QUARANTINED:
                assert out.startswith("quarantined "), out
                continue
            result.tids[case["file"]] = tid_of(out)
        for file, tid in result.tids.items():
            r = cli(desk, "ticket", "show", tid, "--json")
            assert r.code == 0, r.err
            result.tickets[file] = r.json()
        flushed = desk.flush()
        assert flushed.code == 0, flushed.out + flushed.err
        result.mail = sink.received
        yield result
    finally:
        sink.stop()


def _incoming(ticket: dict[str, Any]) -> dict[str, Any]:
    [first] = [m for m in ticket["messages"] if m["direction"] == "in"]
    return first


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["file"].removesuffix(".eml"))
def test_mail_is_stored_decoded(run: Run, case: dict) -> None:
    ticket = run.tickets[case["file"]]
    assert ticket["tid"] == run.tids[case["file"]]
    assert ticket["subject"] == case["ticket_subject"]
    assert ticket["requester"] == case["sender"]
    message = _incoming(ticket)
    assert message["from"] == case["sender"]
    assert message["kind"] == "customer"
    if case["message_id"]:
        assert message["message_id"] == case["message_id"]
    else:
        assert message["message_id"].startswith("<") and message["message_id"].endswith(">")
    for phrase in case["text"]:
        assert phrase in message["text"]
    for phrase in case["text_absent"]:
        assert phrase not in message["text"]
    assert "\ufffd" not in message["text"] + ticket["subject"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["file"].removesuffix(".eml"))
def test_attachment_decisions(run: Run, case: dict) -> None:
    attachments = _incoming(run.tickets[case["file"]])["attachments"]
    assert [(a["filename"], a["accepted"]) for a in attachments] == [
        (a["filename"], a["accepted"]) for a in case["attachments"]
    ]
    for got, want in zip(attachments, case["attachments"], strict=True):
        assert got["size"] > 0 and "/" in got["content_type"]
        if want["accepted"]:
            assert got["reason"] is None
        else:
            assert got["reason"] and want["reason_contains"] in got["reason"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["file"].removesuffix(".eml"))
def test_who_is_told(run: Run, case: dict) -> None:
    """Humans get one confirmation; robots, loops, lists and bounces none; staff always."""
    tid = run.tids[case["file"]]
    sent = run.sent_for(tid)
    notices = [m for m in sent if set(m.rcpt_tos) & set(STAFF)]
    # one notice to each staff member (its Reply-To is signed for them alone)
    assert sorted(r for m in notices for r in m.rcpt_tos) == sorted(STAFF), [
        m.rcpt_tos for m in sent
    ]
    notice = notices[0]
    for phrase in case["text"]:
        assert phrase in notice.text  # staff see the decoded text
    others = [m for m in sent if m not in notices]
    if case["answered"]:
        [conf] = others
        assert conf.rcpt_tos == [case["sender"]]
        assert conf.msg["Auto-Submitted"] == "auto-replied"
        incoming = _incoming(run.tickets[case["file"]])["message_id"]
        assert conf.msg["In-Reply-To"] == incoming
        assert tid in conf.text
        for a in case["attachments"]:
            if not a["accepted"]:
                assert a["filename"] in conf.text  # the customer learns what was refused
    else:
        assert others == []
        assert "автомат" in notice.text.lower()  # staff see why nobody was answered
    if case["sender"]:
        to_sender = [m for m in run.mail if case["sender"] in m.rcpt_tos]
        assert len(to_sender) == (1 if case["answered"] else 0)


def test_bare_bmp_confirmation_asks_for_an_archive(run: Run) -> None:
    [case] = [c for c in CASES if c["bmp_hint"]]
    tid = run.tids[case["file"]]
    [conf] = [m for m in run.sent_for(tid) if m.rcpt_tos == [case["sender"]]]
    assert "ZIP" in conf.text and "RAR" in conf.text
    assert "BMP" in conf.text
    assert "архив" in conf.text.lower()
    for c in CASES:  # a confirmation without refused files asks for no archive
        if c["answered"] and all(a["accepted"] for a in c["attachments"]):
            [other] = [m for m in run.sent_for(run.tids[c["file"]]) if m.rcpt_tos == [c["sender"]]]
            assert "RAR" not in other.text and "BMP" not in other.text


def test_nothing_goes_to_robots_loops_or_the_support_address(run: Run) -> None:
    recipients = {r for m in run.mail for r in m.rcpt_tos}
    assert SUPPORT not in recipients
    assert not any(r.startswith(("mailer-daemon@", "noreply@", "helpdesk@")) for r in recipients)
    answered = {c["sender"] for c in CASES if c["answered"]}
    assert recipients == answered | set(STAFF)


def test_every_mail_is_spooled_and_listed(run: Run) -> None:
    spooled = {p.read_bytes() for p in (run.desk.root / "data" / "spool" / "cur").iterdir()}
    for case in ALL_CASES:
        assert (CORPUS / case["file"]).read_bytes() in spooled, case["file"]
    listed = {t["tid"] for t in run.desk.tickets()}  # the real CLI, as staff use it
    assert listed >= set(run.tids.values())
    assert len(set(run.tids.values())) == len(CASES)  # one ticket per mail


def test_mail_without_message_id_is_stored_once(run: Run) -> None:
    [case] = [c for c in CASES if c["message_id"] is None]
    again = run.desk.ingest((CORPUS / case["file"]).read_bytes())
    assert "duplicate" in again.out and run.tids[case["file"]] in again.out
    ticket = run.desk.ticket(run.tids[case["file"]])
    assert len([m for m in ticket["messages"] if m["direction"] == "in"]) == 1


def test_bounce_of_a_confirmation_joins_the_ticket_it_is_about(tmp_path: Path) -> None:
    sink = Sink().start()
    try:
        desk = Desk(tmp_path, sink.port)
        first = (CORPUS / "03_utf8_base64.eml").read_bytes()
        tid = desk.ingest_tid(first)
        assert desk.flush().code == 0
        sink.wait_for(2)
        [conf] = sink.to("anna.volkova@gmail.example")
        bounce = (CORPUS / "27_mailer_daemon_bounce.eml").read_bytes()
        bounce = bounce.replace(
            b"<bounced-confirmation@example.com>", conf.msg["Message-ID"].encode()
        )
        r = desk.ingest(bounce)
        assert f"[TID#{tid}]" in r.out
        ticket = desk.ticket(tid)
        assert "<corpus-27@mx.mail-hosting.example>" in [
            m["message_id"] for m in ticket["messages"]
        ]
        assert len(desk.tickets()) == 1
        assert desk.flush().code == 0
        assert not [m for m in sink.received if "mailer-daemon" in " ".join(m.rcpt_tos)]
    finally:
        sink.stop()


def test_bounce_of_mail_sent_before_a_merge_joins_the_surviving_ticket(tmp_path: Path) -> None:
    """The bounced confirmation names the merged ticket; its mail now lives in the one
    it was merged into, and so does the bounce (not a stranger's new ticket)."""
    sink = Sink().start()
    try:
        desk = Desk(tmp_path, sink.port)
        merged = desk.ingest_tid((CORPUS / "03_utf8_base64.eml").read_bytes())
        survivor = desk.ingest_tid(make_mail(sender="petr@shop-example.ru"))
        assert desk.flush().code == 0
        [conf] = sink.to("anna.volkova@gmail.example")
        close = make_mail(
            sender="anna@example.com",
            to=staff_to(merged),
            subject=f"Re: [TID#{merged}]",
            body=f"#merge {survivor}",
        )
        desk.ingest(close)
        assert desk.ticket(merged)["merged_into"] == survivor
        bounce = (CORPUS / "27_mailer_daemon_bounce.eml").read_bytes()
        bounce = bounce.replace(
            b"<bounced-confirmation@example.com>", conf.msg["Message-ID"].encode()
        )
        r = desk.ingest(bounce)
        assert f"[TID#{survivor}]" in r.out, r.out
        assert len(desk.tickets()) == 2
    finally:
        sink.stop()


def test_auto_reply_to_a_closed_ticket_neither_reopens_it_nor_starts_a_deadline(desk) -> None:
    tid = tid_of(cli(desk, "ingest", str(CORPUS / "03_utf8_base64.eml")).out)
    close = make_mail(
        sender="anna@example.com",
        to=staff_to(tid),
        subject=f"Re: Расчёт доставки [TID#{tid}]",
        body="#close\nНастроили расчёт от обоих складов.",
        msgid="<close-1@example.com>",
    )
    oof = make_mail(
        sender="Анна Волкова <anna.volkova@gmail.example>",
        subject=f"Автоматический ответ: Re: Расчёт доставки [TID#{tid}]",
        body="Я в отпуске до 1 декабря.",
        msgid="<oof-1@gmail.example>",
        headers={"Auto-Submitted": "auto-replied"},
    )
    for name, raw in (("close.eml", close), ("oof.eml", oof)):
        (desk.root / name).write_bytes(raw)
        r = cli(desk, "ingest", str(desk.root / name))
        assert f"[TID#{tid}]" in r.out, r.err
    ticket = cli(desk, "ticket", "show", tid, "--json").json()
    assert "<oof-1@gmail.example>" in [m["message_id"] for m in ticket["messages"]]
    assert ticket["status"] == "closed"
    assert ticket["reaction_due"] is None
