"""Unit tests for the pure rules of the staff's daily desk: keyboard layout, one mail
per reply, merge, the morning queue order, charset doubts and re-reading."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from maild.domain import mergedwait
from maild.domain.commands import COMMANDS
from maild.domain.layout import from_russian_layout
from maild.domain.merge import final_target, merge
from maild.domain.message import parse, redecode
from maild.domain.onemail import above_signature, fold
from maild.domain.pending import next_due
from maild.domain.queue import queue_for
from maild.domain.recode import doubt
from maild.domain.ticket import waits_for_customer
from tests.unit.test_tnef import WORDS, outlook_tnef_mail

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 12, 7, 9, 5, tzinfo=MSK)


def test_every_command_typed_on_the_russian_layout_comes_back() -> None:
    to_russian = {
        lat: ru
        for ru, lat in zip("йцукенгшщзфывапролдячсмить", "qwertyuiopasdfghjklzxcvbnm", strict=True)
    }
    for name in COMMANDS:
        typed = "".join(to_russian.get(ch, ch) for ch in name)
        assert from_russian_layout(typed) == name
    assert from_russian_layout("host.example-1") == "host.example-1"


def test_fold_drops_the_notice_greeting() -> None:
    out = fold("Исправили.\n", ["Здравствуйте!\n\nОбращение закрыто.\n\n--\nПоддержка\n"])
    assert out == "Исправили.\n\nОбращение закрыто.\n\n--\nПоддержка\n"


def test_fold_makes_one_letter_greeted_and_signed_once_reminding_of_the_tid_once() -> None:
    keep = "Пожалуйста, сохраняйте [TID#1111-2222] в теме письма."
    answer = f"Здравствуйте, Иван!\n\nИсправили.\n\n{keep}\n\n--\nАнна\nСлужба поддержки\n"
    closed = f"Добрый день!\n\nОбращение закрыто.\n\n{keep}\n\n--\nСлужба поддержки\n"
    rate = f"Здравствуйте.\nОцените, пожалуйста, ответ.\n\n{keep}\n--\nСлужба\n"
    assert fold(answer, [closed, "Здравствуйте!\n\n", rate]) == (
        f"Здравствуйте, Иван!\n\nИсправили.\n\n{keep}\n\nОбращение закрыто.\n\n"
        "Оцените, пожалуйста, ответ.\n\n--\nАнна\nСлужба поддержки\n"
    )
    assert fold("Исправили.", []) == "Исправили.\n"  # nothing to fold, no signature


def test_a_signature_under_the_last_line_or_alone_and_a_reminder_after_blank_lines() -> None:
    """An answer signed with no blank line above "--" keeps its text whole; one that is
    a signature alone signs the letter (not a paragraph above the notices); a notice's
    reminder after two blank lines is the reminder given already, not a second."""
    assert fold("Исправили.\n--\nАнна", []) == "Исправили.\n\n--\nАнна\n"
    closed = "Обращение закрыто.\n\n--\nПоддержка\n"
    assert fold("--\nАнна\n", [closed]) == "Обращение закрыто.\n\n--\nАнна\n"
    keep = "Пожалуйста, сохраняйте [TID#1111-2222] в теме письма."
    out = fold(f"Исправили.\n\n{keep}", [f"Закрыто.\n\n\n{keep}"])
    assert out == f"Исправили.\n\n{keep}\n\nЗакрыто.\n"


def test_a_paragraph_goes_above_the_signature() -> None:
    link = "Переписка на сайте: https://support.example.com/t/abc"
    assert above_signature("Исправили.\n\n--\nАнна\n", link) == (
        f"Исправили.\n\n{link}\n\n--\nАнна\n"
    )
    assert above_signature("Исправили.\n", f"\n{link}\n") == f"Исправили.\n\n{link}\n"


def test_an_answer_with_a_dash_line_in_its_text_keeps_it_above_the_notices() -> None:
    """The signature is what stands under the last "--" line: a staff answer that
    also has one in its text (a divider, a pasted letter) keeps all its text together,
    and the notices and the site's link go under it, above the signature, not into
    the middle of the answer."""
    answer = "Шаг 1: перезапустите.\n--\nШаг 2: войдите снова.\n\n--\nАнна\n"
    closed = "Здравствуйте!\n\nОбращение закрыто.\n\n--\nПоддержка\n"
    text = "Шаг 1: перезапустите.\n--\nШаг 2: войдите снова."
    assert fold(answer, [closed]) == f"{text}\n\nОбращение закрыто.\n\n--\nАнна\n"
    assert above_signature(answer, "Ссылка.") == f"{text}\n\nСсылка.\n\n--\nАнна\n"


def ticket(tid: str, due: str | None, **kw) -> dict:
    return {
        "tid": tid,
        "status": kw.pop("status", "open"),
        "level": kw.pop("level", "free"),
        "requester": kw.pop("requester", f"{tid}@x.ru"),
        "participants": [],
        "created_at": kw.pop("created_at", "2026-12-01T10:00:00+03:00"),
        "reaction_due": due,
        "reaction_from": None,
        **kw,
    }


def test_merge_keeps_its_own_deadline_and_everyone() -> None:
    """(This asserted that the target took the source's earlier deadline: that lost the
    target's own customer's deadline. The target keeps its own; the source's customer,
    never reacted to, waits on in it by theirs: mergedwait.)"""
    src = ticket("1111-1111", "2026-12-02T10:00:00+03:00", participants=["c@x.ru"])
    dst = ticket("2222-2222", "2026-12-03T10:00:00+03:00")
    m1 = {"message_id": "<a>", "received_at": "2026-12-01T11:00:00+03:00"}
    m2 = {"message_id": "<b>", "received_at": "2026-12-01T10:30:00+03:00"}
    s, t, msgs = merge(src, [m1], dst, [m2], NOW)
    assert s["status"] == "closed" and s["merged_into"] == "2222-2222"
    assert t["reaction_due"] == dst["reaction_due"]
    assert [mergedwait.due(w) for w in t["merged_waits"]] == [src["reaction_due"]]
    assert next_due(t) == src["reaction_due"]  # the next reaction due is the source's
    assert {"1111-1111@x.ru", "c@x.ru"} <= set(t["participants"])
    assert [m["message_id"] for m in msgs] == ["<b>", "<a>"]


def test_merge_brings_every_note_of_the_source_and_each_mail_once() -> None:
    """A note (records.note_record: a forwarding staff member's words, a robot noted, a
    refusal) is no mail and has no Message-ID: the source's notes all go with it into
    the target's thread, whatever notes the target has. They were dropped as mails the
    target held already, the empty Message-ID of its own notes taken for theirs. A mail
    both threads hold stays once."""
    src = ticket("1111-1111", None)
    dst = ticket("2222-2222", None)
    note = {"message_id": "", "kind": "note", "received_at": "2026-12-01T10:00:00+03:00"}
    theirs = {**note, "text": "Её слова о клиенте", "received_at": "2026-12-01T11:00:00+03:00"}
    ours = {**note, "text": "Отказ: письмо не отправлено"}
    mail = {"message_id": "<a>", "kind": "customer", "received_at": "2026-12-01T10:30:00+03:00"}
    _s, _t, msgs = merge(src, [mail, theirs], dst, [ours, mail], NOW)
    assert [(m["message_id"], m.get("text")) for m in msgs] == [
        ("", "Отказ: письмо не отправлено"),
        ("<a>", None),
        ("", "Её слова о клиенте"),
    ]
    assert msgs[-1]["merged_from"] == "1111-1111"


def test_merge_keeps_whom_staff_removed_off_unless_it_brings_them_in() -> None:
    """#uncc on either ticket holds after #merge (ticket.may_append reads `removed`),
    but a person of the merged ticket joins the surviving one by the merge."""
    src = ticket("1111-1111", None, participants=["c@x.ru"], removed=["gone@x.ru"])
    dst = ticket("2222-2222", None, removed=["c@x.ru", "left@x.ru"])
    _s, t, _msgs = merge(src, [], dst, [], NOW)
    assert t["removed"] == ["gone@x.ru", "left@x.ru"]
    assert "c@x.ru" in t["participants"]


def test_merge_counts_a_person_once_in_either_spelling_of_the_domain() -> None:
    """Our mail names anna@магазин.рф as anna@xn--80aairftm.xn--p1ai, so one ticket may
    know her so and the other as written: merged, she was two participants (two copies
    of every answer); one removed in one spelling stayed removed though brought in."""
    anna, anna_ascii = "anna@магазин.рф", "anna@xn--80aairftm.xn--p1ai"
    src = ticket("1111-1111", None, participants=[anna_ascii, "c@x.ru"])
    dst = ticket("2222-2222", None, participants=[anna], removed=["c@x.ru"])
    _s, t, _msgs = merge(src, [], dst, [], NOW)
    assert anna in t["participants"] and anna_ascii not in t["participants"]
    src = ticket("1111-1111", None, participants=[anna_ascii])
    dst = ticket("2222-2222", None, removed=[anna])
    _s, t, _msgs = merge(src, [], dst, [], NOW)
    assert anna_ascii in t["participants"] and not t.get("removed")


def test_merge_keeps_the_robots_known_on_either() -> None:
    """A robot known on the merged ticket stays known where its mail now lands (trust
    reads `robots`); one known on both keeps the target's reason, listed once."""
    src = ticket("1111-1111", None, robots={"bot@a.ru": "тег", "both@x.ru": "быстро"})
    dst = ticket("2222-2222", None, robots={"both@x.ru": "тег"})
    _s, t, _m = merge(src, [], dst, [], NOW)
    assert t["robots"] == {"bot@a.ru": "тег", "both@x.ru": "тег"}
    _s, t, _m = merge(ticket("1", None), [], ticket("2", None), [], NOW)
    assert "robots" not in t  # none known: no empty record


