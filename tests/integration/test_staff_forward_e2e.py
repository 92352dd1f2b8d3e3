"""A customer's mail a staff member forwards to support@ with no TID (README "Email
commands for staff", «Письмо клиента, пересланное сотрудником»): proven by DKIM/SPF,
the ticket is the customer's (his level, his confirmation, answers to him, the staff
member named as who opened it); unproven, the customer is mailed nothing, staff's
notice names him and the #cc, and that #cc judges his level. Her own words above the
forward are a note: his page and his mail never show them, staff's notice and `ticket
show` do. End to end: ingest, the outbox flushed through a real relay; the site served
by `maild serve`."""

from __future__ import annotations

import email.policy
import re
from email.message import EmailMessage

from tests.helpers import (
    AUTHSERV,
    PNG,
    SUPPORT,
    Desk,
    dkim_pass,
    make_mail,
    staff_reply,
    wait_until,
)
from tests.integration.test_web import mail_in
from tests.webclient import link_in, request, running_site

ANNA = "Анна <anna@example.com>"
PETR = "petr@client-shop.ru"
FWD = (
    "Коллеги, заведите обращение на клиента.\n\n"
    "-------- Пересланное сообщение --------\n"
    "Тема: Не работает корзина\n"
    f"От: Пётр Сидоров <{PETR}>\n"
    "Кому: Анна <anna@example.com>\n\n"
    "Анна, у нас не работает корзина после обновления.\n"
)


def _vip(desk: Desk) -> None:
    args = ("--key", "ADV-1", "--level", "vip", "--email", PETR, "--until", "2099-12-31")
    assert desk.run("license", "add", *args).code == 0


def _sent(desk: Desk, sink, raw: bytes) -> list:
    before = len(sink.received)
    desk.ingest(raw)
    desk.flush()
    return sink.wait_for(before + 1)[before:]


def _to(got: list, address: str) -> list:
    return [g for g in got if address in g.rcpt_tos]


def test_a_proven_forward_opens_the_ticket_for_the_customer(tmp_path, sink):
    desk = Desk(tmp_path, sink.port, support={"authserv_id": "mx.example.com"})
    _vip(desk)
    raw = make_mail(
        sender=ANNA, subject="Fwd: Не работает корзина", body=FWD, headers=dkim_pass(ANNA)
    )
    got = _sent(desk, sink, raw)
    [t] = desk.tickets()
    ticket = desk.ticket(t["tid"])
    assert (ticket["requester"], ticket["level"]) == (PETR, "vip")
    [confirmation] = _to(got, PETR)
    assert "Обращение зарегистрировано" in confirmation.subject
    assert "наш сотрудник (anna@example.com)" in confirmation.text
    assert "не указан" not in confirmation.text  # no licence lecture
    [notice] = [g for g in _to(got, "anna@example.com") if "Новое" in g.subject]
    assert (
        "vip" in notice.text
        and "\nОткрыто по письму клиента, которое переслал(а) anna" in notice.text
    )
    assert not [g for g in _to(got, "anna@example.com") if "зарегистрировано" in g.subject]
    # her answer to the notice goes to the customer, #development on his VIP level runs
    answered = _sent(desk, sink, staff_reply(t["tid"], "#development\nПётр, передали."))
    assert [g.text for g in _to(answered, PETR) if "Пётр, передали." in g.text]
    assert desk.ticket(t["tid"])["level"] == "development"


def test_a_proven_forward_as_an_attached_mail(tmp_path, sink):
    desk = Desk(tmp_path, sink.port, support={"authserv_id": "mx.example.com"})
    inner = EmailMessage()
    inner["From"], inner["To"] = f"Пётр <{PETR}>", "anna@example.com"
    inner["Subject"] = "Не работает корзина"
    inner.set_content("Анна, у нас не работает корзина.")
    outer = EmailMessage()
    outer["From"], outer["To"], outer["Subject"] = ANNA, SUPPORT, "Fwd: Не работает корзина"
    outer["Message-ID"] = "<fwd-1@example.com>"
    outer["Authentication-Results"] = dkim_pass(ANNA)["Authentication-Results"]
    outer.set_content("Коллеги, заведите обращение.")
    outer.add_attachment(inner)
    got = _sent(desk, sink, outer.as_bytes(policy=email.policy.SMTP))
    [t] = desk.tickets()
    assert desk.ticket(t["tid"])["requester"] == PETR
    assert _to(got, PETR)


