"""A delivery report naming the other spelling of a Cyrillic (IDN) domain's address,
through the real CLI: maild writes to boss@окна.рф in A-labels (boss@xn--80atjc.xn--p1ai)
to a relay without SMTPUTF8, so the report of that mail names the A-labels; the
ticket's requester is marked refused for good all the same (README, "A refused
address"), and verified mail from either spelling lifts the mark."""

from __future__ import annotations

import pytest

from tests.helpers import Desk
from tests.integration.test_bounces_e2e import _report
from tests.integration.test_idn_requester_e2e import US, dkim, mail

OKNA, OKNA_A = "boss@окна.рф", "boss@xn--80atjc.xn--p1ai"


def _to_boss(sink) -> list:
    return [m for m in sink.received if any(a in m.rcpt_tos for a in (OKNA, OKNA_A))]


def _bounced(desk: Desk, sink, tid: str, named: str) -> None:
    """The confirmation to the requester comes back: failed for good, for ``named``."""
    desk.flush()
    [confirmation] = _to_boss(sink)
    bounce = _report(confirmation.raw, "failed", "5.1.1", "Undelivered Mail", recipient=named)
    assert desk.ingest(bounce).out == f"appended [TID#{tid}]\n"


@pytest.mark.parametrize(("first", "named"), [(OKNA, OKNA_A), (OKNA_A, OKNA)])
def test_a_report_naming_the_other_spelling_marks_the_requester(desk, sink, first, named):
    """Unmarked, the requester's dead mailbox got each automatic mail again (the
    acknowledgement of the next mail here), and staff heard of each bounce."""
    tid = desk.ingest_tid(mail(first))
    _bounced(desk, sink, tid, named)
    desk.flush()
    ticket = desk.ticket(tid)
    assert list(ticket.get("undeliverable") or {}) == [first], ticket.get("undeliverable")
    assert "5.1.1" in ticket["undeliverable"][first]["error"]
    desk.ingest(mail(first, subject=f"Re: [TID#{tid}] Вопрос"))
    desk.flush()
    assert len(_to_boss(sink)) == 1  # the confirmation only
    shown = desk.run("ticket", "show", tid).out
    assert first in shown


def test_verified_mail_from_the_other_spelling_lifts_the_mark(tmp_path, sink):
    """boss@окна.рф refused for good, then proven mail from boss@xn--80atjc.xn--p1ai:
    the mailbox exists, so automatic mail goes to it again."""
    desk = Desk(tmp_path, sink.port, support={"authserv_id": US})
    tid = desk.ingest_tid(mail(OKNA))
    _bounced(desk, sink, tid, OKNA)
    assert OKNA in desk.ticket(tid)["undeliverable"]
    desk.ingest(mail(OKNA_A, subject=f"Re: [TID#{tid}] Вопрос", headers=dkim(OKNA_A)))
    assert "undeliverable" not in desk.ticket(tid)