def test_merge_takes_the_earlier_deadline_with_its_clock() -> None:
    """A source staff reacted to, whose customer wrote again since: that mail's earlier
    deadline becomes the target's own (no merged wait keeps it). (The sources here were
    never reacted to: their customers wait on in the target by their own deadlines now,
    the target keeping its own, the last case below.)"""
    later, earlier = "2026-12-03T10:00:00+03:00", "2026-12-02T10:00:00+03:00"
    reacted = {"first_reaction_at": "2026-12-01T11:00:00+03:00"}
    # the source's earlier deadline comes with when its clock started
    src = ticket("1111-1111", earlier, reaction_from="2026-12-01T12:00:00+03:00", **reacted)
    _s, t, _m = merge(src, [], ticket("2222-2222", later), [], NOW)
    assert (t["reaction_due"], t["reaction_from"]) == (earlier, "2026-12-01T12:00:00+03:00")
    # without a clock of its own, the source's clock started when it was opened
    src = ticket("1111-1111", earlier, **reacted)
    _s, t, _m = merge(src, [], ticket("2222-2222", later), [], NOW)
    assert (t["reaction_due"], t["reaction_from"]) == (earlier, "2026-12-01T10:00:00+03:00")
    # the target's own earlier (or equal) deadline stays, its clock too
    for src_due in (later, "2026-12-04T10:00:00+03:00", None):
        src = ticket("1111-1111", src_due, **reacted)
        _s, t, _m = merge(src, [], ticket("2222-2222", later), [], NOW)
        assert (t["reaction_due"], t["reaction_from"]) == (later, None)
    # a target without a deadline (answered) takes the source's pending one
    src = ticket("1111-1111", earlier, **reacted)
    _s, t, _m = merge(src, [], ticket("2222-2222", None), [], NOW)
    assert t["reaction_due"] == earlier
    # a source never reacted to: the target keeps its own deadline and clock, the
    # source's customer waits by theirs (mergedwait), whichever is earlier
    for dst_due in (later, None):
        src = ticket("1111-1111", earlier, reaction_from="2026-12-01T12:00:00+03:00")
        _s, t, _m = merge(src, [], ticket("2222-2222", dst_due), [], NOW)
        assert (t["reaction_due"], t["reaction_from"]) == (dst_due, None)
        [w] = t["merged_waits"]
        assert (w["reaction_due"], w["reaction_from"]) == (earlier, "2026-12-01T12:00:00+03:00")


