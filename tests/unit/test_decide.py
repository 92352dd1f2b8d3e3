"""The decision about one message, pure: a Snapshot (what the store said), a parsed
message, the time and a Policy give a Decision; no store, no files, no App."""

from __future__ import annotations

import copy
import dataclasses
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, get_type_hints
from zoneinfo import ZoneInfo

import pytest

from maild.domain import ticket as tk
from maild.domain.attachments import AttachmentPolicy
from maild.domain.calendar import BusinessCalendar
from maild.domain.commands import Command
from maild.domain.decide import decide
from maild.domain.decision import Decision
from maild.domain.message import ParsedMessage, parse
from maild.domain.policy import Policy
from maild.domain.records import MessageRecord
from maild.domain.replyaddr import sign, sign_for, tid_of_message_id
from maild.domain.screen import screen
from maild.domain.sender import FREE_SUPPORT_MONTHS, Group, License, identify
from maild.domain.snapshot import Snapshot, Spammed
from maild.domain.staleview import stale_view
from maild.domain.tid import tag
from maild.domain.verify import requester_verified, staff_verified
from tests.helpers import PNG, make_mail

DATA = Path(__file__).parent.parent / "data"
SUPPORT = "support@example.com"
STAFF = ("anna@example.com", "boris@example.com")
SECRET = b"a fixed secret for the tests"
NOW = datetime(2026, 11, 25, 7, 15, tzinfo=UTC)  # Wednesday 10:15 in Moscow
CUSTOMER = "ivan@shop-example.ru"
LICENSE = License("LIC-1", "vip", (CUSTOMER,), until=date(2027, 1, 1), name="Магазин")


def _render_text(template: str, context: dict[str, Any]) -> tuple[str, str]:
    if template == "staff_reply.txt":  # a relayed answer: the staff's text, signed
        return context["subject"], f"{context['text']}\n\n--\nСлужба поддержки\n"
    return f"subject of {template}", f"text of {template} for [TID#{context['tid']}]"


def _render_answer(name: str, context: dict[str, Any]) -> str:
    return f"answer {name} for {context['name']}"


POLICY = Policy(
    staff=STAFF,
    support_address=SUPPORT,
    authserv_id=None,
    tz=ZoneInfo("Europe/Moscow"),
    calendar=BusinessCalendar(),
    attachments=AttachmentPolicy(),
    max_participants=10,
    credentials_keep_days=7,
    reply_secret=SECRET,
    domain="example.com",
    answer_names=("thanks",),
    render_answer=_render_answer,
    render_text=_render_text,
)


def _msg(**kw: Any) -> ParsedMessage:
    return parse(make_mail(**kw))


def _decide(snap: Snapshot, msg: ParsedMessage) -> Decision:
    d = decide(snap, msg, screen(msg, SUPPORT), NOW, POLICY)
    # what the thread's JSON holds is what its type says (records.MessageRecord)
    assert d.incoming is None or d.incoming.keys() <= get_type_hints(MessageRecord).keys()
    return d


def _ticket(tid: str = "1111-2222", requester: str = CUSTOMER) -> tuple[dict, list[dict]]:
    ident = identify(requester, [LICENSE], [], NOW.date())
    ticket = tk.new_ticket(tid, requester, "Заказ", ident, NOW, POLICY.due)
    first = {
        "message_id": "<first@shop-example.ru>",
        "direction": "in",
        "from": requester,
        "kind": "customer",
        "received_at": NOW.isoformat(),
        "text": "Не работает",
        "attachments": [],
    }
    return ticket, [first]


def _ours(message_id: str, kind: str, to: str, text: str) -> dict:
    """The record of a mail maild sent a minute ago."""
    at = NOW - timedelta(minutes=1)
    return {"message_id": message_id, "direction": "out", "kind": kind, "from": SUPPORT,
            "to": [to], "received_at": at.isoformat(), "text": text}  # fmt: skip


def test_forged_staff_mail_has_its_files_judged_as_a_customers() -> None:
    """Only a verified staff member's reply may carry any type of file: mail that merely
    claims a staff From (anyone may forge it) gets the regulation's file types, so a
    program it carries is refused, not kept in the ticket as a staff member's file."""
    loaded = _ticket()
    exe = [("setup.exe", "application/octet-stream", b"MZ\x90\x00" + b"\x00" * 60)]
    msg = _msg(sender=STAFF[0], subject="Re: [TID#1111-2222]", body="Вот.", attachments=exe)
    ident = identify(STAFF[0], [], [], NOW.date())
    forged = _decide(Snapshot("1111-2222", loaded, ident, staff_verified=False), msg)
    assert [a.accepted for a, _ in forged.attachments] == [False]
    proven = _decide(Snapshot("1111-2222", _ticket(), ident, staff_verified=True), msg)
    assert [a.accepted for a, _ in proven.attachments] == [True]


def test_a_licensed_sender_opens_a_ticket_at_the_license_level() -> None:
    msg = _msg(msgid="<new-1@shop-example.ru>")
    ident = identify(CUSTOMER, [LICENSE], [], NOW.date())
    snap = Snapshot(tid="5555-0001", loaded=None, ident=ident, staff_verified=False)
    d = _decide(snap, msg)
    assert d.outcome == "new" and d.tid == "5555-0001"
    assert d.ticket["level"] == "vip" and d.ticket["requester"] == CUSTOMER
    assert d.ticket["reaction_due"] == POLICY.due("vip", NOW).isoformat()
    assert d.ticket["refers_to"] is None and d.ticket["free_expired"] is False
    assert [m["message_id"] for m in d.messages] == ["<new-1@shop-example.ru>"]
    assert d.incoming is d.messages[0] and d.incoming["kind"] == "customer"
    staff, confirmation = d.outgoing
    assert (staff.kind, staff.template, staff.to) == ("notice", "staff_new.txt", list(STAFF))
    assert (confirmation.kind, confirmation.to) == ("confirmation", [CUSTOMER])
    assert confirmation.context["commercial"] is True
    assert confirmation.context["due"] == POLICY.fmt_time(d.ticket["reaction_due"])
    # the staff notice's subject names the deadline short: «(VIP, до 25.11 12:15)»
    assert staff.context["due_short"] == "25.11 12:15"


