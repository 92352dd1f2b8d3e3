"""What a hostile public address gets besides sizes and spam verdicts: mail in our own
name, forged reports, robots that do not say so, through the real CLI (`maild
ingest`) and a real relay sink, counting what left."""

from __future__ import annotations

import pytest

from tests.helpers import SUPPORT, Desk, make_mail, staff_to

STAFF = {"anna@example.com", "boris@example.com"}


def staff_says(desk: Desk, tid: str, body: str) -> None:
    desk.ingest(
        make_mail(sender="anna@example.com", to=staff_to(tid), subject=f"[TID#{tid}]", body=body)
    )


@pytest.mark.parametrize("ours", [SUPPORT, "Support <SUPPORT+news@Example.COM>"])
def test_mail_in_our_own_name_never_makes_maild_write_to_itself(desk, sink, ours):
    """A forged From of the support address (or a plus-address of it) opens a ticket
    staff see, but no mail of that ticket goes to the support address: it would
    come straight back in, a loop that only a person's patience stops."""
    tid = desk.ingest_tid(make_mail(sender=ours, subject="Счёт на оплату"))
    staff_says(desk, tid, "Здравствуйте! Это не к нам.")
    staff_says(desk, tid, "#close")
    desk.flush()
    assert {r for m in sink.received for r in m.rcpt_tos} == STAFF
    t = desk.ticket(tid)
    assert t["status"] == "closed"
    [answer] = [m for m in t["messages"] if m["kind"] == "staff"]
    assert answer["text"] == "Здравствуйте! Это не к нам." and not answer.get("to")
