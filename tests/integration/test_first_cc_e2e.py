"""Nobody joins a ticket by writing Cc, its first mail included (README "Trust"), end
to end: the real `maild ingest` and `outbox flush`, a real aiosmtpd relay counting
what left. A first mail's To/Cc join only when its From is proven as a follow-up's
must be (DKIM/SPF with authserv_id); otherwise staff read them as asked to be added.
"""

from __future__ import annotations

import pytest

from tests.helpers import Desk, make_mail, staff_reply

US = "mx.example.com"
ANNA = "anna@example.com"
DIRECTOR = "director@bigclient.example"
LOOKALIKE = "secretary@bigclient-mail.example"
PASSWORD = "Xy7-Qw"


def notice_head(sink, tid: str) -> str:
    """The new ticket's notice to anna, above the customer's text, its lines joined."""
    [notice] = [m for m in sink.to(ANNA) if f"[TID#{tid}]" in m.subject]
    return " ".join(notice.text.split("----- текст обращения -----")[0].split())


@pytest.mark.parametrize("authserv", [None, "spf=fail"])
def test_a_forged_first_mails_cc_gets_none_of_staffs_answer(tmp_path, sink, authserv):
    """A forged «director@» (on a VIP license) with a look-alike «secretary@» in Cc asks
    for access data: the look-alike was a participant and got staff's answer with the
    password. Its From proves nothing (no authserv_id, or our MTA's SPF failed), so the
    Cc is only named to staff, «#cc» to add it, and the answer goes to the From alone."""
    support = {"authserv_id": US} if authserv else {}
    desk = Desk(tmp_path, sink.port, support=support)
    license = ["license", "add", "--key", "K-1", "--level", "vip", "--email", DIRECTOR]
    assert desk.run(*license).code == 0
    headers = {"Cc": f"Секретарь <{LOOKALIKE}>"}
    if authserv:
        headers["Authentication-Results"] = f"{US}; {authserv} smtp.mailfrom=bigclient.example"
    raw = make_mail(
        sender=f"Директор <{DIRECTOR}>",
        subject="Пришлите, пожалуйста, данные доступа к нашему серверу",
        body="Коллеги, я потерял пароль администратора, пришлите данные доступа.",
        headers=headers,
    )
    tid = desk.ingest_tid(raw)
    assert desk.flush().code == 0
    assert desk.ticket(tid)["participants"] == [DIRECTOR]
    head = notice_head(sink, tid)
    asked = "Просили добавить в обращение (письмо не подтверждено, поэтому не добавлены):"
    assert f"{asked} {LOOKALIKE}. Добавить: #cc <адрес> в ответе." in head, head
    assert "Ответы по обращению получат также" not in head
    desk.ingest(staff_reply(tid, f"Логин admin, временный пароль {PASSWORD}."))
    assert desk.flush().code == 0
    answers = [m for m in sink.received if PASSWORD in m.text]
    assert [m.rcpt_tos for m in answers] == [[DIRECTOR]]
    assert sink.to(LOOKALIKE) == []


def test_a_proven_first_mails_cc_joins_and_gets_the_answer(tmp_path, sink):
    """Our MTA's DKIM pass for the From's domain proves the first mail as it proves a
    follow-up: whom it copies join up to limits.max_participants, staff are told who
    gets every answer and who was left out, and the answer reaches them. The same
    customer's mail that DKIM does not prove adds no one."""
    desk = Desk(tmp_path, sink.port, support={"authserv_id": US}, limits={"max_participants": 1})
    cc = "Пётр <petr@shop-example.ru>, olga@shop-example.ru"
    passed = f"{US}; dkim=pass header.d=shop-example.ru; spf=pass"
    tid = desk.ingest_tid(make_mail(headers={"Authentication-Results": passed, "Cc": cc}))
    failed = f"{US}; dkim=fail header.d=shop-example.ru; spf=fail"
    other = desk.ingest_tid(
        make_mail(subject="Второй вопрос", headers={"Authentication-Results": failed, "Cc": cc})
    )
    assert desk.flush().code == 0
    assert desk.ticket(tid)["participants"] == ["ivan@shop-example.ru", "petr@shop-example.ru"]
    assert desk.ticket(other)["participants"] == ["ivan@shop-example.ru"]
    head = notice_head(sink, tid)
    assert "Ответы по обращению получат также (были в копии письма): petr@shop-example.ru." in head
    assert (
        "были в копии письма (участников не больше 1, добавлены первые по порядку): olga@" in head
    )
    assert "Просили добавить" not in head
    head = notice_head(sink, other)
    assert "получат также" not in head and "Не добавлены" not in head
    assert "поэтому не добавлены): petr@shop-example.ru, olga@shop-example.ru." in head
    desk.ingest(staff_reply(tid, "Обновите модуль оплаты."))
    desk.ingest(staff_reply(other, "Второй ответ."))
    assert desk.flush().code == 0
    [copy] = sink.to("petr@shop-example.ru")
    assert copy.rcpt_tos == ["petr@shop-example.ru"] and "модуль оплаты" in copy.text
    assert sink.to("olga@shop-example.ru") == []


def test_spam_copying_victims_is_marked_spam_and_mails_none_of_them(desk, sink):
    """Spam with ten victims in Cc: they were participants, so «#spam» was refused for
    their sake, and «#take» (and any answer, «#close») mailed each of them the spam's
    subject. Now none joins: «#take» reaches the sender only, and «#spam» takes the
    ticket into the quarantine."""
    victims = [f"v{i}@victim{i}.example" for i in range(10)]
    spam = make_mail(
        sender="Spam <promo@spammer.example>",
        subject="Дешёвые таблетки http://pills.example",
        headers={"Cc": ", ".join(victims)},
    )
    tid = desk.ingest_tid(spam)
    assert desk.ticket(tid)["participants"] == ["promo@spammer.example"]
    desk.ingest(staff_reply(tid, "#take"))
    assert desk.flush().code == 0
    desk.ingest(staff_reply(tid, "#spam"))
    assert desk.flush().code == 0
    assert desk.run("ticket", "show", tid).code == 1 and desk.tickets() == []
    quarantined = desk.run("spam", "list", "--json").json()
    assert [e["from"] for e in quarantined] == ["promo@spammer.example"]
    assert not any("Команды не выполнены" in m.subject for m in sink.to(ANNA))
    assert [m for v in victims for m in sink.to(v)] == []
