"""A closing is rated once from the site, however many posts rate it at the same time.

A rating posted on the site is a message the pipeline stores a moment later (the
worker, under the store lock); the page's post reads the ticket before that. Two
posts of one closing at once (a double click, two tabs) both read it unrated, both
were sent, and the ticket took both ratings and mailed two «Спасибо за оценку». The
site's posts are handled in one event loop (`maild serve`'s), so a check and a claim
with no `await` between them are one step, as a check and a write under the store
lock are: the first post claims the closing, and a post after it finds the claim
until the ticket shows the rating itself (or, should that post never be stored, the
claim lapses: CLAIM_SECONDS).
"""

from __future__ import annotations

import time

from maild.domain.records import MessageRecord, Ticket
from maild.domain.ticket import rating_of, rating_of_closing

# How long a claim stands without the ticket showing its rating: the pipeline stores
# a post within seconds (the post waits views.WAIT_STORED for it); a post that could
# not be spooled leaves its claim, which must not keep the closing unrated for good.
CLAIM_SECONDS = 600.0


class Ratings:
    """The closings rated from the site whose rating the ticket may not show yet."""

    def __init__(self) -> None:
        self.claims: dict[tuple[str, str], tuple[int, float]] = {}

    def given(self, ticket: Ticket, messages: list[MessageRecord]) -> int | None:
        """The rating this closing has: in the ticket (domain.ticket.rating_of_closing), or
        claimed by a post of it being sent; None when it has none yet."""
        stored = rating_of_closing(ticket, messages)
        if stored is not None:
            return stored
        claim = self.claims.get(_closing(ticket))
        return claim[0] if claim and time.monotonic() - claim[1] < CLAIM_SECONDS else None

    def claim(self, ticket: Ticket, text: str | None) -> None:
        """This post rates the closing (`text`: «Оценка: N»). Called with no await
        since `given` said it had no rating: the two are one step of the event loop."""
        rating = rating_of(text or "")
        if rating is None:
            return
        now = time.monotonic()
        self.claims = {k: v for k, v in self.claims.items() if now - v[1] < CLAIM_SECONDS}
        self.claims[_closing(ticket)] = (rating, now)


def _closing(ticket: Ticket) -> tuple[str, str]:
    """One closing of a ticket: reopened and closed again, it is rated again."""
    return ticket["tid"], ticket.get("closed_at") or ""


def nothing_sent(action: str, ticket: Ticket, rated: int | None) -> str:
    """Why a form with nothing to send is refused: the rating form has no text, so
    its words are of the rating (a page left open while someone reopened it, or
    kept from before this closing was rated, or a second post of it at once:
    `rated`, Ratings.given)."""
    if action != "rate":
        return "Напишите сообщение или приложите файл."
    if ticket["status"] != "closed":
        return "Оценку можно поставить, когда обращение будет закрыто: сейчас оно открыто."
    if rated is not None:
        return (
            f"Вы уже оценили работу поддержки: {rated} из 5. Спасибо! Если вопрос "
            "не решён, откройте обращение снова."
        )
    return "Выберите, пожалуйста, оценку от 1 до 5."
