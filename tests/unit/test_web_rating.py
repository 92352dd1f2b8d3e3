"""Unit tests for maild.web.rating: a closing is rated once, claimed by the first post."""

from __future__ import annotations

from maild.web import rating
from maild.web.rating import Ratings, nothing_sent

CLOSED = {"tid": "1111-2222", "status": "closed", "closed_at": "2026-11-25T12:00:00+03:00"}
RATED = {
    "message_id": "<r@c>",
    "direction": "in",
    "kind": "customer",
    "received_at": "2026-11-25T12:05:00+03:00",
    "rating": 4,
}


def test_the_first_post_claims_the_closing_until_the_ticket_shows_its_rating() -> None:
    r = Ratings()
    assert r.given(CLOSED, []) is None
    r.claim(CLOSED, "Оценка: 5")
    assert r.given(CLOSED, []) == 5  # a second post at once: refused
    assert r.given(CLOSED, [RATED]) == 4  # the ticket's own, once stored
    # closed again later: a new closing, rated anew
    again = {**CLOSED, "closed_at": "2026-11-26T12:00:00+03:00"}
    assert r.given(again, [RATED]) is None
    r.claim(again, None)  # no rating to send: nothing claimed
    assert r.given(again, []) is None


def test_a_claim_whose_post_was_never_stored_lapses(monkeypatch) -> None:
    r = Ratings()
    now = [1000.0]
    monkeypatch.setattr(rating.time, "monotonic", lambda: now[0])
    r.claim(CLOSED, "Оценка: 2")
    now[0] += rating.CLAIM_SECONDS - 1
    assert r.given(CLOSED, []) == 2
    now[0] += 1
    assert r.given(CLOSED, []) is None
    r.claim({**CLOSED, "tid": "3333-4444"}, "Оценка: 3")
    assert list(r.claims) == [("3333-4444", CLOSED["closed_at"])]  # the lapsed one gone


def test_the_words_of_a_rating_refused() -> None:
    said = nothing_sent("rate", CLOSED, 5)
    assert said.startswith("Вы уже оценили работу поддержки: 5 из 5. Спасибо!")
    assert nothing_sent("rate", CLOSED, None) == "Выберите, пожалуйста, оценку от 1 до 5."
    assert "когда обращение будет закрыто" in nothing_sent(
        "rate", {**CLOSED, "status": "open"}, None
    )
    assert nothing_sent("reply", CLOSED, None) == "Напишите сообщение или приложите файл."


def test_a_closing_rated_by_another_customer_is_said_to_be_theirs() -> None:
    theirs = nothing_sent("rate", CLOSED, 1, "petr@example.com", "ivan@example.com")
    assert theirs.startswith("Работу поддержки по этому обращению уже оценил участник")
    assert "petr@example.com: 1 из 5" in theirs and "Вы уже" not in theirs
    mine = nothing_sent("rate", CLOSED, 1, "ivan@example.com", "ivan@example.com")
    assert mine.startswith("Вы уже оценили работу поддержки: 1 из 5.")
    assert nothing_sent("rate", CLOSED, 1).startswith("Вы уже оценили")  # no one named


def test_the_rater_is_whose_message_rated_this_closing() -> None:
    assert rating.rater_of_closing(CLOSED, [{**RATED, "from": "petr@example.com"}]) == (
        "petr@example.com"
    )
    earlier = {**RATED, "from": "petr@example.com", "received_at": "2026-11-25T11:00:00+03:00"}
    assert rating.rater_of_closing(CLOSED, [earlier]) is None
    r = Ratings()
    r.claim(CLOSED, "Оценка: 2", "olga@example.com")
    assert r.given(CLOSED, []) == 2 and r.by(CLOSED, []) == "olga@example.com"


def test_the_page_names_who_rated_unless_it_was_the_viewer_or_the_mail_proved_nothing() -> None:
    """«Ваша оценка» only to the rater; the others see the rater named, `maild forget`'s
    placeholder as the erased person; a rating by mail that proved nothing of its From
    names nobody (anyone may have sent it)."""
    from maild.domain.forget import ERASED, PLACEHOLDER
    from maild.web.pages import _rated_by

    by_petr = [{**RATED, "from": "petr@example.com"}]
    assert _rated_by(CLOSED, by_petr, "ivan@example.com") == "petr@example.com"
    assert _rated_by(CLOSED, by_petr, "petr@example.com") is None
    assert _rated_by({**CLOSED, "rated_unproven": True}, by_petr, "ivan@example.com") == ""
    erased = [{**RATED, "from": PLACEHOLDER}]
    assert _rated_by(CLOSED, erased, "ivan@example.com") == ERASED
