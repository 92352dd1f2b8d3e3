"""A staff member (or the head) listed at a Cyrillic (IDN) domain is staff in either
spelling of it, through the real CLI: `support.staff` names anna@поддержка.рф, her
ordinary client sends From: anna@xn--80ahaefyxhn.xn--p1ai (an EAI client the other way
round, a client the domain in capitals); her reply to the signed Reply-To of a notice,
or a DKIM-proven one, reaches the customer and runs her commands (README "Trust", ways
1 and 2). Nobody else is taken for her: a domain IDNA 2003 would fold into hers (ß as
ss) is another one."""

from __future__ import annotations

import pytest

from tests.helpers import Desk, make_mail, staff_to

DESK_U, DESK_A = "поддержка.рф", "xn--80ahaefyxhn.xn--p1ai"
ANNA_U, ANNA_A = f"anna@{DESK_U}", f"anna@{DESK_A}"
CUSTOMER = "ivan@shop-example.ru"
US = "mx.example.com"


def mail(sender: str, to: str, subject: str, body: str, headers: dict | None = None) -> bytes:
    """Mail From ``sender`` as its client writes it: raw UTF-8 headers from an EAI
    client (RFC 6532) for a Unicode address, an ordinary mail otherwise."""
    if sender.isascii():
        return make_mail(sender=sender, to=to, subject=subject, body=body, headers=headers)
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    return (
        f"From: {sender}\r\nTo: {to}\r\n{extra}Subject: {subject}\r\n"
        f"Message-ID: <{abs(hash((sender, to, subject, body)))}@client.example>\r\n"
        "Date: Wed, 25 Nov 2026 10:15:00 +0300\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{body}\r\n"
    ).encode()


def dkim(domain: str) -> dict[str, str]:
    """Our MTA's verdict: DKIM passed for ``domain``."""
    return {"Authentication-Results": f"{US}; dkim=pass header.d={domain}"}


def desk_with(tmp_path, sink, listed: str, **support) -> tuple[Desk, str]:
    desk = Desk(tmp_path, sink.port, support={"staff": [listed, "boris@example.com"], **support})
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER, subject="Не открывается каталог"))
    assert desk.flush().code == 0
    return desk, tid


def answered(desk: Desk, sink, tid: str) -> list:
    assert desk.flush().code == 0
    return [m for m in sink.to(CUSTOMER) if "Проверим сегодня." in m.text]


@pytest.mark.parametrize(
    ("listed", "writes"),
    [
        (ANNA_U, ANNA_A),  # her ordinary client: A-labels
        (ANNA_A, ANNA_U),  # listed in A-labels, an EAI client
        (ANNA_U, "Anna@XN--80AHAEFYXHN.XN--P1AI"),  # and case
        (ANNA_A, "anna@ПОДДЕРЖКА.РФ"),
    ],
)
def test_a_reply_to_the_signed_address_from_the_other_spelling_is_hers(
    tmp_path, sink, listed, writes
):
    """Way 1: the notice's Reply-To, signed for her as listed. From the other spelling
    it was kept as a note «Ответ клиенту не отправлен», her #take never ran."""
    desk, tid = desk_with(tmp_path, sink, listed)
    body = "#take\nПроверим сегодня."
    desk.ingest(mail(writes, staff_to(tid, listed), f"Re: [TID#{tid}]", body))
    assert len(answered(desk, sink, tid)) == 1
    ticket = desk.ticket(tid)
    assert ticket["assignee"] == listed
    assert ticket["requester"] == CUSTOMER and ticket["participants"] == [CUSTOMER]
    unsent = [m for m in sink.received if "не отправлен" in m.subject]
    assert unsent == [], [m.subject for m in unsent]


@pytest.mark.parametrize(("listed", "writes"), [(ANNA_U, ANNA_A), (ANNA_A, ANNA_U)])
def test_a_dkim_proven_reply_from_the_other_spelling_is_hers(tmp_path, sink, listed, writes):
    """Way 2: DKIM passed for her domain (d= in A-labels, as DKIM writes it), mail to
    the plain support address naming the TID."""
    desk, tid = desk_with(tmp_path, sink, listed, authserv_id=US)
    reply = mail(
        writes, "support@example.com", f"Re: [TID#{tid}]", "Проверим сегодня.", dkim(DESK_A)
    )
    desk.ingest(reply)
    assert len(answered(desk, sink, tid)) == 1


def test_the_heads_proven_mail_from_the_other_spelling_is_the_heads(tmp_path, sink):
    """The head listed as boss@поддержка.рф writes from A-labels, DKIM-proven, to the
    support address naming the ticket: his note of it, which staff get. It was a
    stranger's mail, a new ticket of his own."""
    head = f"boss@{DESK_U}"
    desk = Desk(tmp_path, sink.port, support={"head": head, "authserv_id": US})
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER))
    assert desk.flush().code == 0
    reply = mail(f"boss@{DESK_A}", "support@example.com", f"Re: [TID#{tid}]", "Ну?", dkim(DESK_A))
    assert desk.ingest_tid(reply) == tid
    assert len(desk.tickets()) == 1
    assert desk.flush().code == 0
    assert [m for m in sink.to("anna@example.com") if "Ну?" in m.text]
    assert [m for m in sink.to(CUSTOMER) if "Ну?" in m.text] == []