def test_a_new_tickets_notice_is_capped_per_domain_and_desk_unless_a_license_names_it() -> None:
    """The staff notice of a new ticket counts per From domain and desk-wide too
    (Outgoing.new_ticket), but for an address a license names: its ticket is due in
    hours, a flood of others must not hold its notice. A group's member is any local
    part at its domain, and is counted so."""
    group = Group("Партнёры", "partner", ("partner-example.ru",))
    for sender, counted_so in (
        (CUSTOMER, False),
        ("anna@partner-example.ru", True),
        ("petr@example.org", True),
    ):
        ident = identify(sender, [LICENSE], [group], NOW.date())
        snap = Snapshot("5555-0009", None, ident, False)
        notice = _decide(snap, _msg(sender=sender)).outgoing[0]
        assert (notice.template, notice.new_ticket) == ("staff_new.txt", counted_so), sender


def test_free_support_ends_six_months_after_the_first_ticket() -> None:
    msg = _msg(sender="Пётр <petr@example.org>")
    ident = identify("petr@example.org", [], [], NOW.date())
    snap = Snapshot("5555-0002", None, ident, False, first_seen="2026-01-10")
    d = _decide(snap, msg)
    assert d.ticket["level"] == "free" and d.ticket["free_expired"] is True
    assert d.outgoing[1].context["free_since"] == "10.01.2026"  # as the customer reads it
    assert d.outgoing[1].context["free_months"] == FREE_SUPPORT_MONTHS  # the term it names


def test_a_stranger_writing_into_a_ticket_opens_a_new_one_that_refers_to_it() -> None:
    stranger = "eve@elsewhere.example"
    msg = _msg(sender=stranger, subject=f"Re: Заказ {tag('1111-2222')}")
    ident = identify(stranger, [LICENSE], [], NOW.date())
    snap = Snapshot("5555-0003", None, ident, False, refers_to="1111-2222")
    d = _decide(snap, msg)
    assert d.outcome == "new" and d.tid == "5555-0003"
    assert d.ticket["refers_to"] == "1111-2222" and d.ticket["requester"] == stranger
    assert d.outgoing[1].context["refers_to"] == "1111-2222"


def test_a_customer_follow_up_is_appended_and_acknowledged() -> None:
    loaded = _ticket()
    before = copy.deepcopy(loaded)
    msg = _msg(msgid="<more@shop-example.ru>", body="Вот ещё подробности.")
    ident = identify(CUSTOMER, [LICENSE], [], NOW.date())
    d = _decide(Snapshot("1111-2222", loaded, ident, False), msg)
    assert d.outcome == "appended" and d.tid == "1111-2222"
    assert [m["message_id"] for m in d.messages][-1] == "<more@shop-example.ru>"
    assert [o.template for o in d.outgoing] == ["staff_followup.txt", "acknowledgement.txt"]
    assert loaded == before  # the snapshot is read, never changed


def test_forged_staff_mail_is_a_note_and_the_staff_member_is_told_how_to_reply() -> None:
    loaded = _ticket()
    msg = _msg(sender=f"Анна <{STAFF[0]}>", subject="Re: [TID#1111-2222]", body="#close\nГотово.")
    ident = identify(STAFF[0], [], [], NOW.date())
    d = _decide(Snapshot("1111-2222", loaded, ident, staff_verified=False), msg)
    assert d.outcome == "appended" and d.ticket["status"] == "new"  # no command ran
    assert d.incoming["kind"] == "note" and d.incoming["unverified_staff"] is True
    [out] = d.outgoing
    assert (out.template, out.to) == ("staff_unverified.txt", [STAFF[0]])
    # kept in the thread; within the caps, as anyone may forge the From
    assert (out.record, out.auto, out.unverified) == (True, True, True)
    assert out.context["subject"] == "Заказ"  # the ticket's, not the bare "Re: [TID#...]"
    assert out.context["reply_address"] == sign_for("1111-2222", STAFF[0], SECRET, SUPPORT)
    again = _decide(Snapshot("1111-2222", (d.ticket, d.messages), ident, False), msg)
    assert again.outgoing == []  # one such mail per ticket


def test_the_heads_unproven_mail_is_a_note_and_his_notice_is_capped_as_forged_mail() -> None:
    """Anyone may write the head's From: his notice («не передано сотрудникам») is
    capped as automatic mail answering no proven sender is, else a forger naming ticket
    after ticket sent him one each, uncapped (mail to support's own side is not)."""
    head = "head@example.com"
    policy = dataclasses.replace(POLICY, head=head)
    msg = _msg(sender=head, subject="Re: [TID#1111-2222]", body="#close\nГотово.")
    snap = Snapshot("1111-2222", _ticket(), identify(head, [], [], NOW.date()), False)
    d = decide(snap, msg, screen(msg, SUPPORT), NOW, policy)
    assert d.incoming["kind"] == "note" and d.incoming["unverified_staff"] is True
    [out] = d.outgoing
    assert (out.template, out.to) == ("head_note.txt", [head])
    assert (out.record, out.auto, out.unverified) == (True, True, True)


def test_close_from_verified_staff_closes_and_tells_the_customer_once() -> None:
    loaded = _ticket()
    msg = _msg(sender=f"Анна <{STAFF[0]}>", body="#close")
    ident = identify(STAFF[0], [], [], NOW.date())
    d = _decide(Snapshot("1111-2222", loaded, ident, staff_verified=True), msg)
    assert d.ticket["status"] == "closed" and d.ticket["closed_at"] == NOW.isoformat()
    assert d.incoming["kind"] == "note" and d.incoming["commands"] == ["#close"]
    [out] = d.outgoing
    assert (out.kind, out.template, out.to) == ("notice", "resolved.txt", [CUSTOMER])
    assert out.body.strip() == "text of resolved.txt for [TID#1111-2222]"


