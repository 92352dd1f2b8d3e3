"""maild.ops.forgetids.about_them: which outbox mail `maild forget` takes for mail about
the person, of a message of theirs in another's ticket: the staff notice that answers
its id (In-Reply-To in the notice's own head), in that ticket, and no other mail."""

from __future__ import annotations

from typing import Any

from maild.domain.forget import PLACEHOLDER
from maild.domain.forgetmention import mention
from maild.ops.forgetids import about_them

IVAN = "ivan@shop.ru"
THEIR_ID = "<1700000000.ivan@shop.ru>"
MENTION = mention(IVAN, {"<1700000000."})
# kept_ids: (TID, their id as kept) of their message in Olga's ticket
QUOTED = {("1111-2222", MENTION.sub(PLACEHOLDER, THEIR_ID))}


def mail(head: str, body: str = "текст") -> bytes:
    return b'{"id": "x"}\n' + f"{head}\r\n\r\n{body}\r\n".encode()


def entry(kind: str = "notice", tid: str = "1111-2222") -> Any:
    return {"to": ["anna@example.com"], "tid": tid, "kind": kind}


def test_the_notice_that_answers_their_id_in_that_ticket_is_about_them() -> None:
    data = mail(f"Subject: x\r\nIn-Reply-To: {THEIR_ID}")
    assert ("1111-2222", THEIR_ID) not in QUOTED  # their id is kept renamed
    assert about_them(entry(), data, MENTION, set(), QUOTED)


def test_only_a_notice_of_that_ticket_answering_it_in_its_head_is_about_them() -> None:
    answering = mail(f"In-Reply-To: {THEIR_ID}")
    # a staff reply to Olga answering it is Olga's mail
    assert not about_them(entry("customer"), answering, MENTION, set(), QUOTED)
    # the same id in another ticket is another mail's (reusedid.py)
    assert not about_them(entry(tid="3333-4444"), answering, MENTION, set(), QUOTED)
    # a head quoted in the notice's text is not its own
    quoting = mail("Subject: x", f"In-Reply-To: {THEIR_ID}")
    assert not about_them(entry(), quoting, MENTION, set(), QUOTED)