def test_an_unproven_forward_mails_the_customer_nothing_and_cc_judges_his_level(desk, sink):
    _vip(desk)
    got = _sent(desk, sink, make_mail(sender=ANNA, subject="Fwd: Не работает корзина", body=FWD))
    [t] = desk.tickets()
    tid = t["tid"]
    assert desk.ticket(tid)["requester"] == "anna@example.com"
    assert not _to(got, PETR)
    [notice] = _to(got, "anna@example.com")  # the notice; no confirmation to her
    assert "Новое" in notice.subject and f"«#cc {PETR}» в ответе" in notice.text
    body = f"#cc {PETR}\n#development\nПётр, передали в разработку."
    answered = _sent(desk, sink, staff_reply(tid, body))
    assert [g for g in _to(answered, PETR) if "передали в разработку" in g.text]
    ticket = desk.ticket(tid)
    assert ticket["level"] == "development" and PETR in ticket["participants"]


WORDS = "он VIP, но капризный"
FWD_DATED = (
    f"Коллеги, заведите обращение на клиента, {WORDS}.\n"
    "Анна\n\n"
    "-------- Пересланное сообщение --------\n"
    "Тема: Не работает корзина\n"
    "Дата: Mon, 30 Nov 2026 09:15:00 +0300\n"
    f"От: Пётр Сидоров <{PETR}>\n"
    "Кому: Анна <anna@example.com>\n\n"
    "Анна, у нас не работает корзина после обновления.\n"
)


def test_her_words_over_the_forward_are_staffs_alone(tmp_path):
    site = running_site(tmp_path, support={"authserv_id": AUTHSERV})
    desk, daemon, sink, base = next(site)
    try:
        _vip(desk)
        raw = make_mail(
            sender=ANNA,
            subject="Fwd: Не работает корзина",
            body=FWD_DATED,
            headers=dkim_pass(ANNA),
            attachments=[("screen.png", "image/png", PNG)],
        )
        mail_in(daemon, raw, sender="anna@example.com")
        [conf] = wait_until(lambda: sink.to(PETR))
        notice = wait_until(
            lambda: [g for g in sink.to("anna@example.com") if "Новое" in g.subject]
        )
        assert WORDS in notice[0].text  # staff read all she wrote
        assert "сохранён как внутренняя заметка" in notice[0].text
        link = link_in(conf.text, base)
        page = request(link)
        assert page.status == 200 and "не работает корзина после обновления" in page.text
        assert "капризный" not in page.text and "заведите" not in page.text
        n = re.search(r"/file/(\d+)/0", page.text).group(1)  # his file, on his page
        assert request(f"{link}/file/{n}/0").body == PNG

        tid = desk.tickets()[0]["tid"]
        messages = desk.ticket(tid)["messages"]
        first, note = [m for m in messages if m["kind"] in ("customer", "note")]
        assert messages[0] is first  # his mail heads the thread
        assert (first["from"], first["kind"]) == (PETR, "customer")
        assert first["received_at"] == "2026-11-30T09:15:00+03:00"  # the forward's Date
        assert first["text"] == "Анна, у нас не работает корзина после обновления."
        assert [a["filename"] for a in first["attachments"]] == ["screen.png"]
        assert (note["from"], note["kind"]) == ("anna@example.com", "note")
        assert WORDS in note["text"] and "корзина" not in note["text"]
        assert WORDS in desk.run("ticket", "show", tid).out

        # her answer quoting the notice, then the closing: no word of hers reaches him
        quoted = "\n".join("> " + line for line in notice[0].text.splitlines())
        told = len(sink.to(PETR))
        mail_in(daemon, staff_reply(tid, f"Пётр, смотрим.\n\n{quoted}"), sender="anna@example.com")
        assert wait_until(lambda: len(sink.to(PETR)) > told)
        mail_in(daemon, staff_reply(tid, "#close\nПётр, починили."), sender="anna@example.com")
        # the answer that closes it carries her text (its subject is the answer's «Re:»)
        assert wait_until(lambda: [g for g in sink.to(PETR) if "починили" in g.text])
        assert [g for g in sink.to(PETR) if "смотрим" in g.text]
        assert not [g for g in sink.to(PETR) if "капризный" in g.text or "заведите" in g.text]
        page = request(link)
        assert "починили" in page.text and "капризный" not in page.text
    finally:
        next(site, None)


