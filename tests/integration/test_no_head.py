"""`support.head` is optional: a desk without one works as one with it, minus the
escalations and reports that would go to the head."""

from __future__ import annotations

from tests.helpers import Desk, make_mail, staff_to


def test_desk_without_head_opens_answers_and_reminds(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    del desk.sections["support"]["head"]
    desk.write_config()
    assert desk.run("check-config").code == 0
    tid = desk.ingest_tid(make_mail(subject="Не работает отчёт", body="Ошибка 500."))
    desk.flush()
    got = sink.wait_for(3)  # the customer's confirmation and a notice to each staff member
    assert sorted(r.rcpt_tos[0] for r in got) == [
        "anna@example.com",
        "boris@example.com",
        "ivan@shop-example.ru",
    ]
    answer = make_mail(
        sender="Анна <anna@example.com>",
        to=staff_to(tid, "anna@example.com"),
        subject=f"Re: Новое обращение [TID#{tid}]",
        body="Иван, здравствуйте. Проверьте, пожалуйста, настройки.\n#close\n",
    )
    desk.ingest(answer)
    assert desk.ticket(tid)["status"] == "closed"
    desk.flush()
    assert any(
        "Проверьте" in r.text for r in sink.wait_for(4) if r.rcpt_tos == ["ivan@shop-example.ru"]
    )
    jobs = desk.run("jobs", "run", "--json")
    assert jobs.code == 0, jobs.err
    assert "Traceback" not in jobs.err
