"""What a post through a customer's personal link proves, inside a real `maild serve`
with the site and a relay sink: it proves its writer as a reply to the address signed
for them does, so forged mail under their From cannot silence staff about it; and a
reply form left open while staff closed the ticket sends a follow-up, never a rating."""

from __future__ import annotations

import pytest

from tests.helpers import make_mail, staff_to
from tests.integration.test_serve import wait_until
from tests.integration.test_web import mail_in
from tests.webclient import link_in, post, request, running_site

ANNA = "anna@example.com"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    support = {"max_staff_notices_per_sender_per_hour": 2}
    yield from running_site(tmp_path_factory.mktemp("trust"), support=support)


def opened(site, customer: str, body: str) -> tuple[str, str]:
    """A ticket `customer` opened by mail: (its page's URL from the confirmation, TID)."""
    _desk, daemon, sink, base = site
    mail_in(daemon, make_mail(sender=customer, subject=body, body=body), customer)
    [conf] = wait_until(lambda: sink.to(customer))
    link = link_in(conf.text, base)
    return link, link.rsplit("/", 1)[1].split(".")[0]


def about(sink, tid: str) -> list:
    return [m for m in sink.to(ANNA) if f"[TID#{tid}]" in m.subject]


def test_forged_mail_cannot_silence_staff_about_the_customers_site_posts(site):
    """Forged mail «From: olga@» filled the cap of staff notices about her unproven
    mail, and the real Olga's post through her personal link counted as unproven
    too (no authserv_id: nothing proved the post): staff were not told of it, only a
    note said so, while the same words mailed to her signed reply address reached
    them. The link proves her as that address does: the post goes to it."""
    desk, daemon, sink, _base = site
    olga = "olga@real-example.ru"
    link, tid = opened(site, olga, "Сайт не открывается")
    for n in range(3):  # the cap (2 an hour) full: her mail by itself and forgeries
        forged = make_mail(sender=f"Ольга <{olga}>", subject=f"Спам {n}", body="купите")
        mail_in(daemon, forged, olga)
    assert wait_until(lambda: any("Непроверенные" in m.subject for m in sink.to(ANNA)))
    text = "Это настоящая Ольга: сайт всё ещё не работает"
    sent = post(link + "/reply", {"form": request(link).form_token(), "text": text})
    assert sent.status == 303 and sent.headers["location"].endswith("?sent=reply")
    assert wait_until(lambda: [m for m in about(sink, tid) if text in m.text])
    notes = [m["text"] for m in desk.ticket(tid)["messages"] if m["kind"] == "note"]
    assert not [n for n in notes if n.startswith("Не отправлено уведомление")], notes
    held = [m for m in sink.to(ANNA) if "Непроверенные" in m.subject]
    assert not [m for m in held if f"[TID#{tid}]" in m.subject]


def test_a_reply_form_left_open_on_a_ticket_closed_since_sends_no_rating(site):
    """Staff asked «Сколько у вас пользователей?» and closed the ticket while the
    customer's page with the reply form was open; their answer «5» became a rating of
    5: the ticket stayed closed, they were thanked for the rating, staff heard
    nothing. A reply form's text is a follow-up: it reopens the ticket, as mail does."""
    desk, daemon, sink, _base = site
    customer = "count@cust-example.ru"
    link, tid = opened(site, customer, "Лицензии")
    page = request(link)  # the page with the reply form, left open
    assert "/reply" in page.text
    reply_to = staff_to(tid)
    body = "Сколько у вас пользователей?\n#close"
    staff = make_mail(sender=ANNA, to=reply_to, subject=f"Re: [TID#{tid}]", body=body)
    mail_in(daemon, staff, ANNA, reply_to)
    assert wait_until(lambda: desk.ticket(tid)["status"] == "closed")
    sent = post(link + "/reply", {"form": page.form_token(), "text": "5"})
    assert sent.status == 303
    assert wait_until(lambda: desk.ticket(tid)["status"] != "closed")
    ticket = desk.ticket(tid)
    assert ticket.get("rating") is None
    assert [m["text"].strip() for m in ticket["messages"] if m["kind"] == "customer"][-1] == "5"
    # staff are told of it, by the notice itself: counting Anna's mail about the ticket
    # passed on its «Новое обращение» when that came after the count was read
    reopened = "Обращение открыто снова: "
    assert wait_until(lambda: [m for m in about(sink, tid) if m.subject.startswith(reopened)])
    assert not [m for m in sink.to(customer) if "оценк" in m.subject.lower()]