@pytest.mark.parametrize(
    ("listed", "writes"),
    [
        ("anna@straße.de", "anna@strasse.de"),  # IDNA 2003 maps ß to ss: two domains
        ("anna@strasse.de", "anna@straße.de"),
        (ANNA_U, "anna@поддержка。рф"),  # an ideographic dot: not the address listed
        (ANNA_U, f"anna.{DESK_A}@example.com"),
    ],
)
def test_nobody_else_is_taken_for_her(tmp_path, sink, listed, writes):
    """A reply from another address to her signed Reply-To: kept as a note, the
    customer gets nothing, she is told («Ответ клиенту не отправлен»)."""
    desk, tid = desk_with(tmp_path, sink, listed)
    desk.ingest(mail(writes, staff_to(tid, listed), f"Re: [TID#{tid}]", "Проверим сегодня."))
    assert answered(desk, sink, tid) == []
    ticket = desk.ticket(tid)
    assert ticket.get("assignee") in (None, "")


@pytest.mark.parametrize(("listed", "writes"), [(ANNA_U, ANNA_A), (ANNA_A, ANNA_U)])
def test_her_reply_to_a_list_from_the_other_spelling_is_hers(tmp_path, sink, listed, writes):
    """A list of reminders to anna@поддержка.рф; she answers it from A-labels: told her
    reply reached no customer. She was told «Письмо от anna@xn--… на ваш адрес для
    ответов на общее письмо», someone else's mail to her list address."""
    from tests.integration.test_list_reply_e2e import TOLD
    from tests.integration.test_reminder_flood import LIST, REMIND, jobs_run, open_tickets

    desk = Desk(tmp_path, sink.port, support={"staff": [listed]})
    open_tickets(desk, 8)
    assert desk.flush().code == 0
    start = len(sink.received)
    jobs_run(desk, REMIND)
    [lst] = [
        m
        for m in sink.received[start:]
        if LIST.match(m.subject) and "head@example.com" not in m.rcpt_tos
    ]
    reply_to, msgid = str(lst.msg["Reply-To"]), str(lst.msg["Message-ID"])
    refs = {"In-Reply-To": msgid, "References": msgid}
    start = len(sink.received)
    desk.ingest(mail(writes, reply_to, "Re: " + lst.subject, "Разберусь.", refs))
    assert desk.flush().code == 0
    [notice] = sink.received[start:]
    assert notice.subject.startswith(TOLD), notice.subject


@pytest.mark.parametrize(("listed", "named"), [(ANNA_U, ANNA_A), (ANNA_A, ANNA_U)])
def test_a_bounce_of_her_notice_naming_the_other_spelling_sends_no_notice(
    tmp_path, sink, listed, named
):
    """Her full mailbox bounces the notice, the report naming her in the other spelling
    (maild writes anna@поддержка.рф in A-labels to a relay without SMTPUTF8): a notice
    of it to staff went to her again, to bounce again."""
    from tests.integration.test_bounces_e2e import _report

    desk = Desk(tmp_path, sink.port, support={"staff": [listed]})
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER))
    assert desk.flush().code == 0
    [notice] = [m for m in sink.received if CUSTOMER not in m.rcpt_tos]
    before = len(sink.received)
    bounce = _report(notice.raw, "failed", "5.2.2", "Undelivered Mail", recipient=named)
    assert desk.ingest(bounce).out == f"appended [TID#{tid}]\n"
    assert desk.flush().code == 0
    assert len(sink.received) == before, [m.subject for m in sink.received[before:]]


@pytest.mark.parametrize(("listed", "copied"), [(ANNA_U, ANNA_A), (ANNA_A, ANNA_U)])
def test_she_is_no_participant_in_the_other_spelling(tmp_path, sink, listed, copied):
    """A customer copies her in the other spelling: support's own side, never a
    participant (no customer's copy of the ticket's mail, no link to the site)."""
    desk = Desk(tmp_path, sink.port, support={"staff": [listed]})
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER, headers={"Cc": copied}))
    assert desk.ticket(tid)["participants"] == [CUSTOMER]


@pytest.mark.parametrize(
    ("listed", "named"),
    [(ANNA_U, ANNA_A), (ANNA_A, ANNA_U), (ANNA_U, "Anna@XN--80AHAEFYXHN.XN--P1AI")],
)
def test_assign_naming_her_in_the_other_spelling_assigns_her(tmp_path, sink, listed, named):
    """Boris assigns the ticket to her, typing her domain the other way: she is the
    staff member listed, the ticket is hers as the config spells her (her morning
    queue, «#take» of hers, the staff mail to her). It was refused as no staff member's
    address, the answer not sent."""
    desk, tid = desk_with(tmp_path, sink, listed)
    boris = "boris@example.com"
    desk.ingest(
        mail(boris, staff_to(tid, boris), f"Re: [TID#{tid}]", f"Проверим сегодня.\n#assign {named}")
    )
    assert len(answered(desk, sink, tid)) == 1
    ticket = desk.ticket(tid)
    assert ticket["assignee"] == listed
    assert ticket["messages"][-1]["commands"] == [f"#assign {listed}"]
    assert [m.subject for m in sink.received if m.subject.startswith("Команды")] == []


def test_assign_naming_the_head_in_the_other_spelling_says_he_is_the_head(tmp_path, sink):
    """The head is no staff member to assign, in either spelling: the error says so,
    not that he is someone outside support."""
    desk, tid = desk_with(tmp_path, sink, ANNA_U, head=f"boss@{DESK_U}")
    boris = "boris@example.com"
    desk.ingest(
        mail(boris, staff_to(tid, boris), f"Re: [TID#{tid}]", f"Проверим.\n#assign boss@{DESK_A}")
    )
    assert desk.flush().code == 0
    [error] = [m for m in sink.to(boris) if m.subject.startswith("Команды")]
    assert "руководитель поддержки (support.head)" in " ".join(error.text.split())
    assert desk.ticket(tid).get("assignee") in (None, "")
