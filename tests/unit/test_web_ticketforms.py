"""maild.web.ticketforms: what the forms of a ticket's page send, and when they refuse."""

from __future__ import annotations

from types import SimpleNamespace

from maild.web.rating import nothing_sent
from maild.web.ticketforms import TicketForms

CLOSED = {"tid": "1111-2222", "status": "closed", "subject": "Не работает корзина"}


def test_one_address_posts_on_its_ticket_pages_within_an_hours_allowance() -> None:
    """One address may post 30 times an hour on its pages (6 × max_submissions_per_hour
    when that is more): a stolen or scripted link cannot flood staff with posts. Another
    address keeps its own allowance."""
    forms = TicketForms(SimpleNamespace(cfg=SimpleNamespace(max_submissions_per_hour=2)))
    said = [forms.refusal("nonce", "ivan@example.com", None, None) for _ in range(31)]
    assert said[:30] == [None] * 30
    assert said[30] == "Слишком много сообщений за час. Пожалуйста, попробуйте позже."
    assert forms.refusal("nonce", "olga@example.com", None, None) is None
    wider = TicketForms(SimpleNamespace(cfg=SimpleNamespace(max_submissions_per_hour=10)))
    assert [wider.refusal("n", "ivan@example.com", None, None) for _ in range(61)][59:] == [
        None,
        "Слишком много сообщений за час. Пожалуйста, попробуйте позже.",
    ]


def test_a_rating_posted_from_a_stale_page_of_a_ticket_open_again_is_no_text() -> None:
    """The page was loaded while the ticket was closed, and it was reopened since: its
    rating form's post is sent nowhere (None: the site says a rating waits for the
    closing, rating.nothing_sent), never «Оценка: 5» as the customer's words to staff
    about an open ticket."""
    forms = TicketForms(SimpleNamespace(cfg=SimpleNamespace(max_submissions_per_hour=10)))
    for status in ("open", "waiting"):
        ticket = {**CLOSED, "status": status}
        assert forms.message_text("rate", {"rating": "5"}, ticket)[0] is None, status
        assert "когда обращение будет закрыто" in nothing_sent("rate", ticket, None)
