"""A ticket opened by automatic mail gets none of the notices staff's commands cause
(RFC 3834: no automatic mail answers automatic mail), end to end: the real `maild
ingest` and `outbox flush`, a real aiosmtpd relay, counting what reached each address.
Before it, a list's post got «Обращение закрыто» with its rating request sent to the
whole list on staff's #close, and another system's Auto-Submitted notice «Работа по
обращению начата» on #take, though the confirmation was held from both."""

from __future__ import annotations

from tests.helpers import Desk, Sink, make_mail, staff_reply

LIST = "devel@lists.example.org"
ROBOT = "monitor@mon.example"
STAFF = "anna@example.com"


def opened(desk: Desk, sink: Sink, sender: str, headers: dict[str, str]) -> str:
    """A ticket opened by ``sender``'s mail with ``headers``: no confirmation to it."""
    tid = desk.ingest_tid(make_mail(sender=sender, subject="Релиз 7.0", headers=headers))
    assert desk.flush().code == 0
    assert sink.to(sender) == []
    return tid


def staff_says(desk: Desk, tid: str, body: str) -> None:
    desk.ingest(staff_reply(tid, body))
    assert desk.flush().code == 0


def test_close_of_a_list_post_sends_the_list_nothing_and_tells_staff(desk, sink):
    tid = opened(desk, sink, LIST, {"List-Id": "Devel <devel.lists.example.org>"})
    staff_says(desk, tid, "#close")
    assert sink.to(LIST) == []
    assert desk.ticket(tid)["status"] == "closed"
    [told] = [m for m in sink.to(STAFF) if "не отправлено уведомление" in m.subject]
    text = " ".join(told.text.split())
    assert "«обращение закрыто»" in text and "List-Id" in text and "«#human»" in text
    assert LIST in text


def test_take_of_an_auto_submitted_notice_sends_it_nothing(desk, sink):
    tid = opened(desk, sink, ROBOT, {"Auto-Submitted": "auto-generated"})
    staff_says(desk, tid, "#level vip")  # staff say a person waits: a deadline from now
    staff_says(desk, tid, "#take")
    assert sink.to(ROBOT) == []
    t = desk.ticket(tid)
    assert t["assignee"] == STAFF and t["level"] == "vip"
    # the «работа начата» that went to no one was no reaction: the answer is still owed
    assert t["first_reaction_at"] is None and t["reaction_due"] is not None


def test_staff_answer_text_still_goes(desk, sink):
    tid = opened(desk, sink, ROBOT, {"Auto-Submitted": "auto-generated"})
    staff_says(desk, tid, "Проверьте, пожалуйста, настройки мониторинга.\n#close")
    [mail] = sink.to(ROBOT)
    assert "настройки мониторинга" in mail.text
    assert "оцените" not in mail.text  # the closing's rating request is not folded in


def test_after_human_close_sends_the_rating_request(desk, sink):
    tid = opened(desk, sink, ROBOT, {"Auto-Submitted": "auto-generated"})
    staff_says(desk, tid, "#human")
    assert sink.to(ROBOT) == []
    staff_says(desk, tid, "#close")
    [closing] = sink.to(ROBOT)
    assert closing.subject.startswith("Обращение закрыто")
    assert "оцените" in closing.text
    notes = [m["text"] for m in desk.ticket(tid)["messages"] if m["kind"] == "note"]
    assert any("#human" in n and ROBOT in n for n in notes)


def test_the_requesters_own_mail_as_a_person_ends_the_hold(desk, sink):
    tid = opened(desk, sink, ROBOT, {"Auto-Submitted": "auto-generated"})
    desk.ingest(make_mail(sender=ROBOT, subject=f"Re: [TID#{tid}]", body="Это я, Иван."))
    assert desk.flush().code == 0
    acks = len(sink.to(ROBOT))  # the acknowledgement of a person's mail
    staff_says(desk, tid, "#take")
    assert [m.subject.split(":")[0] for m in sink.to(ROBOT)[acks:]] == [
        "Работа по обращению начата"
    ]