def test_a_forward_of_no_customers_mail_mails_no_one_outside(tmp_path, sink):
    """A proven forward whose From is support's own side (a plus-address, a role
    mailbox) or a robot's (a bounce: «письмо клиенту не дошло») opens no ticket for
    that address: it is mailed nothing, staff are told."""
    desk = Desk(tmp_path, sink.port, support={"authserv_id": "mx.example.com"})
    robots = (
        "support+x@example.com",
        "postmaster@example.com",
        "boris+home@example.com",
        "MAILER-DAEMON@mx.client-shop.ru",
    )
    for i, address in enumerate(robots):
        body = FWD.replace(f"Пётр Сидоров <{PETR}>", f"Mail Delivery System <{address}>")
        raw = make_mail(
            sender=ANNA,
            subject=f"Fwd: Undelivered {i}",
            body=body,
            headers=dkim_pass(ANNA),
            msgid=f"<bounce-{i}@example.com>",
        )
        got = _sent(desk, sink, raw)
        assert not _to(got, address.lower()), address
        assert all(r.endswith("@example.com") for g in got for r in g.rcpt_tos)
    assert {t["requester"] for t in desk.tickets()} == {"anna@example.com"}


def test_an_unproven_forward_of_no_customers_mail_suggests_no_cc(desk, sink):
    """Unproven, a forward of a robot's mail (a bounce) or of support's own side names
    no customer in staff's notice: no «#cc MAILER-DAEMON@...» is suggested."""
    for i, address in enumerate(("MAILER-DAEMON@mx.client-shop.ru", "support+x@example.com")):
        body = FWD.replace(f"Пётр Сидоров <{PETR}>", f"Mail Delivery System <{address}>")
        raw = make_mail(
            sender=ANNA, subject=f"Fwd: Undelivered {i}", body=body, msgid=f"<b-{i}@example.com>"
        )
        got = _sent(desk, sink, raw)
        [notice] = [g for g in _to(got, "anna@example.com") if "Новое" in g.subject]
        assert f"#cc {address}".lower() not in notice.text.lower(), address
        assert "переслано письмо клиента" not in notice.text, address
        assert all(r.endswith("@example.com") for g in got for r in g.rcpt_tos)


def test_the_first_cc_of_a_customer_judges_the_level_not_a_colleagues(desk, sink):
    """A #cc support refuses none of (a colleague's plus-address) is no customer: the
    level is the first customer's its #cc adds."""
    _vip(desk)
    _sent(desk, sink, make_mail(sender=ANNA, subject="Fwd: Не работает корзина", body=FWD))
    [t] = desk.tickets()
    body = f"#cc boris+home@example.com\n#cc {PETR}\nПётр, посмотрим."
    _sent(desk, sink, staff_reply(t["tid"], body))
    assert desk.ticket(t["tid"])["level"] == "vip"


def test_her_words_on_a_forwarded_ticket_go_with_it_when_merged(tmp_path, sink):
    """Two forwards of his mails opened two tickets, each with her words as a note;
    #merge of one into the other keeps both notes in the thread that goes on. The
    merged ticket's note was dropped: notes have no Message-ID, and the target's own
    note's empty one was taken for a mail it held already."""
    desk = Desk(tmp_path, sink.port, support={"authserv_id": "mx.example.com"})
    tids = []
    for words, subject in (("он VIP", "Корзина"), ("просит перезвонить", "Оплата")):
        body = FWD.replace("заведите обращение на клиента", f"заведите обращение, {words}")
        raw = make_mail(sender=ANNA, subject=f"Fwd: {subject}", body=body, headers=dkim_pass(ANNA))
        tids.append(desk.ingest_tid(raw))
    first, second = tids
    desk.ingest(staff_reply(second, f"#merge {first}"))
    assert desk.ticket(second)["merged_into"] == first
    notes = [m["text"] for m in desk.ticket(first)["messages"] if m["kind"] == "note"]
    assert any("он VIP" in n for n in notes) and any("просит перезвонить" in n for n in notes)
