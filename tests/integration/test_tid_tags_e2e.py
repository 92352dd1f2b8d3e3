"""A ticket's TID as customers really write it, through `maild ingest` and the relay:
a tag mangled by hand in a follow-up's subject («[TID№…]», «[TID:…]», no «#») is the
ticket's tag; a TID in prose is none; a new mail that names the sender's own ticket in
its text alone stays a new ticket, which staff's notice and the confirmation name."""

from __future__ import annotations

import pytest

from tests.helpers import Desk, make_mail, relayed_reply, staff_reply

IVAN = "Иван <ivan@shop.ru>"


@pytest.fixture
def desk(tmp_path, sink) -> Desk:
    return Desk(tmp_path, sink.port)


def _new(desk: Desk) -> str:
    return desk.ingest_tid(make_mail(sender=IVAN, subject="Ошибка 500"))


@pytest.mark.parametrize(
    "typed",
    ["[TID{}]", "[TID:{}]", "[TID№{}]", "[TID＃{}]", "[TID {}]", "TID№{}", "TID:{}"],
)
def test_a_tag_mangled_by_hand_threads_the_follow_up(desk, sink, typed):
    tid = _new(desk)
    later = make_mail(sender=IVAN, subject=f"Re: {typed.format(tid)} Ошибка 500", body="Ещё.")
    assert desk.ingest_tid(later) == tid
    assert len(desk.tickets()) == 1
    ticket = desk.ticket(tid)
    assert ticket["subject"] == "Ошибка 500" and "robots" not in ticket  # no Jira key
    assert [m["text"].strip() for m in ticket["messages"] if m["direction"] == "in"][1] == "Ещё."
    desk.flush()
    sink.wait_for(4)  # the confirmation, the acknowledgement, a notice of each
    acks = [r.subject for r in sink.to("ivan@shop.ru")]
    assert len(acks) == 2 and all(s.count(tid) == 1 for s in acks), acks


def test_a_tid_in_prose_opens_a_ticket_of_its_own(desk):
    """«TID 4821-7730», no sign and no brackets, is a number in the customer's words."""
    tid = _new(desk)
    other = desk.ingest_tid(make_mail(sender=IVAN, subject=f"Похоже на TID {tid}, но другое"))
    assert other != tid
    assert desk.ticket(other)["subject"] == f"Похоже на TID {tid}, но другое"


def test_a_new_mail_naming_the_senders_own_ticket_in_its_text_refers_to_it(desk, sink):
    """The regulation adds mail to a ticket by the TID in the subject: the mail stays a
    ticket of its own, but staff read which ticket it names, and the customer how to
    write into that one."""
    tid = _new(desk)
    desk.flush()
    before = len(sink.received)
    other = desk.ingest_tid(
        make_mail(
            sender=IVAN,
            subject="Ошибка 500 снова",
            body=f"По обращению [TID#{tid}]: ошибка осталась.",
        )
    )
    assert other != tid
    ticket = desk.ticket(other)
    assert ticket["names_own"] == tid and ticket["refers_to"] is None
    old = desk.ticket(tid)  # not written into: its customer's first mail alone
    assert [m["kind"] for m in old["messages"] if m["direction"] == "in"] == ["customer"]
    shown = desk.run("ticket", "show", other).out
    assert f"names [TID#{tid}] in its text" in shown
    desk.flush()
    got = sink.wait_for(before + 3)[before:]
    notice = next(r for r in got if "anna@example.com" in r.rcpt_tos)
    assert f"упоминает своё обращение {tid}" in notice.text
    assert f"#merge {tid}" in notice.text
    assert "не является его участником" not in notice.text
    confirmation = next(r for r in got if "ivan@shop.ru" in r.rcpt_tos)
    assert other in confirmation.subject and tid not in confirmation.subject
    text = " ".join(confirmation.text.split())
    assert f"В письме упомянуто ваше обращение {tid}" in text
    assert f"метку [TID#{tid}]" in text
    assert "в обращение пишут только с адресов его участников" not in text


def test_a_new_mail_naming_someone_elses_ticket_says_nothing_of_it(desk, sink):
    """Whether a TID is a ticket, and whose, is no stranger's to learn: their
    confirmation reads as for a TID no ticket has."""
    tid = _new(desk)
    desk.flush()
    before = len(sink.received)
    other = desk.ingest_tid(
        make_mail(
            sender="Пётр <petr@other.ru>",
            subject="Ошибка 500 у меня",
            body=f"Как в [TID#{tid}], ошибка 500.",
        )
    )
    ticket = desk.ticket(other)
    assert ticket["refers_to"] is None and "names_own" not in ticket
    desk.flush()
    got = sink.wait_for(before + 3)[before:]
    confirmation = next(r for r in got if "petr@other.ru" in r.rcpt_tos)
    assert tid not in confirmation.text
    notice = next(r for r in got if "anna@example.com" in r.rcpt_tos)
    assert "#merge" not in notice.text.split("----- текст обращения -----")[0]


def test_a_new_mail_naming_a_ticket_whose_file_is_broken_is_a_ticket_all_the_same(
    desk, sink, caplog
):
    """Naming a ticket only adds to the new one: a file that cannot be read (fsck's to
    mend) leaves the name out, and the mail is not held back until it is mended."""
    tid = _new(desk)
    broken = next(p for p in (desk.root / "data" / "tickets").rglob(f"{tid}.json"))
    broken.write_text("{broken")
    r = desk.ingest(
        make_mail(
            sender="Пётр <petr@other.ru>",
            subject="Новая проблема",
            body=f"Коллега писала вам ([TID#{tid}]), у меня другая ошибка.",
        )
    )
    assert r.code == 0, r.err
    new = desk.run("ticket", "list", "--json", "--status", "new").json()
    assert [t["requester"] for t in new if t["tid"] != tid] == ["petr@other.ru"]
    assert f"names [TID#{tid}], not read" in caplog.text