def test_a_staff_reply_with_a_saved_answer_is_relayed_to_the_customer() -> None:
    ticket, messages = _ticket()
    ticket = dict(ticket, requester_name="Иван")
    msg = _msg(sender=f"Анна <{STAFF[0]}>", body="#answer thanks")
    ident = identify(STAFF[0], [], [], NOW.date())
    d = _decide(Snapshot("1111-2222", (ticket, messages), ident, True), msg)
    [out] = d.outgoing
    assert (out.kind, out.to, out.auto) == ("staff", [CUSTOMER], False)
    assert out.body.startswith("answer thanks for Иван")
    assert out.body.endswith("\n--\nСлужба поддержки\n")  # signed by the desk
    assert d.ticket["first_reaction_at"] == NOW.isoformat()
    # the relayed reply's Message-ID is ours, signed: the customer's answer threads here
    assert d.incoming["sent_as"] == POLICY.message_id(out.key, "1111-2222")
    assert tid_of_message_id(d.incoming["sent_as"], SECRET, "example.com") == "1111-2222"


def test_a_part_of_a_letter_and_an_answer_sent_again_are_records_of_their_type() -> None:
    """The keys a part of a letter sent in parts (`fragment`) and an answer a member
    sent again (`same_answer`, kept as a note) add are MessageRecord's (_decide)."""
    part = parse(
        (Path(__file__).parent.parent / "data" / "partial" / "42_partial_1.eml").read_bytes()
    )
    ident = identify(part.from_addr, [], [], NOW.date())
    d = _decide(Snapshot("5555-0009", None, ident, False), part)
    assert d.incoming["fragment"]["number"] == 1
    ticket, messages = _ticket()
    answer = "Здравствуйте! Очистите, пожалуйста, кэш."
    sent = {**messages[0], "from": STAFF[0], "direction": "out", "kind": "staff", "text": answer}
    ident = identify(STAFF[0], [], [], NOW.date())
    msg = _msg(sender=f"Анна <{STAFF[0]}>", body=answer)
    d = _decide(Snapshot("1111-2222", (ticket, [*messages, sent]), ident, True), msg)
    assert (d.incoming["kind"], d.incoming["same_answer"]) == ("note", True)


@pytest.mark.parametrize(
    ("body", "snap_extra", "error"),
    [
        ("#merge 9999-9999", {}, "#merge: обращения 9999-9999 нет"),
        ("#charset cp1251", {}, "#charset: нет письма клиента"),
        ("#answer nope", {}, "#answer: нет сохранённого ответа «nope»"),
    ],
)
def test_what_the_snapshot_lacks_stops_the_whole_staff_reply(
    body: str, snap_extra: dict, error: str
) -> None:
    loaded = _ticket()
    msg = _msg(sender=f"Анна <{STAFF[0]}>", body=f"{body}\nОтвет клиенту.")
    ident = identify(STAFF[0], [], [], NOW.date())
    d = _decide(Snapshot("1111-2222", loaded, ident, True, **snap_extra), msg)
    assert d.ticket == loaded[0] and d.incoming["kind"] == "note"
    [out] = d.outgoing
    assert out.template == "staff_error.txt" and out.to == [STAFF[0]]
    assert any(e.startswith(error) for e in out.context["errors"])


def test_merge_into_a_ticket_the_snapshot_loaded() -> None:
    loaded = _ticket()
    target = _ticket("3333-4444")
    msg = _msg(sender=f"Анна <{STAFF[0]}>", body="#merge 3333-4444")
    ident = identify(STAFF[0], [], [], NOW.date())
    snap = Snapshot("1111-2222", loaded, ident, True, merge_targets={"3333-4444": target})
    d = _decide(snap, msg)
    assert d.ticket["status"] == "closed" and d.ticket["merged_into"] == "3333-4444"
    [(merged, _)] = d.also
    assert merged["tid"] == "3333-4444"
    assert [o.template for o in d.outgoing] == ["merged.txt"]


def test_charset_reads_the_kept_raw_mail_again() -> None:
    ticket, messages = _ticket()
    raw = "Subject: x\r\n\r\nПривет".encode("cp1251")
    msg = _msg(sender=f"Анна <{STAFF[0]}>", body="#charset cp1251")
    ident = identify(STAFF[0], [], [], NOW.date())
    snap = Snapshot("1111-2222", (ticket, messages), ident, True, charset_source=(0, raw))
    d = _decide(snap, msg)
    assert d.messages[0]["recharset"] == "cp1251" and "Привет" in d.messages[0]["text"]
    assert messages[0]["kind"] == "customer" and "recharset" not in messages[0]
    assert [o.template for o in d.outgoing] == ["staff_charset.txt"]


def test_a_reply_address_proves_only_the_customer_it_was_signed_for() -> None:
    petr = "petr@shop-example.ru"
    petrs_copy = sign_for("1111-2222", petr, SECRET, SUPPORT)
    ivans_copy = sign_for("1111-2222", CUSTOMER, SECRET, SUPPORT)

    def proven(sender: str, to: str) -> bool:
        return requester_verified(_msg(sender=sender, to=to), "1111-2222", POLICY)

    assert proven(CUSTOMER, ivans_copy) and proven(petr, petrs_copy)
    assert not proven(CUSTOMER, petrs_copy)  # petr's copy, From forged as the requester
    assert not proven(CUSTOMER, sign_for("3333-4444", CUSTOMER, SECRET, SUPPORT))
    # the ticket-wide address of older mail was in every customer's copy: proves no one
    assert not proven(CUSTOMER, sign("1111-2222", SECRET, SUPPORT))


