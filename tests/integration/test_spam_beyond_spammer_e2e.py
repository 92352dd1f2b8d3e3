"""#spam blocks and quarantines the spammer alone, end to end (signed staff replies,
`maild ingest`, `outbox flush` to a relay sink, `ticket show`, the block list): on a
ticket with any customer besides its requester (a customer of a ticket merged into
it, a #cc participant), or answered through a ticket #merge sent on to another's, it
stops with an error naming them and what to do; when it runs, whoever gave it is
told whose ticket went and what was blocked (README, Email commands for staff)."""

from __future__ import annotations

import json

from tests.helpers import Desk, Sink, make_mail, staff_reply

ANNA, BORIS = "anna@example.com", "boris@example.com"
IVAN, SPAMMER, PETR = "ivan@shop.ru", "win@casino-spam.biz", "petr@gmail.com"
REFUSED = "Команды не выполнены"


def _new(desk: Desk, sender: str, subject: str) -> str:
    tid = desk.ingest_tid(make_mail(sender=sender, subject=subject))
    assert desk.flush().code == 0
    return tid


def _reply(desk: Desk, sink: Sink, tid: str, body: str, sender: str = ANNA) -> list:
    """A signed staff reply to the notice of ``tid`` taken in and flushed: what went."""
    before = len(sink.received)
    desk.ingest(staff_reply(tid, body, sender=sender))
    assert desk.flush().code == 0
    return sink.received[before:]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _blocked(desk: Desk) -> list[str]:
    r = desk.run("block", "list", "--json")
    assert r.code == 0, r.err
    return r.json()


def _quarantined(desk: Desk) -> list[dict]:
    r = desk.run("spam", "list", "--json")
    assert r.code == 0, r.err
    return r.json()


def _writes(desk: Desk, sender: str, subject: str) -> dict:
    """The customer's later mail taken in: `maild ingest --json`'s answer."""
    r = desk.run("ingest", "-", "--json", input=make_mail(sender=sender, subject=subject))
    assert r.code == 0, r.err
    return json.loads(r.out)


def test_spam_answered_on_a_ticket_merged_into_anothers_blocks_nobody(desk, sink):
    """Boris merged the spam ticket B into Ivan's real ticket A by mistake; Anna
    answers B's notice with «#spam домен». The reply lands on A: it used to quarantine
    all of A (Ivan's mail too) and block shop.ru, Ivan's domain, while casino-spam.biz
    stayed free and nobody told Anna whom she blocked."""
    a = _new(desk, f"Иван <{IVAN}>", "Ошибка 500")
    b = _new(desk, f"Casino <{SPAMMER}>", "Big win")
    _reply(desk, sink, b, f"#merge {a}", sender=BORIS)
    went = _reply(desk, sink, b, "#spam домен")
    [told] = went  # to Anna alone: nothing to Ivan, nor to the spammer
    assert told.rcpt_tos == [ANNA] and REFUSED in told.subject and f"[TID#{a}]" in told.subject
    text = _flat(told.text)
    assert f"обращение {b} объединено с обращением {a} клиента {IVAN}" in text
    assert "заблокировал бы весь домен shop.ru" in text and SPAMMER in text
    assert "maild block add" in text and "#uncc" in text
    assert _blocked(desk) == [] and _quarantined(desk) == []
    ticket = desk.ticket(a)  # Ivan's ticket as it was, the spam merged in beside his mail
    assert ticket["requester"] == IVAN and ticket["status"] != "closed"
    assert {m["from"] for m in ticket["messages"] if m["kind"] == "customer"} == {IVAN, SPAMMER}
    # Ivan writes again, and anew: his mail is his tickets', nothing is quarantined
    again = _writes(desk, f"Иван <{IVAN}>", f"Re: Ошибка 500 [TID#{a}]")
    assert (again["outcome"], again["tid"]) == ("appended", a)
    fresh = _writes(desk, f"Иван <{IVAN}>", "Новый вопрос")
    assert fresh["outcome"] == "new" and fresh["tid"] not in (a, b)
    assert _quarantined(desk) == []


def test_what_the_error_says_to_do_blocks_the_spammer_and_spares_ivan(desk, sink):
    """The way out the error names: the admin blocks the spammer, Anna takes him off
    Ivan's ticket; his later mail is quarantined, Ivan's is not."""
    a = _new(desk, f"Иван <{IVAN}>", "Ошибка 500")
    b = _new(desk, f"Casino <{SPAMMER}>", "Big win")
    _reply(desk, sink, b, f"#merge {a}", sender=BORIS)
    assert desk.run("block", "add", SPAMMER).code == 0
    went = _reply(desk, sink, a, f"#uncc {SPAMMER}")
    assert SPAMMER not in desk.ticket(a)["participants"]
    assert not [m for m in went if REFUSED in m.subject]
    assert _writes(desk, f"Casino <{SPAMMER}>", f"Re: Big win [TID#{b}]")["outcome"] == (
        "quarantined"
    )
    assert _writes(desk, f"Иван <{IVAN}>", f"Re: [TID#{a}]")["outcome"] == "appended"
    assert [e["from"] for e in _quarantined(desk)] == [SPAMMER]