def test_merge_brings_what_went_about_the_deadline_the_target_takes() -> None:
    """The source's earlier deadline comes with the marks of its reminder and escalation
    (reminders.py sends one of each per deadline and person): without them the target
    reminded staff and escalated to the head again about the same wait. The target's
    own marks all stay, and the source's about another deadline do not come."""
    earlier, later = "2026-12-02T10:00:00+03:00", "2026-12-02T12:00:00+03:00"
    src_sent = {
        f"reminder:{earlier}": "2026-12-02T09:00:00+03:00",
        f"escalation:{earlier}:to:head@x.ru": "2026-12-02T10:00:00+03:00",
        f"reminder:{earlier}:list:anna@x.ru": "2026-12-02T09:00:00+03:00",
        "reminder:2026-12-01T10:00:00+03:00": "2026-11-30T09:00:00+03:00",  # an old one
        "started": "2026-12-01T11:00:00+03:00",
    }
    dst_sent = {f"reminder:{later}": "2026-12-02T11:00:00+03:00"}
    src = ticket("1111-1111", earlier, sent=src_sent)
    _s, t, _m = merge(src, [], ticket("2222-2222", later, sent=dst_sent), [], NOW)
    # (this asserted the target took the earlier deadline: it keeps its own now, the
    # source's customer waiting on by theirs, and the marks come with that wait, keyed
    # for its customer: pace.customer_due)
    assert t["reaction_due"] == later and mergedwait.due(t["merged_waits"][0]) == earlier
    theirs = f"{earlier}:for:1111-1111"
    assert t["sent"] == {
        f"reminder:{theirs}": "2026-12-02T09:00:00+03:00",
        f"escalation:{theirs}:to:head@x.ru": "2026-12-02T10:00:00+03:00",
        f"reminder:{theirs}:list:anna@x.ru": "2026-12-02T09:00:00+03:00",
        f"reminder:{later}": "2026-12-02T11:00:00+03:00",
    }
    # the target keeps its own earlier deadline: its marks, none of the source's when
    # staff reacted to the source (its later deadline, a follow-up's, ends in it)
    dst = ticket("2222-2222", earlier, sent={f"escalation:{earlier}": "x"})
    reacted = ticket("1111-1111", later, sent=dst_sent, first_reaction_at=NOW.isoformat())
    _s, t, _m = merge(reacted, [], dst, [], NOW)
    assert (t["reaction_due"], t["sent"]) == (earlier, {f"escalation:{earlier}": "x"})
    # never reacted to, the source's customer waits on in the target (mergedwait), with
    # the reminder of that later deadline that went already: it is not to go again
    _s, t, _m = merge(ticket("1111-1111", later, sent=dst_sent), [], dst, [], NOW)
    mine = {f"reminder:{later}:for:1111-1111": "2026-12-02T11:00:00+03:00"}  # its customer's
    assert (t["reaction_due"], t["sent"]) == (earlier, {**mine, f"escalation:{earlier}": "x"})
    # one moment on both, written with another offset: the source's marks come keyed as
    # the target stores it, for the source's customer, beside the target's own: what
    # went about the source's customer went about no other (the target's is still told)
    utc = "2026-12-02T07:00:00+00:00"
    src = ticket("1111-1111", utc, sent={f"reminder:{utc}": "a", f"escalation:{utc}": "b"})
    dst = ticket("2222-2222", earlier, sent={f"reminder:{earlier}": "c"})
    _s, t, _m = merge(src, [], dst, [], NOW)
    theirs = f"{earlier}:for:1111-1111"
    assert t["sent"] == {
        f"reminder:{earlier}": "c",
        f"reminder:{theirs}": "a",
        f"escalation:{theirs}": "b",
    }
    # nothing marked on either: no empty record
    _s, t, _m = merge(ticket("1", earlier), [], ticket("2", later), [], NOW)
    assert "sent" not in t