def test_staff_mail_proves_a_staff_member_by_their_signed_address_or_dkim_only() -> None:
    annas_copy = sign_for("1111-2222", "anna@example.com", SECRET, SUPPORT)
    dkim = {"Authentication-Results": "mx.example.com; dkim=pass header.d=example.com"}
    with_dkim = dataclasses.replace(POLICY, authserv_id="mx.example.com")

    def proven(
        sender: str, to: str, cc: str = "", policy: Policy = POLICY, auth: bool = False
    ) -> bool:
        headers = ({"Cc": cc} if cc else {}) | (dkim if auth else {})
        return staff_verified(_msg(sender=sender, to=to, headers=headers), policy)

    assert proven("anna@example.com", annas_copy)
    assert proven("anna@example.com", SUPPORT, cc=annas_copy)  # wherever it is
    assert not proven("boris@example.com", annas_copy)  # anna's address, boris's From
    assert not proven("anna@example.com", SUPPORT)  # a From line alone proves nothing
    assert not proven(CUSTOMER, sign_for("1111-2222", CUSTOMER, SECRET, SUPPORT))
    assert not proven("anna@example.com", SUPPORT, auth=True)  # no authserv-id set
    assert proven("anna@example.com", SUPPORT, policy=with_dkim, auth=True)
    # DKIM proves the domain, not staff: an outsider of that domain is no staff member
    assert not proven("eve@example.com", SUPPORT, policy=with_dkim, auth=True)


def test_a_staff_reply_address_proves_its_member_on_its_own_ticket_alone() -> None:
    """An address leaks (a customer in Cc of the member's answer gets the mail sent to
    it): with another ticket's TID in the subject it proved the member there too."""
    annas_copy = sign_for("1111-2222", "anna@example.com", SECRET, SUPPORT)
    dkim = {"Authentication-Results": "mx.example.com; dkim=pass header.d=example.com"}
    with_dkim = dataclasses.replace(POLICY, authserv_id="mx.example.com")

    def proven(subject: str, policy: Policy = POLICY, headers: dict | None = None) -> bool:
        msg = _msg(sender="anna@example.com", to=annas_copy, subject=subject, headers=headers)
        return staff_verified(msg, policy)

    assert proven(f"Re: {tag('1111-2222')}") and proven("Re: Заказ")
    assert not proven(f"Re: {tag('3333-4444')}")
    assert proven(f"Re: {tag('3333-4444')}", with_dkim, dkim)  # DKIM proves her anywhere


def test_a_text_too_big_to_mail_even_zipped_stays_in_the_ticket_not_in_the_notice() -> None:
    """A text that does not compress (a 140 MB mail from the IMAP mailbox read as raw
    text: base64 of a dump) went whole into the notice's zip, a 147 MB staff notice
    the relay refused with 552 on every try: staff never heard of the ticket. A zip
    over longtext.MAX_ZIPPED_TEXT is left out (the notice says the text is in the ticket); a
    smaller one still goes."""
    import base64
    import os

    cap = 5 * 1024 * 1024  # longtext.MAX_ZIPPED_TEXT: 6.8 MB in base64, under postfix's 10 MB
    dump = base64.encodebytes(os.urandom(cap + 100_000)).decode()
    ident = identify(CUSTOMER, [LICENSE], [], NOW.date())
    for body, zipped in (("журнал\n" * 30_000, True), (dump, False)):
        snap = Snapshot(tid="5555-0009", loaded=None, ident=ident, staff_verified=False)
        notice = _decide(snap, _msg(body=body, msgid="<dump@shop-example.ru>")).outgoing[0]
        assert notice.context["text_cut"]
        assert [name for name, _, _ in notice.attach] == (
            ["текст-обращения-5555-0009.zip"] if zipped else []
        )
        assert ("text_file" in notice.context) is zipped
        assert sum(len(data) for _, _, data in notice.attach) <= cap


@pytest.mark.parametrize("status", ["new", "closed"])
@pytest.mark.parametrize(
    "body", ["#level standard\n#close", "#close\n#level standard", "#consulting\n#close"]
)
def test_a_level_of_a_ticket_that_ends_closed_tells_the_customer_nothing(
    status: str, body: str
) -> None:
    """Only the level changes (for the SLA report); the customer gets the rating request
    of the close, if it closes now, and no level notice, whatever the lines' order. A
    #close of a ticket closed already changes nothing: its writer is told so
    (closedcmd.idle_commands)."""
    ticket, messages = _ticket()
    if status == "closed":
        ticket.update(status="closed", closed_at=NOW.isoformat(), reaction_due=None)
    msg = _msg(sender=f"Анна <{STAFF[0]}>", body=body)
    ident = identify(STAFF[0], [], [], NOW.date())
    d = _decide(Snapshot("1111-2222", (ticket, messages), ident, True), msg)
    assert d.ticket["status"] == "closed" and d.ticket["reaction_due"] is None
    assert d.ticket["level"] == ("consulting" if "consulting" in body else "standard")
    want = ["resolved.txt"] if status == "new" else ["staff_error.txt"]
    assert [o.template for o in d.outgoing] == want
    assert [o.to for o in d.outgoing if o.template == "staff_error.txt"] in ([], [[STAFF[0]]])


def _spam_reply(body: str, requester: str = CUSTOMER) -> Decision:
    loaded = _ticket(requester=requester)
    msg = _msg(sender=f"Анна <{STAFF[0]}>", body=body)
    ident = identify(STAFF[0], [], [], NOW.date())
    return _decide(Snapshot("1111-2222", loaded, ident, staff_verified=True), msg)


def test_spam_from_verified_staff_marks_the_ticket_and_tells_only_its_marker() -> None:
    d = _spam_reply("#spam")
    assert d.outcome == "spam"
    [done] = d.outgoing  # to the staff member alone: what went and what was blocked
    assert (done.template, done.to, done.record) == ("staff_spam_done.txt", [STAFF[0]], False)
    assert (done.context["requester"], done.context["blocked"]) == (CUSTOMER, CUSTOMER)
    assert d.ticket["spam"] == {"by": STAFF[0], "entry": CUSTOMER}
    assert (d.incoming["kind"], d.incoming["text"]) == ("note", "#spam")
    d = _spam_reply("Очередная рассылка.\n#spam domain")
    domain = CUSTOMER.rpartition("@")[2]  # shop-example.ru
    assert d.ticket["spam"] == {"by": STAFF[0], "entry": domain}
    assert d.outgoing[0].context["blocked"] == domain and d.outgoing[0].context["blocked_domain"]
    assert d.incoming["text"].strip() == "Очередная рассылка."


