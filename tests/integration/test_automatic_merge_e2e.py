"""The hold of staff's notices (domain.automatic) is the automatic address's, not the
ticket's, end to end: the real `maild ingest` and `outbox flush`, a real aiosmtpd relay.
Before it, a list's ticket merged into a person's made the list a participant there,
and #take and #close mailed the whole list «Работа начата» and the rating request;
a person's ticket merged into the list's, or a person staff #cc'd to it, got no notice
of staff's commands at all."""

from __future__ import annotations

from tests.helpers import Desk, Sink, make_mail, staff_reply

LIST = "devel@lists.example.org"
IVAN = "ivan@shop-example.ru"
OLGA = "olga@shop-example.ru"
STAFF = "anna@example.com"
STARTED = "Работа по обращению начата"
CLOSED = "Обращение закрыто"


def opened(desk: Desk, sender: str, **headers: str) -> str:
    tid = desk.ingest_tid(make_mail(sender=sender, subject="[devel] Релиз 7.0", headers=headers))
    assert desk.flush().code == 0
    return tid


def list_post(desk: Desk) -> str:
    return opened(desk, LIST, **{"List-Id": "Devel <devel.lists.example.org>"})


def staff_says(desk: Desk, tid: str, body: str) -> None:
    desk.ingest(staff_reply(tid, body))
    assert desk.flush().code == 0


def kinds(sink: Sink, address: str, since: int = 0) -> list[str]:
    return [m.subject.split(":")[0] for m in sink.to(address)[since:]]


def take_and_close(desk: Desk, tid: str) -> None:
    staff_says(desk, tid, "#take")
    staff_says(desk, tid, "#close")


def test_a_lists_ticket_merged_into_a_persons_sends_the_list_nothing(desk, sink):
    post, ivans = list_post(desk), opened(desk, IVAN)
    before = len(sink.to(IVAN))
    staff_says(desk, post, f"#merge {ivans}")
    assert LIST in desk.ticket(ivans)["participants"]
    take_and_close(desk, ivans)
    assert sink.to(LIST) == []
    assert kinds(sink, IVAN, before) == [STARTED, CLOSED]
    assert "оцените" in sink.to(IVAN)[-1].text
    told = [m for m in sink.to(STAFF) if "не отправлено уведомление" in m.subject]
    assert told and all(LIST in m.text and IVAN not in m.text for m in told)
    # held there by address, as `ticket show --json` says
    assert desk.ticket(ivans)["automatic"] == {LIST: "письмо из рассылки (List-Id)"}


def test_a_persons_ticket_merged_into_a_lists_tells_the_person(desk, sink):
    post, ivans = list_post(desk), opened(desk, IVAN)
    before = len(sink.to(IVAN))
    staff_says(desk, ivans, f"#merge {post}")
    assert kinds(sink, IVAN, before)[0].startswith(f"Обращение {ivans} объединено")
    before = len(sink.to(IVAN))
    take_and_close(desk, post)
    assert sink.to(LIST) == []
    assert kinds(sink, IVAN, before) == [STARTED, CLOSED]


def test_a_person_ccd_to_a_lists_ticket_hears_and_the_list_reads_the_answer_alone(desk, sink):
    post = list_post(desk)
    staff_says(desk, post, f"#cc {OLGA}")
    before = len(sink.to(OLGA))
    staff_says(desk, post, "#take")
    staff_says(desk, post, "Исправлено в 7.0.1.\n#close")
    started, answer = sink.to(OLGA)[before:]
    assert started.subject.startswith(STARTED) and f"[TID#{post}]" in answer.subject
    assert "Исправлено в 7.0.1." in answer.text and "оцените" in answer.text
    [to_list] = sink.to(LIST)  # staff's own answer goes, without the rating request
    assert "Исправлено в 7.0.1." in to_list.text and "оцените" not in to_list.text


def test_human_naming_the_merged_in_list_lifts_its_hold_alone(desk, sink):
    post, ivans = list_post(desk), opened(desk, IVAN)
    staff_says(desk, post, f"#merge {ivans}")
    staff_says(desk, ivans, f"#human {LIST}")
    assert "automatic" not in desk.ticket(ivans)
    staff_says(desk, ivans, "#take")
    assert kinds(sink, LIST) == [STARTED]