def test_merge_keeps_urgency_and_reopens_a_closed_target_for_open_work() -> None:
    closed = {"status": "closed", "closed_at": "2026-12-02T10:00:00+03:00"}
    _s, t, _m = merge(ticket("1", None, critical=True), [], ticket("2", None, **closed), [], NOW)
    assert t["critical"] is True and (t["status"], t["closed_at"]) == ("open", None)
    _s, t, _m = merge(ticket("1", None, **closed), [], ticket("2", None, **closed), [], NOW)
    assert t["status"] == "closed" and "critical" not in t  # nothing open came in
    _s, t, _m = merge(ticket("1", None), [], ticket("2", None, status="waiting"), [], NOW)
    assert t["status"] == "waiting"  # nothing waits for staff: still the customer's turn


def test_merge_opens_a_waiting_target_when_a_customers_mail_comes_waiting_for_staff() -> None:
    """A ticket whose customer's mail staff have not answered, merged into one waiting
    for the customer (#wait): the target stayed waiting, so it read «ждём ответа
    клиента», and #wait's job reminded its customer to answer and then closed it with
    that mail unanswered. Open again, as when a customer answers a #wait ticket."""
    due = "2026-12-02T10:00:00+03:00"
    src = ticket("1", due, reaction_from="2026-12-01T12:00:00+03:00")
    dst = ticket("2", None, status="waiting", waiting_since="2026-12-01T11:00:00+03:00")
    _s, t, _m = merge(src, [], dst, [], NOW)
    # (this asserted the target took the source's deadline as its own: the source's
    # customer waits on in it by theirs now, mergedwait; the target has none of its own)
    assert (t["status"], t["reaction_due"], next_due(t)) == ("open", None, due)
    assert not waits_for_customer(t)
    # put to #wait again with that wait pending (no reaction to that customer): still
    # staff's turn, not the customer's
    assert not waits_for_customer({**t, "status": "waiting"})
    assert waits_for_customer(dst) and not waits_for_customer(ticket("3", None))
    # a waiting ticket a customer's mail was merged into before this rule (stored so):
    # staff's turn all the same, #wait's reminder and auto-close do not take it
    assert not waits_for_customer(ticket("4", due, status="waiting"))


