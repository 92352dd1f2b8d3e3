"""Which delivery reports (bounces) are about maild's own mail, and which mail of it.

A report that returns our mail (message/rfc822, or its headers) names a Message-ID
maild signed (App.tid_we_sent). RFC 3464 lets a report return nothing of it: then its
subject's tag names the ticket ("Undelivered: Re: ... [TID#...]") and it is about our
mail when it says our mail failed to one of that ticket's own people, an address the
ticket's mail went to (undeliverable.failed_people). A forger gains nothing from one:
it only tells staff that a participant's mail failed, and marks no one (a 5.1.x
report that returns our mail marks the address as a relay's refusal would:
undeliverable.on_report); nothing goes to anyone else, and said again it is told
once (undeliverable.last_sent).
"""

from __future__ import annotations

from maild.app import App
from maild.domain import undeliverable
from maild.domain.message import ParsedMessage
from maild.domain.screen import Screening
from maild.domain.snapshot import Loaded
from maild.domain.tid import find_tid


def by_subject(app: App, msg: ParsedMessage, scr: Screening) -> str | None:
    """The TID of the ticket a report returning none of our mail is about, by its
    subject's tag and the failed recipients it names; None when it is not one."""
    if not scr.bounce or scr.receipt or not msg.delivery_status:
        return None
    tid = find_tid(msg.subject)
    loaded = app.store.load(tid) if tid else None
    if loaded is None or not undeliverable.failed_people(loaded[0], msg.delivery_status):
        return None
    return tid


def about_ours(app: App, msg: ParsedMessage, scr: Screening) -> bool:
    """Whether a report (scr.bounce) is about mail maild sent: the quarantine's gate."""
    reported = msg.reported_message_id
    return bool(reported and app.tid_we_sent(reported)) or by_subject(app, msg, scr) is not None


def report_of(
    app: App, msg: ParsedMessage, scr: Screening, tids: tuple[str | None, ...], loaded: Loaded
) -> str | None:
    """The Message-ID of our mail a report is about, when it belongs to ``loaded``
    (``tids``: the ticket it threaded to and the one #merge sent it on to): the one it
    returns, else the ticket's last mail to its customers (last_sent, a report by its
    subject alone); None when it is no report of our mail about this ticket."""
    reported = msg.reported_message_id
    if not scr.bounce:
        return None
    if reported and app.tid_we_sent(reported) in tids:
        return reported
    if by_subject(app, msg, scr) in tids:
        return undeliverable.last_sent(loaded[1])
    return None