def test_spam_tells_its_marker_how_many_mails_came_not_how_many_the_thread_holds() -> None:
    """staff_spam_done.txt says how many of the ticket's mails went to the quarantine:
    those that came (the customer's, a notice's), not our confirmation or staff notes."""
    ticket, messages = _ticket()
    ours = {"message_id": "<conf@example.com>", "direction": "out", "kind": "confirmation",
            "from": "support@example.com", "to": [CUSTOMER], "received_at": NOW.isoformat(),
            "text": "Зарегистрировано", "attachments": []}  # fmt: skip
    second = {**messages[0], "message_id": "<second@shop-example.ru>", "text": "Акция!"}
    note = {**ours, "message_id": "<note@example.com>", "direction": "in", "kind": "note",
            "from": STAFF[0], "to": []}  # fmt: skip
    msg = _msg(sender=f"Анна <{STAFF[0]}>", body="#spam")
    ident = identify(STAFF[0], [], [], NOW.date())
    loaded = (ticket, [messages[0], ours, second, note])
    d = _decide(Snapshot("1111-2222", loaded, ident, staff_verified=True), msg)
    [done] = d.outgoing
    assert done.context["spam_kept"] == 2


def test_spam_domain_of_a_free_mail_service_blocks_the_address_alone() -> None:
    d = _spam_reply("#spam domain", requester="promo@gmail.com")
    assert d.ticket["spam"] == {"by": STAFF[0], "entry": "promo@gmail.com"}
    assert d.outgoing[0].context["free_mail"] == "gmail.com"
    assert d.incoming["text"] == (
        "#spam\n(домен gmail.com — бесплатная почта, заблокирован только адрес отправителя)"
    )


def test_mail_of_a_spam_ticket_is_held_and_only_verified_staff_are_told() -> None:
    mark = Spammed(by="boris@example.com", at=NOW.isoformat(), blocked="x@spam.example")
    staff_ident = identify(STAFF[0], [], [], NOW.date())

    def held(sender: str, verified: bool) -> Decision:
        snap = Snapshot("1111-2222", None, staff_ident, verified, spammed=mark)
        return _decide(snap, _msg(sender=sender, subject="Re: Акция [TID#1111-2222]"))

    d = held(STAFF[0], verified=True)
    assert (d.outcome, d.tid, d.ticket, d.messages) == ("held", "1111-2222", None, [])
    [out] = d.outgoing
    # no thread to keep it in: the ticket is in the quarantine
    assert (out.template, out.to, out.record) == ("staff_spammed.txt", [STAFF[0]], False)
    assert out.context["marked_by"] == "boris@example.com"
    assert out.context["marked_at"] == POLICY.fmt_time(NOW.isoformat())  # when, as staff read it
    assert out.context["subject"] == "Акция"  # the mark kept none: the mail's own, bare
    named = dataclasses.replace(mark, subject="Скидки недели")
    snap = Snapshot("1111-2222", None, staff_ident, True, spammed=named)
    [out] = _decide(snap, _msg(sender=STAFF[0], subject="Re: [TID#1111-2222]")).outgoing
    assert out.context["subject"] == "Скидки недели"
    assert held(STAFF[0], verified=False).outgoing == []  # a forged staff From
    assert held("x@spam.example", verified=False).outgoing == []  # the spammer


def test_staff_mail_for_a_ticket_not_in_the_store_is_held_and_the_sender_told() -> None:
    ident = identify(STAFF[0], [], [], NOW.date())
    for missing, verified in [("issued", True), ("named", False)]:
        snap = Snapshot("7777-8888", None, ident, verified, missing=missing)
        d = _decide(snap, _msg(sender=STAFF[0], subject="Re: [TID#7777-8888]", body="#close"))
        assert (d.outcome, d.ticket) == ("held", None)
        [out] = d.outgoing
        assert (out.template, out.to) == ("staff_noticket.txt", [STAFF[0]])
        assert out.record is False  # no ticket to keep it in
        assert out.context["issued"] is (missing == "issued")
        assert out.unverified is (not verified)  # unverified: within the caps


def test_a_staff_out_of_office_for_a_ticket_not_in_the_store_is_kept_no_one_told() -> None:
    """A staff member's out-of-office answering a notice of a ticket deleted since: held,
    and no «такого обращения нет» goes back to the robot (it may answer again)."""
    ident = identify(STAFF[0], [], [], NOW.date())
    auto = {"Auto-Submitted": "auto-replied"}
    msg = _msg(sender=STAFF[0], subject="Re: [TID#7777-8888]", body="В отпуске.", headers=auto)
    d = _decide(Snapshot("7777-8888", None, ident, True, missing="issued"), msg)
    assert (d.outcome, d.ticket, d.outgoing) == ("held", None, [])


def test_a_staff_members_reply_address_answered_from_elsewhere_is_a_note_told_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ticket, messages = _ticket()
    anna = STAFF[0]
    ident = identify("anna.home@mail.example", [], [], NOW.date())

    def alias(sender: str, ticket: dict = ticket, **headers: str) -> Decision:
        snap = Snapshot("1111-2222", (ticket, messages), ident, False, staff_signed=anna)
        msg = _msg(sender=sender, body="#close\nГотово.", headers=headers or None)
        return _decide(snap, msg)

    with caplog.at_level(logging.DEBUG):
        d = alias("anna.home@mail.example")
    assert caplog.records == []  # the decision says its lines; the pipeline logs them
    # the line names the mail, the ticket, who wrote and whose address it was
    [said] = d.said
    assert (said.level, said.logger) == (logging.WARNING, "maild.trust")
    assert d.incoming["message_id"] in said.text and "[TID#1111-2222]" in said.text
    assert f"from anna.home@mail.example to the reply address of {anna}" in said.text
    assert d.outcome == "appended" and d.ticket["status"] == ticket["status"]  # no command
    assert (d.incoming["kind"], d.incoming["signed_for"]) == ("note", anna)
    [out] = d.outgoing
    assert (out.template, out.to, out.unverified) == ("staff_alias.txt", [anna], True)
    assert (out.record, out.auto) == (True, True)
    assert out.context["as_support"] is False
    assert out.context["subject"] == "Заказ"  # the ticket's, whatever the mail's
    assert d.ticket["sent"] == {"alias:anna.home@mail.example": NOW.isoformat()}
    assert alias("anna.home@mail.example", ticket=d.ticket).outgoing == []  # told once
    # a client sending "as" the support address: told, and that it was so
    [out] = alias(SUPPORT).outgoing
    assert out.context["as_support"] is True
    # maild's own mail coming back, or an automatic answer: a note, no one told
    assert alias(SUPPORT, **{"X-Loop": SUPPORT}).outgoing == []
    assert alias(SUPPORT, **{"Auto-Submitted": "auto-replied"}).outgoing == []
    assert alias("robot@mail.example", **{"Auto-Submitted": "auto-replied"}).outgoing == []