def test_final_target_follows_chains_and_stops_on_loops() -> None:
    links = {"a": "b", "b": "c", "x": "y", "y": "x"}
    assert final_target("a", links.get) == "c"
    assert final_target("x", links.get) in ("x", "y")


def test_queue_order_mine_first_critical_then_deadline_overdue_marked() -> None:
    rows = [
        ticket("1", "2026-12-08T10:00:00+03:00"),
        ticket("2", "2026-12-04T10:00:00+03:00"),
        ticket("3", "2026-12-09T10:00:00+03:00", critical=True),
        ticket("4", "2026-12-10T10:00:00+03:00", assignee="me@x.ru"),
        ticket("5", None, status="waiting"),
        ticket("6", None, status="closed"),
    ]
    q = queue_for("me@x.ru", rows, NOW)
    assert [r["tid"] for r in q.mine] == ["4"]
    assert [r["tid"] for r in q.others] == ["3", "2", "1"]
    assert [r["tid"] for r in q.waiting] == ["5"]
    assert [r["overdue"] for r in q.others] == [False, True, False]
    assert queue_for("me@x.ru", [rows[-1]], NOW).empty
    for only in rows[:5]:  # one ticket of any kind but closed is something to do
        assert not queue_for("me@x.ru", [only], NOW).empty
    # due this very minute is not yet overdue
    (row,) = queue_for("me@x.ru", [ticket("7", NOW.isoformat())], NOW).others
    assert row["overdue"] is False


def test_a_waiting_ticket_with_a_deadline_is_to_do_not_waiting() -> None:
    """A ticket merged into one waiting for the customer brings its pending deadline
    (stored so before merge opened such a target): the digest listed it under «Ждут
    ответа клиента» with no deadline and no overdue mark, while reminders went about it."""
    rows = [ticket("1", "2026-12-04T10:00:00+03:00", status="waiting")]
    rows.append(ticket("2", None, status="waiting"))
    q = queue_for("me@x.ru", rows, NOW)
    assert [(r["tid"], r["overdue"]) for r in q.others] == [("1", True)]
    assert [r["tid"] for r in q.waiting] == ["2"]