def test_spam_on_a_ticket_a_customer_was_merged_into_stops_and_names_him(desk, sink):
    """Пётр's ticket B was merged into A; #spam on A quarantined Пётр's mail with A's
    and his later «Re: [TID#B]» was kept there without a word."""
    a = _new(desk, f"Иван <{IVAN}>", "Ошибка 500")
    b = _new(desk, f"Пётр <{PETR}>", "Ошибка 500 у нас тоже")
    _reply(desk, sink, b, f"#merge {a}")
    [told] = _reply(desk, sink, a, "#spam")
    assert told.rcpt_tos == [ANNA] and REFUSED in told.subject
    text = _flat(told.text)
    assert f"{PETR} (клиент объединённого с ним обращения {b}" in text
    assert "maild block add" in text
    assert _blocked(desk) == [] and _quarantined(desk) == []
    assert desk.ticket(a)["requester"] == IVAN
    # taking him off does not make it the spammer's alone: his mail is in it
    _reply(desk, sink, a, f"#uncc {PETR}")
    [again] = _reply(desk, sink, a, "#spam")
    assert REFUSED in again.subject and PETR in _flat(again.text)
    assert _blocked(desk) == [] and _quarantined(desk) == []
    later = _writes(desk, f"Пётр <{PETR}>", f"Re: [TID#{b}] что там?")
    assert later["outcome"] != "quarantined" and later["tid"] is not None
    assert _quarantined(desk) == []


def test_spam_on_a_ticket_with_a_cc_participant_waits_for_the_uncc(desk, sink):
    """A #cc participant gets the ticket's mail but wrote none of it: #spam stops and
    names her, #uncc first, then #spam blocks the spammer alone."""
    spammer = "seo@promo.example"
    tid = _new(desk, f"SEO <{spammer}>", "Продвижение сайта")
    olga = "olga@client.example"
    _reply(desk, sink, tid, f"#cc {olga}")
    [told] = _reply(desk, sink, tid, "#spam")
    assert told.rcpt_tos == [ANNA] and REFUSED in told.subject
    text = _flat(told.text)
    assert f"{olga} (участник обращения" in text and "«#uncc АДРЕС»" in text
    assert _blocked(desk) == [] and desk.ticket(tid)["requester"] == spammer
    _reply(desk, sink, tid, f"#uncc {olga}")
    [done] = _reply(desk, sink, tid, "#spam")
    assert done.rcpt_tos == [ANNA] and "помечено как спам" in done.subject
    assert _blocked(desk) == [spammer]
    assert {e["from"] for e in _quarantined(desk)} == {spammer}
    assert desk.run("ticket", "show", tid).code == 1  # in the quarantine
    assert _writes(desk, f"Ольга <{olga}>", "Вопрос по счёту")["outcome"] == "new"


def test_spam_tells_whoever_gave_it_whose_ticket_went_and_what_was_blocked(desk, sink):
    spammer = "seo@promo.example"
    tid = _new(desk, f"SEO <{spammer}>", "Продвижение сайта")
    [done] = _reply(desk, sink, tid, "#spam")
    assert done.rcpt_tos == [ANNA]  # Boris, and the spammer, get nothing
    assert "Обращение помечено как спам" in done.subject and f"[TID#{tid}]" in done.subject
    text = _flat(done.text)
    assert f"Обращение {tid} клиента {spammer} помечено как спам по вашей команде" in text
    assert f"Заблокирован адрес {spammer}" in text and "1 его письмо" in text
    assert f"maild block remove {spammer}" in text and "maild spam release" in text
    # «#spam домен»: the domain is named as such
    other = _new(desk, "SEO <promo@spam-farm.example>", "Реклама")
    [done] = _reply(desk, sink, other, "#spam домен")
    text = _flat(done.text)
    assert "Заблокирован весь домен spam-farm.example" in text
    assert "maild block remove spam-farm.example" in text
    # a free-mail service's domain is never blocked whole, and the mail says so
    free = _new(desk, "Promo <promo@gmail.com>", "Скидки")
    [done] = _reply(desk, sink, free, "#spam домен")
    text = _flat(done.text)
    assert "Заблокирован адрес promo@gmail.com" in text and "gmail.com — бесплатная" in text
    assert sorted(_blocked(desk)) == sorted([spammer, "spam-farm.example", "promo@gmail.com"])