def test_a_tag_typed_with_lookalikes_or_an_en_dash_appends_to_the_ticket(desk, sink):
    """A customer types their ticket's tag by hand: «[ТID#…]» with a Russian «Т» (the
    layout switched for one key), «4821–7730» with autocorrect's en dash. Each reply
    was a ticket of its own, with a confirmation and a deadline of its own, and the
    old tag left in the new subject."""
    tid = _new(desk)
    first, second = tid.split("-")
    for typed in (f"[ТID#{tid}]", f"[TID#{first}–{second}]"):
        reply = make_mail(sender=IVAN, subject=f"Re: Ошибка 500 {typed}", body="Ещё.")
        assert desk.ingest(reply).out == f"appended [TID#{tid}]\n"
    assert [t["tid"] for t in desk.tickets()] == [tid]
    ticket = desk.ticket(tid)
    assert ticket["subject"] == "Ошибка 500" and "robots" not in ticket
    assert [m["direction"] for m in ticket["messages"]].count("in") == 3
    desk.flush()
    sink.wait_for(9)  # to the customer and the two staff, each mail: one of each kind
    said = [r.subject for r in sink.to("ivan@shop.ru")]
    assert said == [
        f"Обращение зарегистрировано: Ошибка 500 [TID#{tid}]",
        *[f"Письмо добавлено к обращению: Ошибка 500 [TID#{tid}]"] * 2,
    ]


def test_a_strangers_mail_with_a_tag_typed_by_hand_is_a_ticket_of_its_own(desk, sink):
    """Only a ticket's participants write into it, whatever letters its tag is typed
    in: a stranger's «[ТІD#…]» opens a new ticket, told so as with the tag maild writes."""
    tid = _new(desk)
    typed = f"[ТІD#{tid.replace('-', ' ')}]"  # a Russian «Т», a Ukrainian «І», a blank
    other = desk.ingest_tid(make_mail(sender="Пётр <petr@other.ru>", subject=f"Вопрос {typed}"))
    assert other != tid and desk.ticket(other)["subject"] == "Вопрос"
    desk.flush()
    sink.wait_for(6)  # a confirmation and two notices of each ticket
    [told] = sink.to("petr@other.ru")
    assert told.subject == f"Обращение зарегистрировано: Вопрос [TID#{other}]"
    assert f"новое обращение, а не добавлено к обращению {tid}" in " ".join(told.text.split())


FULLWIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


@pytest.mark.parametrize(
    "typed",
    [
        "{}–{}",  # autocorrect's en dash
        "[\u0422ID#{} {}]",  # a Russian «Т», a blank for the dash, in brackets
        "{}-{}",  # turned fullwidth below: an input method's digits (read before too)
    ],
)
def test_merge_reads_the_tid_as_a_subjects_tag_reads_it(desk, sink, typed):
    """A staff member's «#merge 4821–7730» (autocorrect's en dash), «#merge [ТID#4821
    7730]» was «нужен номер обращения вида 1234-5678», while the same TID in a
    customer's subject finds its ticket. The ticket merged into is named as stored."""
    into = _new(desk)
    tid = desk.ingest_tid(make_mail(sender="Пётр <petr@other.ru>", subject="Вопрос"))
    desk.flush()
    sink.wait_for(6)
    arg = typed.format(*into.split("-"))
    if typed == "{}-{}":
        arg = arg.translate(FULLWIDTH)
    got = relayed_reply(desk, sink, tid, f"Это то же обращение.\n#merge {arg}\n")
    assert not [m for m in got if "не выполнены" in m.subject], [m.text for m in got]
    assert desk.ticket(tid)["merged_into"] == into
    assert "Это то же обращение." in [m["text"].strip() for m in desk.ticket(into)["messages"]]


def test_the_cli_reads_a_tid_as_a_subjects_tag_reads_it(desk):
    """`maild ticket show ７７９８-９６９８` (fullwidth digits) was «no ticket»."""
    tid = _new(desk)
    for typed in (tid.translate(FULLWIDTH), tid.replace("-", "–"), f"[ТID#{tid}]"):
        r = desk.run("ticket", "show", typed, "--json")
        assert r.code == 0, (typed, r.err)
        assert r.json()["tid"] == tid


def test_a_sum_in_a_subject_is_no_tid(desk):
    """«Счёт TID#2024 1500 руб»: a blank joins the halves in brackets alone; outside
    them «2024 1500» was read as ticket 2024-1500."""
    for subject in ("Счёт TID#2024 1500 руб", "TID: 2025 2026 год"):
        tid = desk.ingest_tid(make_mail(sender=IVAN, subject=subject))
        assert desk.ticket(tid)["subject"] == subject and tid not in ("2024-1500", "2025-2026")


def test_a_new_mail_naming_a_merged_ticket_in_its_text_refers_to_the_survivor(desk):
    """Ivan's ticket merged into another since: his new mail naming the old one in its
    text names the one its mail goes to now (staff's notice offers «#merge» of that)."""
    tid = _new(desk)
    into = desk.ingest_tid(make_mail(sender=IVAN, subject="Счёт", body="Пришлите счёт."))
    desk.ingest(staff_reply(tid, f"#merge {into}"))
    assert desk.ticket(tid)["merged_into"] == into
    mail = make_mail(
        sender=IVAN, subject="Снова ошибка", body=f"По обращению [TID#{tid}]: всё то же."
    )
    other = desk.ingest_tid(mail)
    assert other not in (tid, into) and desk.ticket(other)["names_own"] == into
