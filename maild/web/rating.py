"""A closing is rated once from the site, however many posts rate it, from however
many processes.

The truth is the store: a rating is recorded under the store lock only for a closing
the ticket does not name as rated (`rated_closing`: domain.closingrating.rating_of_closing,
ratemail.rating_decision), and a post of a closing rated meanwhile stays in the thread as text,
its writer told «Обращение уже оценено». A post waits for the pipeline to store it
(views.WAIT_STORED); the store's answer decides its page too: a post the store took
without its rating gets the page saying the closing is rated (`rated_meanwhile`). That
held where no claim below could: a post of the site before a restart (the claims are
in memory) not stored yet, and a post after it both read the ticket unrated.

The claim is the fast path of one process: two posts of one closing at once (a double
click, two tabs) read the ticket before either is stored. The site's posts are handled
in one event loop (`maild serve`'s), so a check and a claim with no `await` between
them are one step: the first post claims the closing, and a post after it finds the
claim until the ticket shows the rating itself (or, should that post never be stored,
the claim lapses: CLAIM_SECONDS), and is refused at once, nothing sent or mailed.
"""

from __future__ import annotations

import time
from typing import Any

from maild.domain import ratingtext
from maild.domain.closingrating import closing_rated_by, rating_of_closing
from maild.domain.forget import shown_address
from maild.domain.ratingtext import rating_of
from maild.domain.records import MessageRecord, Ticket

# How long a claim stands without the ticket showing its rating: the pipeline stores
# a post within seconds (the post waits views.WAIT_STORED for it); a post that could
# not be spooled leaves its claim, which must not keep the closing unrated for good.
CLAIM_SECONDS = 600.0


class Ratings:
    """The closings rated from the site whose rating the ticket may not show yet."""

    def __init__(self) -> None:
        self.claims: dict[tuple[str, str], tuple[int, float, str]] = {}

    def given(self, ticket: Ticket, messages: list[MessageRecord]) -> int | None:
        """The rating this closing has: in the ticket (standing_rating), or claimed by a
        post of it being sent; None when it has none yet, or only one a post replaces."""
        stored = standing_rating(ticket, messages)
        if stored is not None:
            return stored
        claim = self.claims.get(_closing(ticket))
        return claim[0] if claim and time.monotonic() - claim[1] < CLAIM_SECONDS else None

    def by(self, ticket: Ticket, messages: list[MessageRecord]) -> str | None:
        """Whose is the rating `given` finds: the address whose mail or post gave it
        (rater_of_closing), or whose post claimed it; None when no one's is known."""
        if standing_rating(ticket, messages) is not None:
            return rater_of_closing(ticket, messages)
        claim = self.claims.get(_closing(ticket))
        return claim[2] if claim and time.monotonic() - claim[1] < CLAIM_SECONDS else None

    def claim(self, ticket: Ticket, text: str | None, address: str = "") -> None:
        """This post of `address` rates the closing (`text`: «Оценка: N»). Called with
        no await since `given` said it had no rating: the two are one step of the
        event loop."""
        rating = rating_of(text or "")
        if rating is None:
            return
        now = time.monotonic()
        self.claims = {k: v for k, v in self.claims.items() if now - v[1] < CLAIM_SECONDS}
        self.claims[_closing(ticket)] = (rating, now, address)

    def drop(self, ticket: Ticket) -> None:
        """The claiming post was not spooled (its disk full: the page asks to post it
        again in a few minutes): the closing is not rated, and a post of it is taken."""
        self.claims.pop(_closing(ticket), None)


def rated_meanwhile(
    store: Any, tid: str, message_id: str
) -> tuple[Ticket, list[MessageRecord], str] | None:
    """Of a rating post the store took (`message_id`, in ticket `tid`) without its
    rating: the ticket and its thread as stored, and the words of the refusal to the
    post's writer (nothing_sent), the closing being rated first by another post, or
    the ticket reopened first (a reopening waiting in the spool ahead of the post,
    which read it closed: its page thanked for a rating recorded nowhere); None when
    the store recorded the post's rating. Reads the store: not in the event loop."""
    loaded = store.load(tid)
    if loaded is None:
        return None
    ticket, messages = loaded
    if any(m["message_id"] == message_id and m.get("rating") for m in messages):
        return None
    viewer = next((m.get("from", "") for m in messages if m["message_id"] == message_id), "")
    if ticket["status"] != "closed":  # no closing to rate: the page says so
        return ticket, messages, nothing_sent("rate", ticket, None, None, viewer)
    rated = rating_of_closing(ticket, messages)
    if rated is None:
        return None
    said = nothing_sent("rate", ticket, rated, rater_of_closing(ticket, messages), viewer)
    return ticket, messages, said


def standing_rating(ticket: Ticket, messages: list[MessageRecord]) -> int | None:
    """The closing's rating (domain.closingrating.rating_of_closing), unless it came in mail
    that proved nothing of its From (`rated_unproven`): the page offers the rating form
    then, and its post, proven by the personal link, replaces that rating as a proven
    mail does (ratemail._replaces)."""
    return None if ticket.get("rated_unproven") else rating_of_closing(ticket, messages)


def rater_of_closing(ticket: Ticket, messages: list[MessageRecord]) -> str | None:
    """The address whose mail or post gave this closing its rating (the message
    domain.closingrating.rating_of_closing reads it from); None when the thread names none
    (a rating the ticket keeps from before its messages did). A ticket has several
    customers (Cc participants, people of a merged ticket): the page and the refusal
    say whose rating it is, not «ваша» to everyone."""
    rated = closing_rated_by(ticket, messages)
    return (rated.get("from") or None) if rated else None


def _closing(ticket: Ticket) -> tuple[str, str]:
    """One closing of a ticket: reopened and closed again, it is rated again."""
    return ticket["tid"], ticket.get("closed_at") or ""


def nothing_sent(
    action: str, ticket: Ticket, rated: int | None, by: str | None = None, viewer: str = ""
) -> str:
    """Why a form with nothing to send is refused: the rating form has no text, so
    its words are of the rating (a page left open while someone reopened it, or
    kept from before this closing was rated, or a second post of it at once:
    `rated`, Ratings.given). A closing is rated once, by whichever of its customers
    rates it first: one rated by another (`by`, not the `viewer`) is said to be."""
    if action == "reopened":  # the reopen form of a page kept since: nothing typed
        return "Обращение уже открыто снова. Если хотите что-то добавить, напишите сообщение."
    if action != "rate":
        return "Напишите сообщение или приложите файл."
    if ticket["status"] != "closed":
        return "Оценку можно поставить, когда обращение будет закрыто: сейчас оно открыто."
    if rated is not None and by and by != viewer:
        return (
            f"Работу поддержки по этому обращению уже оценил участник {shown_address(by)}: "
            f"{rated} из {ratingtext.BEST}. Обращение оценивается один раз после закрытия. "
            "Если вопрос не решён, откройте обращение снова."
        )
    if rated is not None:
        return (
            f"Вы уже оценили работу поддержки: {rated} из {ratingtext.BEST}. Спасибо! "
            "Если вопрос не решён, откройте обращение снова."
        )
    return f"Выберите, пожалуйста, оценку от {ratingtext.WORST} до {ratingtext.BEST}."
