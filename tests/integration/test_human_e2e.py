"""#human: a person maild took for a robot (three quick answers in a row to our
automatic mail, robots.py) is told to staff, and staff take the mark off, end to end:
the real `maild ingest` and `outbox flush`, a real aiosmtpd relay, counting what left.
Before it, staff's notice of the answer that got the person marked said nothing of
the mark, their later mail reached no staff member's inbox, and nothing undid it."""

from __future__ import annotations

from tests.helpers import Desk, Received, make_mail, staff_to

IVAN = "ivan@shop.example"
STAFF = ("anna@example.com", "boris@example.com")


def answer(desk: Desk, to: Received, n: int) -> None:
    """Ivan answers the mail ``to`` (ours) at once, as a quick person does."""
    mid = str(to.msg["Message-ID"])
    desk.ingest(
        make_mail(
            sender=IVAN,
            subject=f"Re: {to.subject}",
            body=f"Дополнение {n}: ошибка 500 на оплате.",
            headers={"In-Reply-To": mid, "References": mid},
        )
    )
    assert desk.flush().code == 0


def staff_says(desk: Desk, tid: str, body: str, staff: str = "anna@example.com") -> None:
    """A verified staff reply (to the notice's Reply-To, signed for ``staff``)."""
    desk.ingest(make_mail(sender=staff, to=staff_to(tid, staff), subject=f"[TID#{tid}]", body=body))
    assert desk.flush().code == 0


def notices_of(sink, n: int) -> list[Received]:
    """Staff's mail quoting Ivan's answer ``n``."""
    return [r for r in sink.received if IVAN not in r.rcpt_tos and f"Дополнение {n}:" in r.text]


def marked(desk: Desk, sink) -> tuple[str, Received]:
    """A ticket of Ivan's, who has answered our automatic mail quickly three times:
    (its TID, the last automatic mail he got)."""
    tid = desk.ingest_tid(make_mail(sender=IVAN, subject="Не проходит оплата"))
    assert desk.flush().code == 0
    for n in (1, 2, 3):
        answer(desk, sink.to(IVAN)[-1], n)
    return tid, sink.to(IVAN)[-1]


def test_a_quick_person_marked_a_robot_is_told_to_staff_and_human_undoes_it(desk, sink):
    tid, last = marked(desk, sink)
    assert len(sink.to(IVAN)) == 3  # confirmation and two acknowledgements: none for the 3rd
    # the notice of the answer that got him marked says so, and how to undo it
    told = notices_of(sink, 3)
    assert sorted(r for m in told for r in m.rcpt_tos) == sorted(STAFF)
    for m in told:
        assert "Отправитель отмечен как робот" in m.subject
        text = " ".join(m.text.split())
        assert f"отправитель {IVAN} отмечен как робот" in text
        assert "3-й ответ подряд" in text
        assert f"«#human {IVAN}»" in text
    t = desk.ticket(tid)
    assert IVAN in t["robots"], t.get("robots")  # `ticket show --json` tells it too
    [note] = [m for m in t["messages"] if m["kind"] == "note" and "робот" in m["text"]]
    assert f"#human {IVAN}" in note["text"]

    # a verified staff reply to that notice (quoting it) takes the mark off: no error,
    # nothing to Ivan, a note says who
    before = len(sink.received)
    quoted = "".join(f"> {line}\n" for line in told[0].text.splitlines())
    staff_says(desk, tid, f"#human {IVAN}\n\n{quoted}")
    assert len(sink.received) == before, [m.subject for m in sink.received[before:]]
    t = desk.ticket(tid)
    assert "robots" not in t and t["humans"] == [IVAN]
    notes = [m for m in t["messages"] if m["kind"] == "note" and "#human" in m["text"]]
    assert "anna@example.com" in notes[-1]["text"] and IVAN in notes[-1]["text"]

    # his next quick answer reaches staff and gets its acknowledgement, and marks no one
    before = len(sink.received)
    answer(desk, last, 4)
    new = sink.received[before:]
    assert sorted(r for m in new for r in m.rcpt_tos) == sorted([*STAFF, IVAN])
    assert all("робот" not in m.subject for m in new)
    answer(desk, sink.to(IVAN)[-1], 5)  # the 5th quick one in a row: still a person
    assert sorted(r for m in notices_of(sink, 5) for r in m.rcpt_tos) == sorted(STAFF)
    t = desk.ticket(tid)
    assert "robots" not in t, t.get("robots")
    assert not [m for m in t["messages"][-4:] if m["kind"] == "note" and "робот" in m["text"]]


def test_human_typed_in_the_russian_layout_and_without_an_address_clears_all(desk, sink):
    tid, last = marked(desk, sink)
    staff_says(desk, tid, "#ргьфт", staff="boris@example.com")
    t = desk.ticket(tid)
    assert "robots" not in t and t["humans"] == [IVAN]
    answer(desk, last, 4)
    assert sorted(r for m in notices_of(sink, 4) for r in m.rcpt_tos) == sorted(STAFF)


def test_human_on_an_address_not_marked_is_an_error_told_to_staff(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail(sender=IVAN, subject="Не проходит оплата"))
    assert desk.flush().code == 0
    before = len(sink.received)
    staff_says(desk, tid, f"Проверяем.\n#human {IVAN}")
    [error] = sink.received[before:]
    assert error.rcpt_tos == ["anna@example.com"]
    text = " ".join(error.text.split())
    assert "#human: в этом обращении нет отправителей, отмеченных как робот" in text
    assert len(sink.to(IVAN)) == 1  # the reply stopped: "Проверяем." did not go
    assert "humans" not in desk.ticket(tid)

    # marked: another address is an error naming who is marked; Ivan a second time too
    (tmp_path / "b").mkdir()
    desk = Desk(tmp_path / "b", sink.port)
    tid, _ = marked(desk, sink)
    petr = "petr@shop.example"
    for arg, says in (
        (petr, f"{petr} не отмечен как робот в этом обращении; отмечены: {IVAN}"),
        (IVAN, None),
        (IVAN, f"отметка «робот» с {IVAN} уже снята ранее"),
    ):
        before = len(sink.received)
        staff_says(desk, tid, f"#human {arg}")
        got = sink.received[before:]
        if says is None:
            assert got == []
            continue
        [error] = got
        assert f"#human: {says}" in " ".join(error.text.split()), error.text
