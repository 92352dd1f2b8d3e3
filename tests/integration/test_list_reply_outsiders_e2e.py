"""Mail to a list's reply address (the morning queue's here) that its reader did not
write by hand. Anna's out-of-office, even marked `Auto-Submitted: auto-replied`,
answering the queue got her «Ответ на общее письмо клиенту не отправлен», itself
automatic mail with the list's Reply-To again: her out-of-office answered that, and
so on, 12 of 12 rounds; now automatic mail there is kept and answered by nothing
(RFC 3834). A stranger holding the address (a forwarded queue, an old one) had their
text relayed to Anna from support@ as «Ваше письмо получено» under «----- ваше
письмо -----», the sender named nowhere: a phishing mail in support's name; now the
notice names the sender and marks the text as theirs. And a From naming Anna lifted
the cap on automatic mail for these notices: 12 forged mails, 12 notices; now they
are always within the caps. End to end: `maild jobs run` making the queue at a real
aiosmtpd relay, the mail through `maild ingest`, `maild outbox flush`."""

from __future__ import annotations

import logging

import pytest

from tests.helpers import Desk, Received, Sink, make_mail

pytestmark = pytest.mark.daily_mail  # each test answers the morning queue

ANNA = "anna@example.com"
MORNING = "2026-12-09T16:00:00+03:00"  # a Wednesday: the morning queue goes
TOLD = "Ответ на общее письмо клиенту не отправлен"  # staff_list_reply.txt's subject


def queue_of(desk: Desk, relay: Sink) -> Received:
    """A customer's ticket, then `jobs run`: Anna's morning queue."""
    desk.ingest(make_mail(sender="c0@shop0.example", subject="Заказ 0"))
    assert desk.flush().code == 0
    start = len(relay.received)
    r = desk.run("jobs", "run", "--now", MORNING)
    assert r.code == 0, r.err
    assert desk.flush().code == 0
    [queue] = [m for m in relay.received[start:] if ANNA in m.rcpt_tos and "Очередь" in m.subject]
    return queue


def answer(mail: Received, sender: str, body: str, subject: str, **headers: str) -> bytes:
    """A mail to `mail`'s Reply-To, threaded under it."""
    ids = {"In-Reply-To": mail.msg["Message-ID"], "References": mail.msg["Message-ID"]}
    return make_mail(
        sender=sender,
        to=str(mail.msg["Reply-To"]),
        subject=subject,
        body=body,
        headers={**ids, **headers},
    )


def sent(desk: Desk, relay: Sink, raw: bytes) -> list[Received]:
    """`raw` through `maild ingest` and `maild outbox flush`: the mail that went."""
    start = len(relay.received)
    desk.ingest(raw)
    assert desk.flush().code == 0
    return relay.received[start:]


OUT_OF_OFFICE = "Я в отпуске до 20 декабря, по срочным вопросам пишите boris@example.com."


@pytest.mark.parametrize(
    ("subject", "headers"),
    [
        ("Re: {}", {"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"}),
        ("Автоответ: {}", {}),  # marked by its subject alone (screen.AUTO_REPLY_SUBJECT)
    ],
    ids=["auto-submitted", "subject"],
)
def test_an_out_of_office_answering_list_mail_gets_no_notice(
    tmp_path, sink, caplog, subject, headers
):
    desk = Desk(tmp_path, sink.port)
    queue = queue_of(desk, sink)
    raw = answer(queue, ANNA, OUT_OF_OFFICE, subject.format(queue.subject), **headers)
    start = len(sink.received)
    with caplog.at_level(logging.INFO, logger="maild"):
        assert desk.ingest(raw).out.startswith("quarantined")
    assert desk.flush().code == 0
    assert sink.received[start:] == []  # nothing to answer: no loop to start
    lines = [r.getMessage() for r in caplog.records if "list address" in r.getMessage()]
    assert len(lines) == 1 and "no one told" in lines[0], lines  # why nothing went
    [kept] = desk.run("spam", "list", "--json").json()
    assert kept["from"] == ANNA and kept["reason"].startswith("staff: reply to a list [TID#")


def test_a_strangers_mail_to_a_list_address_is_named_as_theirs(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    queue = queue_of(desk, sink)
    phishing = "Ваш ящик будет заблокирован. Перейдите по ссылке http://phish.example/login"
    raw = answer(queue, "Vasya <bot@spam.example>", phishing, "Срочно: смените пароль")
    [notice] = sent(desk, sink, raw)
    assert notice.rcpt_tos == [ANNA]
    assert notice.subject.startswith("Письмо от bot@spam.example на ваш адрес"), notice.subject
    text = " ".join(notice.text.split())
    assert "Письмо от bot@spam.example пришло на ваш адрес для ответов" in text
    assert "но не с вашего адреса" in text
    assert "ваше письмо" not in text.lower() and "получено" not in text
    lines = notice.text.splitlines()
    start = lines.index("----- письмо отправителя -----")
    assert lines[start + 1 : start + 3] == [phishing, "----- конец письма -----"]


def test_a_strangers_block_of_customer_text_is_no_marker_line(tmp_path, sink):
    """The `| unmarked` filter still holds: no customer-text block can be made."""
    desk = Desk(tmp_path, sink.port)
    queue = queue_of(desk, sink)
    body = (
        "----- конец письма -----\n----- текст письма -----\nОтветьте мне\n----- конец текста -----"
    )
    [notice] = sent(desk, sink, answer(queue, "olga@partner.example", body, "Re: очередь"))
    assert "----- текст письма -----" not in notice.text
    assert notice.text.count("----- конец письма -----") == 1


def test_anna_answering_her_queue_is_told_as_before(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    queue = queue_of(desk, sink)
    [notice] = sent(desk, sink, answer(queue, ANNA, "Беру себе.\n#take", "Re: " + queue.subject))
    assert notice.rcpt_tos == [ANNA] and notice.subject.startswith(TOLD)
    assert "Ваше письмо получено" in notice.text
    lines = notice.text.splitlines()
    start = lines.index("----- ваше письмо -----")
    assert lines[start + 1 : start + 3] == ["Беру себе.", "#take"]


def test_a_from_naming_the_reader_lifts_no_cap(tmp_path, sink):
    """12 mails «From: anna@» (forged, or her autoresponder that marks nothing,
    answering each notice): no more notices than the cap on automatic mail to one
    address an hour (support.max_auto_replies_per_hour, 10)."""
    desk = Desk(tmp_path, sink.port)
    queue = queue_of(desk, sink)
    start = len(sink.received)
    for i in range(12):
        desk.ingest(answer(queue, ANNA, f"Реклама {i}", "Купите наши услуги"))
    assert desk.flush().code == 0
    got = sink.received[start:]
    assert len(got) == 10, [m.subject for m in got]
    assert all(m.rcpt_tos == [ANNA] and m.subject.startswith(TOLD) for m in got)
    assert len(desk.run("spam", "list", "--json").json()) == 12  # every one kept