@pytest.mark.parametrize(
    ("headers", "subject"),
    [
        ({"Precedence": "auto_reply"}, "Re: Заказ"),
        ({"X-Autoreply": "yes"}, "Re: Заказ"),
        ({"Auto-Submitted": "no", "Precedence": "bulk"}, "Re: Заказ"),
        ({}, "Автоответ: Re: Заказ"),
    ],
)
def test_an_out_of_office_sent_as_support_to_a_staff_address_is_told_to_no_one(
    headers: dict, subject: str
) -> None:
    """An out-of-office sent "as" support to a staff member's signed address: automatic
    by the one rule (screen's), so no «Ответ клиенту не отправлен» goes (it would be
    answered again), whichever sign says so."""
    ticket, messages = _ticket()
    snap = Snapshot("1111-2222", (ticket, messages), None, False, staff_signed=STAFF[0])
    msg = _msg(sender=SUPPORT, subject=subject, body="Я в отпуске.", headers=headers or None)
    d = _decide(snap, msg)
    assert (d.incoming["kind"], d.incoming["signed_for"]) == ("note", STAFF[0])
    assert d.outgoing == [] and not d.ticket.get("sent")


def test_mail_sent_as_support_with_another_lists_x_loop_is_by_hand_and_told() -> None:
    """A person's mail sent "as" support that passed through a list (its X-Loop names
    the list, not support): no loop and no robot by the one rule, so the staff member
    is told the answer did not go. maild's own X-Loop stays a loop (the test above)."""
    ticket, messages = _ticket()
    snap = Snapshot("1111-2222", (ticket, messages), None, False, staff_signed=STAFF[0])
    msg = _msg(sender=SUPPORT, headers={"X-Loop": "team@lists.example.org"})
    [out] = _decide(snap, msg).outgoing
    assert (out.template, out.to, out.context["as_support"]) == (
        "staff_alias.txt",
        [STAFF[0]],
        True,
    )


def test_another_help_desks_robot_answering_our_mail_is_noted_once_and_gets_none() -> None:
    """A customer address that answers maild's automatic mail with another desk's
    ticket tag is a robot on this ticket: remembered with a note, once, and sent no
    automatic mail. What the message answers is its In-Reply-To, else the last of its
    References (the rest is history): a reply to a person's mail is a person's."""
    ticket, messages = _ticket()

    def out(message_id: str, kind: str, minutes_ago: int) -> dict:
        at = NOW - timedelta(minutes=minutes_ago)
        return {**messages[0], "message_id": message_id, "direction": "out", "kind": kind,
                "from": SUPPORT, "to": [CUSTOMER], "received_at": at.isoformat()}  # fmt: skip

    # a staff member's reply, then maild's acknowledgement of a later follow-up
    thread = [
        *messages,
        out("<reply@example.com>", "staff", 20),
        out("<ack@example.com>", "notice", 1),
    ]
    ident = identify(CUSTOMER, [LICENSE], [], NOW.date())

    def answer(ticket: dict = ticket, **headers: str) -> Decision:
        msg = _msg(subject="Re: [Ticket#123456] Заказ [TID#1111-2222]", headers=headers)
        return _decide(Snapshot("1111-2222", (ticket, thread), ident, False), msg)

    for headers in ({"In-Reply-To": "<ack@example.com>"},
                    {"References": "<first@shop-example.ru> <ack@example.com>"}):  # fmt: skip
        d = answer(**headers)
        assert list(d.ticket["robots"]) == [CUSTOMER], headers
        assert "Ticket#123456" in d.ticket["robots"][CUSTOMER]
        assert [m["kind"] for m in d.messages[len(thread) :]] == ["customer", "note"]
        assert CUSTOMER in d.messages[-1]["text"] and "робот" in d.messages[-1]["text"]
        assert all(CUSTOMER not in o.to for o in d.outgoing)  # no acknowledgement
        # its line starts with the mail's Message-ID (STYLE.md); an INFO line of its
        # own logger, as logging had it (the daemon logs INFO: a DEBUG line is lost)
        [robot] = [x for x in d.said if "treated as a robot" in x.text]
        assert (robot.level, robot.logger) == (logging.INFO, "maild.trust")
        line = robot.text
        assert line.startswith(f"{d.incoming['message_id']} [TID#1111-2222] {CUSTOMER} "), line
    # known already: no second note, and another robot of the ticket stays known
    known = {**ticket, "robots": {CUSTOMER: "ранее", "bot@elsewhere.example": "ранее"}}
    d = answer(known, **{"In-Reply-To": "<ack@example.com>"})
    assert d.ticket["robots"] == known["robots"]
    assert [m["kind"] for m in d.messages[len(thread) :]] == ["customer"]
    d = answer(
        {**ticket, "robots": {"bot@elsewhere.example": "ранее"}},
        **{"In-Reply-To": "<ack@example.com>"},
    )
    assert sorted(d.ticket["robots"]) == ["bot@elsewhere.example", CUSTOMER]
    # answering the person's reply (the acknowledgement only in the history): a person
    for headers in ({"In-Reply-To": "<reply@example.com>"},
                    {"References": "<ack@example.com> <reply@example.com>"}):  # fmt: skip
        d = answer(**headers)
        assert "robots" not in d.ticket or not d.ticket["robots"], headers
        assert any(o.to == [CUSTOMER] for o in d.outgoing), headers