def test_charset_doubt_and_second_reading() -> None:
    assert doubt("Привет".encode(), None) is None  # UTF-8
    assert doubt(b"plain", None) is None
    assert "короткий" in doubt("Да".encode("cp866"), None)
    long_text = ("Здравствуйте, после обновления не работает корзина. " * 4).encode("cp1251")
    assert doubt(long_text, "windows-1251") is None
    raw = b"Content-Type: text/plain\r\n\r\n" + "Да".encode("cp866")
    assert redecode(raw, "cp866") == "Да"


def test_an_unlabelled_text_is_short_under_sixty_8_bit_bytes() -> None:
    words = "Здравствуйте не работает оплата заказа на сайте магазина помогите пожалуйста"
    letters = [i for i, c in enumerate(words) if not c.isspace()]
    short, enough = (words[: letters[n - 1] + 1].encode("cp1251") for n in (59, 60))
    assert "текст короткий: выбрана cp1251" in (doubt(short, None) or "")
    assert doubt(enough, None) is None
    # a label the text contradicts is said whatever the length
    contradicted = "в письме указана кодировка koi8-r, но текст прочитан как cp1251"
    assert doubt(enough, "koi8-r") == contradicted


def test_a_second_reading_reads_the_mail_as_the_first_did() -> None:
    """#charset reads the same mail again in another charset: its flowed paragraphs
    joined, the forward under its heading, a winmail.dat's text, Outlook's picture
    placeholders named, as the first reading gave them, only the words in that charset."""
    typed = "При оплате заказа появляется ошибка 500, и деньги списываются дважды."
    flowed = "При оплате заказа появляется ошибка 500, \r\nи деньги списываются дважды."
    raw = b"\r\n".join(
        [
            b"From: ivan@shop.example",
            b'Content-Type: multipart/mixed; boundary="m"',
            b"",
            b"--m",
            b"Content-Type: text/plain; charset=koi8-r; format=flowed",
            b"",
            flowed.encode("cp1251") + b"\r\n[cid:image001.png@01DA]",
            b"--m",
            b'Content-Type: image/png; name="image001.png"',
            b"Content-ID: <image001.png@01DA>",
            b"",
            b"\x89PNG",
            b"--m",
            b"Content-Type: message/rfc822",
            b"",
            b"From: petr@x.ru",
            b"Subject: =?utf-8?b?0KHRh9GR0YI=?=",
            b"Content-Type: text/plain; charset=koi8-r",
            b"",
            "Счёт".encode("cp1251"),
            b"--m--",
            b"",
        ]
    )
    assert redecode(raw, "cp1251").splitlines() == [
        typed,
        "[image001.png]",
        "",
        "-------- Пересланное сообщение --------",
        "От: petr@x.ru",
        "Тема: Счёт",
        "",
        "Счёт",
    ]
    raw = outlook_tnef_mail()
    assert redecode(raw, "koi8-r") == parse(raw).text.strip() == WORDS


def test_merge_brings_the_sources_undeliverable_marks_and_what_was_merged_into_it() -> None:
    """After #merge the target is where the source's mail goes on: an address the relay
    refused for good there gets no answer from here either (its mark comes along), and
    mail to the reply addresses of a ticket merged into the source before is this
    ticket's too (its TID comes along in `merged_from`)."""
    bounced = {"c@x.ru": {"since": "2026-11-20T10:00:00+03:00", "error": "550 5.1.1 no such user"}}
    src = ticket("1111-1111", None, participants=["c@x.ru"], undeliverable=bounced)
    src["merged_from"] = ["0000-0001"]
    _s, t, _msgs = merge(src, [], ticket("2222-2222", None), [], NOW)
    assert t["undeliverable"] == bounced
    assert t["merged_from"] == ["0000-0001", "1111-1111"]