def _dsn(about: str, n: int) -> ParsedMessage:
    """The n-th delivery report (a fresh Message-ID each) that our mail `about` failed."""
    raw = (
        "From: MAILER-DAEMON@mx.shop-example.ru\r\nTo: support@example.com\r\n"
        f"Subject: Undelivered Mail\r\nMessage-ID: <dsn{n}@mx.shop-example.ru>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.shop-example.ru\r\n\r\n"
        f"Final-Recipient: rfc822; {CUSTOMER}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {about}\r\nSubject: x\r\n\r\n--B--\r\n"
    )
    return parse(raw.encode())


def test_a_report_of_our_mail_said_again_is_kept_and_told_to_no_one() -> None:
    """Reports of our mail are no outsider's mail (no cap counts them): one report per
    mail and what it says is told; the same again, under a fresh Message-ID, is kept in
    the thread and changes nothing."""
    ticket, messages = _ticket()
    ident = identify(CUSTOMER, [LICENSE], [], NOW.date())
    snap = Snapshot("1111-2222", (ticket, messages), ident, False, our_bounce=True)
    first = _decide(snap, _dsn("<conf@example.com>", 1))
    assert first.incoming["report_of"] == "failed <conf@example.com>"
    assert [o.template for o in first.outgoing] == ["staff_followup.txt"]
    assert CUSTOMER in first.ticket["undeliverable"]
    staff_cc = {**first.ticket}
    del staff_cc["undeliverable"]  # staff added the address again (#cc)
    snap = dataclasses.replace(snap, loaded=(staff_cc, first.messages))
    again = _decide(snap, _dsn("<conf@example.com>", 2))
    assert again.outcome == "appended" and again.outgoing == []
    assert again.ticket == staff_cc and again.messages[-1] is again.incoming
    other = _decide(snap, _dsn("<ack@example.com>", 3))  # another mail of ours
    assert [o.template for o in other.outgoing] == ["staff_followup.txt"]


def test_a_confirmation_is_capped_desk_wide_unless_the_mail_proves_its_sender() -> None:
    """Of a new ticket, the confirmation to a sender whose mail proves nothing counts in
    the cap on all such senders together; DKIM/SPF for the From (with authserv_id), or
    a reply address signed for it, leave it to the caps per address and ticket."""
    ident = identify("olga@shop-b.example", [], [], NOW.date())
    snap = Snapshot("5555-0009", None, ident, False)
    policy = dataclasses.replace(POLICY, authserv_id="mx.example.com")
    proof = "mx.example.com; dkim=pass header.d=shop-b.example"
    for headers, capped in (({}, True), ({"Authentication-Results": proof}, False)):
        msg = _msg(sender="olga@shop-b.example", headers=headers)
        d = decide(snap, msg, screen(msg, SUPPORT), NOW, policy)
        [confirmation] = [o for o in d.outgoing if o.kind == "confirmation"]
        assert confirmation.desk_capped is capped
    signed = sign_for("1111-2222", "olga@shop-b.example", SECRET, SUPPORT)
    d = _decide(snap, _msg(sender="olga@shop-b.example", to=signed))
    assert [o.desk_capped for o in d.outgoing if o.kind == "confirmation"] == [False]
    assert not [o for o in d.outgoing if o.kind == "notice" and o.desk_capped]


def test_a_customers_auto_reply_in_the_thread_blocks_no_staff_wait_or_close() -> None:
    """A customer's out-of-office into the ticket is kept marked automatic, so a staff
    member's #wait or #close written before it still runs: it is no customer's words
    to answer (staleview). Unmarked it would read as «клиент уже написал»."""
    ticket, messages = _ticket()
    ident = identify(CUSTOMER, [LICENSE], [], NOW.date())
    msg = _msg(
        msgid="<ooo@shop-example.ru>",
        subject="Автоответ: Re: [TID#1111-2222] Заказ",
        body="Я в отпуске до понедельника.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    d = _decide(Snapshot("1111-2222", (ticket, messages), ident, False), msg)
    staff_notice = {**messages[0], "message_id": "<n@x>", "direction": "out", "kind": "notice"}
    thread = [messages[0], staff_notice, d.incoming]
    fmt = str
    for presumed in ("wait", "close"):
        assert stale_view([Command(presumed)], thread, 1, STAFF[0], fmt).errors == []


def test_the_copies_of_a_proven_staff_forward_join_the_customers_ticket() -> None:
    """A staff member's forward that proves her (the Snapshot's forwarded_ident) opens
    the ticket for the customer and the colleague of his she copies gets every answer:
    her proof stands for his mail, which no DKIM of his can prove."""
    petr = "petr@shop-example.ru"
    body = (
        "Коллеги, заведите обращение.\n\n-------- Пересланное сообщение --------\n"
        f"Тема: Корзина\nОт: Иван Петров <{CUSTOMER}>\nКому: {STAFF[0]}\n\n"
        "Корзина не работает.\n"
    )
    fwd = {"subject": "Fwd: Корзина", "body": body, "headers": {"Cc": petr}}
    msg = _msg(sender=STAFF[0], **fwd)
    ident = identify(CUSTOMER, [LICENSE], [], NOW.date())
    snap = Snapshot(
        "3333-4444",
        None,
        identify(STAFF[0], [], [], NOW.date()),
        staff_verified=True,
        forwarded=(CUSTOMER, "Иван Петров"),
        forwarded_ident=ident,
    )
    d = _decide(snap, msg)
    assert (d.outcome, d.ticket["requester"]) == ("new", CUSTOMER)
    assert d.ticket["participants"] == [CUSTOMER, petr]


def test_the_heads_answer_to_our_mail_is_never_judged_a_robots() -> None:
    """The head is support's own side: his quick answer to mail maild sent him, its
    subject carrying another system's tag (his company's «Case #4711»), is his note,
    he is told how his mail reaches staff, and no robot mark is set on him."""
    head = "head@example.com"
    policy = dataclasses.replace(POLICY, head=head)
    ticket, messages = _ticket()
    escalation = _ours("<esc@example.com>", "notice", head, "Просрочена реакция")
    msg = _msg(
        sender=f"Олег <{head}>",
        subject="Re: Просрочена реакция [TID#1111-2222] [Case #4711]",
        body="Анна, ответьте клиенту сегодня.",
        headers={"In-Reply-To": "<esc@example.com>"},
    )
    snap = Snapshot("1111-2222", (ticket, [*messages, escalation]), None, False)
    d = decide(snap, msg, screen(msg, SUPPORT), NOW, policy)
    assert head not in (d.ticket.get("robots") or {})
    assert d.incoming["kind"] == "note" and [o.to for o in d.outgoing] == [[head]]


def test_reports_known_by_their_subject_alone_are_each_of_the_mail_they_are_about() -> None:
    """A report that quotes none of our mail's Message-ID belongs to the ticket by its
    subject: it is of the ticket's last mail to its customers then (Snapshot.report_of).
    A report so of a later answer is news to staff, not «the same report again»."""
    ticket, messages = _ticket()
    ident = identify(CUSTOMER, [LICENSE], [], NOW.date())

    def bare(n: int) -> ParsedMessage:  # the report with no headers of the mail returned
        return parse(
            (
                "From: MAILER-DAEMON@mx.shop-example.ru\r\nTo: support@example.com\r\n"
                f"Subject: Undelivered Mail: Re: [TID#1111-2222]\r\n"
                f"Message-ID: <bare{n}@mx.shop-example.ru>\r\nMIME-Version: 1.0\r\n"
                "Content-Type: multipart/report; report-type=delivery-status;"
                ' boundary="B"\r\n\r\n'
                "--B\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n"
                "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
                "Reporting-MTA: dns; mx.shop-example.ru\r\n\r\n"
                f"Final-Recipient: rfc822; {CUSTOMER}\r\nAction: failed\r\n"
                "Status: 5.1.1\r\n\r\n--B--\r\n"
            ).encode()
        )

    snap = Snapshot("1111-2222", (ticket, messages), ident, False, our_bounce=True)
    first = _decide(dataclasses.replace(snap, report_of="<conf@example.com>"), bare(1))
    assert [o.template for o in first.outgoing] == ["staff_followup.txt"]
    staff_cc = {k: v for k, v in first.ticket.items() if k != "undeliverable"}
    snap = dataclasses.replace(snap, loaded=(staff_cc, first.messages))
    later = _decide(dataclasses.replace(snap, report_of="<answer@example.com>"), bare(2))
    assert [o.template for o in later.outgoing] == ["staff_followup.txt"]


def test_a_customers_out_of_office_answering_each_confirmation_marks_no_robot() -> None:
    """A customer away writes from the phone, and their out-of-office answers each of our
    confirmations at once with its same text: automatic mail, kept and told as such,
    never judged by the robot rules, so the customer is never marked a robot (whose
    mail would get no more confirmations and no notices to staff)."""
    ticket, messages = _ticket()
    ident = identify(CUSTOMER, [LICENSE], [], NOW.date())
    for n in range(4):
        confirmation = _ours(
            f"<conf{n}@example.com>", "confirmation", CUSTOMER, "Обращение зарегистрировано"
        )
        msg = _msg(
            msgid=f"<ooo{n}@shop-example.ru>",
            subject="Автоответ: Re: [TID#1111-2222] Заказ",
            body="Я в отпуске до понедельника.",
            headers={"Auto-Submitted": "auto-replied", "In-Reply-To": f"<conf{n}@example.com>"},
        )
        snap = Snapshot("1111-2222", (ticket, [*messages, confirmation]), ident, False)
        d = _decide(snap, msg)
        ticket, messages = d.ticket, d.messages
        assert CUSTOMER not in (ticket.get("robots") or {}), n


def test_the_heads_files_at_his_reply_address_reach_staff_with_his_note() -> None:
    """The head's answer at his signed reply address («схема во вложении») goes to staff
    with its files, and staff's "Reply" answers him (its Reply-To), not the customer."""
    head = "head@example.com"
    policy = dataclasses.replace(POLICY, head=head)
    scheme = [("схема.png", "image/png", PNG)]
    msg = _msg(
        sender=head, subject="Re: [TID#1111-2222]", body="Схема во вложении.", attachments=scheme
    )
    snap = Snapshot(
        "1111-2222", _ticket(), identify(head, [], [], NOW.date()), False, staff_signed=head
    )
    d = decide(snap, msg, screen(msg, SUPPORT), NOW, policy)
    assert d.incoming["kind"] == "note"
    [out] = [o for o in d.outgoing if o.template == "staff_head.txt"]
    assert [name for name, _, _ in out.attach] == ["схема.png"] and out.reply_to == head


def test_a_read_receipt_sent_as_support_to_a_staff_reply_address_tells_no_one() -> None:
    """A staff member's client sending "as" support returns a read receipt (a report,
    no Auto-Submitted) to her signed reply address: a note, and she is not told of it
    as of a letter written by hand."""
    ticket, messages = _ticket()
    anna = STAFF[0]
    raw = (
        f"From: {SUPPORT}\r\nSubject: Прочитано: Заказ\r\n"
        "Content-Type: multipart/report; report-type=disposition-notification;"
        ' boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nВаше письмо прочитано\r\n"
        "--b\r\nContent-Type: message/disposition-notification\r\n\r\n"
        f"Final-Recipient: rfc822; {SUPPORT}\r\nOriginal-Message-ID: <n1@example.com>\r\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\r\n--b--\r\n"
    )
    ident = identify(SUPPORT, [], [], NOW.date())
    snap = Snapshot("1111-2222", (ticket, messages), ident, False, staff_signed=anna)
    d = _decide(snap, parse(raw.encode()))
    assert d.outgoing == [] and not d.ticket.get("sent")
