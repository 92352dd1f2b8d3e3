"""Unit tests for a verified staff reply, decided (domain.staffreply): the answer and
the notices its commands cause go to the customer as one mail; what the commands name
is checked first. One rule each; the end-to-end tests drive the same through mail."""

from __future__ import annotations

import dataclasses
import struct
from datetime import timedelta
from typing import Any

from maild.domain import limits, staffreply
from maild.domain.answers import (
    GIVEN,
    AnswerFailed,
    answer_context,
    capitals,
    find_answer,
    typed_alike,
)
from maild.domain.commands import parse_reply
from maild.domain.decide import decide
from maild.domain.decision import Decision, Outgoing
from maild.domain.filerules import SAVE_AS
from maild.domain.forget import PLACEHOLDER
from maild.domain.mergecmd import merge_targets
from maild.domain.message import redecode
from maild.domain.policy import Policy
from maild.domain.recharset import charset_source, charset_wanted
from maild.domain.refused import quoted_back
from maild.domain.screen import screen
from maild.domain.sender import identify
from maild.domain.snapshot import Snapshot
from maild.domain.tid import NO_SUBJECT
from maild.domain.unsent import NO_CUSTOMER, UNSENT
from maild.render import Renderer
from tests.helpers import PNG, make_mail, support_config
from tests.unit.test_decide import CUSTOMER, NOW, POLICY, STAFF, SUPPORT, _msg, _ticket

TID = "1111-2222"
ANNA, BORIS = STAFF
PETR = "petr@shop-example.ru"


def _reply(
    body: str,
    ticket: dict | None = None,
    policy: Policy = POLICY,
    attachments: list[tuple[str, str, bytes]] = (),
    headers: dict[str, str] | None = None,
    **facts: Any,
) -> Decision:
    """Anna's verified reply `body` to ticket 1111-2222 (as `_ticket` makes it)."""
    fresh, messages = _ticket()
    snap = Snapshot(
        TID, (ticket or fresh, messages), identify(ANNA, [], [], NOW.date()), True, **facts
    )
    msg = _msg(
        sender=f"Анна <{ANNA}>",
        subject=f"Re: Заказ [TID#{TID}]",
        body=body,
        attachments=attachments,
        headers=headers,
    )
    return decide(snap, msg, screen(msg, SUPPORT), NOW, policy)


def _to_customer(d: Decision) -> Outgoing:
    [mail] = [o for o in d.outgoing if CUSTOMER in o.to]
    return mail


def _errors(d: Decision) -> list[str]:
    return d.incoming.get("command_errors") or []


def test_an_answer_is_the_reaction_and_says_itself_that_work_started() -> None:
    d = _reply("Проверили: исправлено.")
    mail = _to_customer(d)
    assert (mail.kind, mail.template, mail.record, mail.auto) == ("staff", None, False, False)
    assert "Проверили: исправлено." in (mail.body or "") and "started" not in (mail.body or "")
    assert d.ticket["sent"]["started"] == NOW.isoformat()  # no «work started» notice later
    assert (d.incoming["direction"], d.incoming["to"]) == ("out", [CUSTOMER])
    assert d.incoming["sent_as"].startswith("<") and TID in d.incoming["sent_as"]
    assert d.ticket["first_reaction_at"] == NOW.isoformat()


def test_commands_alone_send_their_notices_as_one_mail_once() -> None:
    d = _reply("#take\n#close")
    mail = _to_customer(d)
    assert (mail.kind, mail.template, mail.record) == ("notice", "started.txt", True)
    assert mail.subject == "subject of started.txt"
    assert "text of resolved.txt" in (mail.body or "")  # folded under the first
    assert (d.incoming["kind"], d.incoming["text"]) == ("note", "(только команды)")
    assert d.ticket["sent"]["started"] == NOW.isoformat()
    taken = _reply("#take")
    assert [o.template for o in taken.outgoing] == ["started.txt"]
    again = _reply("#wait", ticket=taken.ticket)  # told once that work started
    assert all(o.template != "started.txt" for o in again.outgoing)


def test_an_answer_carries_the_notices_of_its_commands_folded_under_it() -> None:
    d = _reply("Исправлено, закрываем.\n#close")
    mail = _to_customer(d)
    assert mail.kind == "staff" and d.ticket["status"] == "closed"
    body = mail.body or ""
    assert body.index("Исправлено, закрываем.") < body.index("text of resolved.txt")


def test_a_note_reaches_no_customer_and_asks_nothing_of_the_staff_member() -> None:
    d = _reply("#note\nКлиент звонил, ждёт до пятницы.")
    assert d.outgoing == [] and d.incoming["kind"] == "note"
    assert "Клиент звонил" in d.incoming["text"]
    assert d.ticket.get("first_reaction_at") is None  # a note is not an answer


def test_saved_answers_by_name_or_in_the_russian_layout() -> None:
    for typed in ("thanks", "ерфтлы"):
        body = _to_customer(_reply(f"#answer {typed}")).body or ""
        assert "answer thanks for" in body, typed
    for typed in ("nope", "404"):  # (digits read alike in either layout)
        assert _errors(_reply(f"#answer {typed}")) == [
            f"#answer: нет сохранённого ответа «{typed}»; есть: thanks"
        ]
    none = dataclasses.replace(POLICY, answer_names=())
    assert _errors(_reply("#answer thanks", policy=none)) == [
        "#answer: нет сохранённого ответа «thanks»; есть: (нет ни одного)"
    ]


def test_a_saved_answer_named_again_goes_in_once_where_it_first_stands() -> None:
    """As a command twice is one: 40,000 lines of «#answer request_info» (880 KB) made a
    27.8 MB mail to the customer; the same answer typed in the other layout is it too."""
    policy = dataclasses.replace(POLICY, answer_names=("thanks", "спасибо"))
    body = "Добрый день.\n#answer thanks\nИ ещё.\n#answer ерфтлы\n#answer спасибо\n"
    sent = _to_customer(_reply(body + "#answer thanks\n" * 1000, policy=policy)).body or ""
    assert sent.count("answer thanks for") == 1 and sent.count("answer спасибо for") == 1
    assert sent.index("Добрый день.") < sent.index("answer thanks for") < sent.index("И ещё.")
    assert sent.index("И ещё.") < sent.index("answer спасибо for")


def test_a_russian_named_answer_typed_in_the_latin_layout_is_found() -> None:
    """«#answer cgfcb,j» is «спасибо» with the Latin layout left on: «нет сохранённого
    ответа» before, the reply held back."""
    policy = dataclasses.replace(POLICY, answer_names=("thanks", "спасибо"))
    for typed in ("cgfcb,j", "спасибо", "CGFCB,J"):
        body = _to_customer(_reply(f"#answer {typed}", policy=policy)).body or ""
        assert "answer спасибо for" in body, typed
    for typed in ("#ответ cgfcb,j", "#jndtn cgfcb,j"):  # #ответ in either layout too
        assert "answer спасибо for" in (_to_customer(_reply(typed, policy=policy)).body or "")


def test_a_name_typed_with_shift_held_in_the_latin_layout_is_found() -> None:
    """Shift held for «СПАСИБО» types "CGFCB<J": "<" is Shift+",", «Б» in the Russian
    layout. The name was lower-cased before it was read in that layout, "<" stayed
    «<» and no answer «спасиБо» was found; Caps Lock's «CGFCB,J» was."""
    policy = dataclasses.replace(POLICY, answer_names=("thanks", "спасибо", "благодарю"))
    for typed, name in (
        ("CGFCB<J", "спасибо"),
        ("<KFUJLFH>", "благодарю"),
        ("<kfujlfh.", "благодарю"),
    ):
        assert find_answer(policy, typed.lower()) == name, typed
        body = _to_customer(_reply(f"#answer {typed}", policy=policy)).body or ""
        assert f"answer {name} for" in body, typed


def test_an_answer_name_keeps_its_last_key_and_a_phones_period_is_no_part_of_it() -> None:
    """«благодарю», «уточню», «платёж» end in the Latin keys ".", "." and ";": typed with
    the Latin layout left on they lost that key (the "." a phone puts after a word was
    taken off every argument) and were not found; "thanks." and "thanks!" still are."""
    names = ("thanks", "благодарю", "уточню", "платёж")
    policy = dataclasses.replace(POLICY, answer_names=names)
    for typed, name in (
        (",kfujlfh.", "благодарю"),
        ("enjxy.", "уточню"),
        ("gkfn`;", "платёж"),
        ("thanks.", "thanks"),
        ("thanks!", "thanks"),
        ("благодарю.", "благодарю"),
        ("ерфтлы.", "thanks"),
        (",kfujlfh..", "благодарю"),  # its own last key and a phone's "."
        ("enjxy.!", "уточню"),
        ("gkfn`;.", "платёж"),
    ):
        body = _to_customer(_reply(f"#answer {typed}", policy=policy)).body or ""
        assert f"answer {name} for" in body, typed


def test_an_answer_named_as_typed_wins_over_one_typed_in_the_other_layout() -> None:
    """An admin's "ytn" is "ytn", whatever «нет» there is (check-config warns of the
    pair: typed_alike); «нет» is «нет». Alone, «нет» is "ytn" typed in Latin."""
    both = dataclasses.replace(POLICY, answer_names=("ytn", "нет", "thanks"))
    assert find_answer(both, "ytn") == "ytn" and find_answer(both, "нет") == "нет"
    assert find_answer(both, "ерфтлы") == "thanks"
    assert typed_alike(both.answer_names) == [("ytn", "нет")]
    # «ё» sits on the "`" key: «ёлка» and "`krf" are one pair too
    assert typed_alike(("ёлка", "`krf")) == [("`krf", "ёлка")]
    alone = dataclasses.replace(POLICY, answer_names=("нет",))
    assert find_answer(alone, "ytn") == "нет"
    assert typed_alike(("thanks", "спасибо", "request_info")) == []


def test_an_answer_is_named_in_any_case() -> None:
    """A command's argument comes lower case: an admin's Thanks.txt or «Спасибо.txt»
    was never found («нет сохранённого ответа «спасибо»; есть: ..., Спасибо»). Of
    "Thanks" and "thanks" the one all in lower case is found; of "Thanks" and "THANKS"
    none, and the error names both (check-config warns: capitals)."""
    upper = dataclasses.replace(POLICY, answer_names=("Thanks", "Спасибо"))
    assert find_answer(upper, "thanks") == "Thanks" and find_answer(upper, "спасибо") == "Спасибо"
    assert find_answer(upper, "cgfcb,j") == "Спасибо"  # in the Latin layout
    assert find_answer(upper, "ерфтлы") == "Thanks"  # in the Russian
    body = _to_customer(_reply("#answer Спасибо", policy=upper)).body or ""
    assert "answer Спасибо for" in body
    lower = dataclasses.replace(POLICY, answer_names=("Thanks", "thanks"))
    assert find_answer(lower, "thanks") == "thanks"
    two = dataclasses.replace(POLICY, answer_names=("THANKS", "Thanks"))
    assert find_answer(two, "thanks") is None
    # of «Спасибо» and «спасибо», the one in lower case, typed with Shift held in Latin too
    alike = dataclasses.replace(POLICY, answer_names=("Спасибо", "спасибо"))
    assert find_answer(alike, "cgfcb<j") == find_answer(alike, "спасибо") == "спасибо"
    [error] = _errors(_reply("#answer Thanks", policy=two))
    assert "заглавными буквами: THANKS, Thanks" in error and error.startswith("#answer: «thanks»")
    alike = capitals(("THANKS", "Thanks", "thanks", "нет", "ytn"))
    assert alike == [("THANKS", "Thanks", "thanks")]
    assert capitals(("thanks", "Thanks", "нет")) == [("Thanks", "thanks")]  # two are one too
    assert typed_alike(("Thanks", "thanks")) == []  # capitals' to tell, not the layouts'


def test_a_name_read_as_two_answers_is_an_error_naming_both() -> None:
    """Half in each layout, «ytт» is "ytn" in Latin and «нет» in Russian: neither is
    chosen silently; the reply stops, and the error names both."""
    both = dataclasses.replace(POLICY, answer_names=("ytn", "нет"))
    assert find_answer(both, "ytт") is None
    [error] = _errors(_reply("#answer ytт", policy=both))
    assert "«ytn»" in error and "«нет»" in error and error.startswith("#answer: «ytт»")


def test_a_saved_answer_that_cannot_be_made_stops_the_reply_naming_file_and_error() -> None:
    """The renderer raises AnswerFailed for an admin's own answer that fails: an error
    to its writer, as an unknown name is; nothing to the customer."""

    def failing(name: str, context: dict[str, Any]) -> str:
        raise AnswerFailed("/etc/maild/templates/answers/thanks.txt", 3, "'x' is undefined")

    policy = dataclasses.replace(POLICY, render_answer=failing)
    d = _reply("Добрый день!\n#answer thanks\n#close", policy=policy)
    assert _errors(d) == [
        "#answer thanks: сохранённый ответ не удаётся составить: "
        "/etc/maild/templates/answers/thanks.txt, строка 3: 'x' is undefined. Ответ нужно "
        "исправить (файл правит администратор); до тех пор напишите текст ответа сами, "
        "без #answer"
    ]
    assert not [o for o in d.outgoing if CUSTOMER in o.to]
    assert d.ticket["status"] != "closed"


def test_what_a_saved_answer_is_given_is_what_check_config_expects() -> None:
    fresh, _messages = _ticket()
    """GIVEN (domain/answers.py) is answer_context's names and those the renderer adds
    to a saved answer (Renderer.desk_context, the one place they are built)."""
    desk = Renderer(support_config()).desk_context(answer=True)
    assert set(answer_context(POLICY, fresh)) | set(desk) == GIVEN


def test_a_saved_answer_names_the_customer_only_by_a_name_a_greeting_would_use() -> None:
    """«{% if name %}{{ name }}, чтобы ...» (answers/request_info.txt) goes to the
    customer: a display name that is a login, a role or a company's sign-off
    (greeting.addressable refuses it) would make «info, чтобы мы могли ...»; such a
    name is none, and the answer begins «Чтобы ...»."""
    fresh, _messages = _ticket()
    for shown in ("info", "Отдел продаж", "ООО Ромашка | бухгалтерия", "ivan@shop.ru"):
        assert answer_context(POLICY, {**fresh, "requester_name": shown})["name"] == "", shown
    named = {**fresh, "requester_name": "  Иван   Петров "}
    assert answer_context(POLICY, named)["name"] == "Иван Петров"


def test_an_answer_name_with_a_comma_or_semicolon_typed_after_it_is_found() -> None:
    """«#answer thanks,» or «#answer thanks;» (a sign typed after the word, not a key
    of the name): the name less all such signs is tried last, and the reply goes; it
    was «нет сохранённого ответа «thanks,»» and the reply held back."""
    policy = dataclasses.replace(POLICY, answer_names=("thanks", "спасибо"))
    for typed, name in (("thanks,", "thanks"), ("thanks;", "thanks"), ("спасибо,", "спасибо")):
        assert find_answer(policy, typed) == name, typed
        body = _to_customer(_reply(f"#answer {typed}", policy=policy)).body or ""
        assert f"answer {name} for" in body, typed


def test_names_typed_with_the_same_keys_are_told_whatever_their_capitals() -> None:
    """Ytn.txt beside «нет.txt»: «#answer ytn» is Ytn (names are read in any case),
    never «нет» typed in Latin; check-config warns of the pair as of "ytn" and «нет»."""
    assert typed_alike(("Ytn", "нет", "thanks")) == [("Ytn", "нет")]
    assert typed_alike(("YTN", "Нет")) == [("YTN", "Нет")]


def test_assign_names_a_staff_member_or_stops_the_reply() -> None:
    d = _reply(f"#assign {BORIS}")
    assert _errors(d) == [] and d.ticket["assignee"] == BORIS
    [error] = _errors(_reply("#assign anan@example.com"))
    assert error.endswith(f"support.staff: {ANNA}, {BORIS}. Возможно, имелся в виду {ANNA}?")
    [error] = _errors(_reply("#assign eve@elsewhere.example"))
    assert error.endswith(f"support.staff: {ANNA}, {BORIS}.")
    d = _reply("#assign eve@elsewhere.example\nИсправлено.")
    assert all(CUSTOMER not in o.to for o in d.outgoing)  # nothing of it went
    assert d.ticket["assignee"] is None


def test_mail_queued_to_an_address_staff_take_off_is_withdrawn() -> None:
    ticket, _ = _ticket()
    with_petr = {**ticket, "participants": [CUSTOMER, PETR]}
    assert _reply(f"#uncc {PETR.upper()}", ticket=with_petr).withdraw == (PETR,)
    assert _reply(f"#uncc {PETR}\n#cc {PETR}", ticket=with_petr).withdraw == ()
    assert _reply(f"#cc {PETR}", ticket=ticket).withdraw == ()


def test_charset_reads_the_customers_last_kept_mail_again() -> None:
    raw = make_mail(body="Не работает оплата", charset="koi8-r")
    d = _reply("#charset koi8-r", charset_source=(0, raw))
    [out] = d.outgoing
    assert (out.template, out.to, out.record) == ("staff_charset.txt", [ANNA], True)
    assert out.context["codec"] == "koi8-r" and out.context["subject"] == "Заказ"
    assert d.messages[0]["recharset"] == "koi8-r" and "Не работает оплата" in d.messages[0]["text"]
    assert _errors(_reply("#charset koi8-r")) == [
        "#charset: нет письма клиента, исходный текст которого сохранён"
    ]


def test_charset_of_a_ticket_with_no_subject_names_it_as_all_our_mail_does() -> None:
    """The staff member's «перечитано» mail of a ticket whose mail had no subject says
    «(без темы)», not «…koi8-r: » naming nothing."""
    raw = make_mail(body="Не работает оплата", charset="koi8-r")
    d = _reply("#charset koi8-r", ticket={**_ticket()[0], "subject": ""}, charset_source=(0, raw))
    [out] = d.outgoing
    assert out.context["subject"] == NO_SUBJECT


def test_charset_lines_read_the_mail_once_in_the_last_ones_codec(monkeypatch: Any) -> None:
    """Read once a line, 200 of them took 12 s of a 2.4 MB mail, the store locked
    (bench/FINDINGS.md 63); the last line's codec is the one kept, as it always was."""
    read: list[str] = []

    def counted(raw: bytes, codec: str, banners: tuple[str, ...] = ()) -> str:
        read.append(codec)
        return redecode(raw, codec, banners)

    monkeypatch.setattr(staffreply, "redecode", counted)
    raw = make_mail(body="Не работает оплата", charset="koi8-r")
    d = _reply("#charset cp866\n" * 200 + "#charset koi8-r", charset_source=(0, raw))
    assert read == ["koi8-r"] and [o.template for o in d.outgoing] == ["staff_charset.txt"]
    assert d.messages[0]["recharset"] == "koi8-r" and "Не работает оплата" in d.messages[0]["text"]
    assert _errors(_reply("#charset koi8-r\n#charset cp866")) == [
        "#charset: нет письма клиента, исходный текст которого сохранён"
    ]


def test_the_mail_charset_reads_is_the_latest_customer_mail_with_its_raw_kept() -> None:
    def m(direction: str, kind: str, key: str | None) -> dict:
        return {"direction": direction, "kind": kind, "spool_key": key}

    thread = [m("in", "customer", "k1"), m("in", "customer", "k2"), m("out", "staff", "k3"),
              m("in", "staff", "k4"), m("in", "note", "k5"), m("in", "customer", None)]  # fmt: skip
    assert charset_source(thread) == (1, "k2")
    assert charset_source(thread[:2]) == (1, "k2")  # the last message itself
    assert charset_source(thread[:1]) == (0, "k1")
    assert charset_source([thread[0], thread[2]]) == (0, "k1")
    assert charset_source(thread[2:]) is None


def test_the_gatherer_looks_up_only_what_merge_and_charset_lines_name() -> None:
    reply = parse_reply("#merge 3333-4444\n#cc petr@shop-example.ru\n#merge\n#merge 5555-6666")
    assert merge_targets(reply) == ["3333-4444", "5555-6666"]
    assert not charset_wanted(reply)
    assert charset_wanted(parse_reply("#close\n#charset koi8-r"))
    assert not charset_wanted(parse_reply("#charset"))  # no codec: an error, nothing read


def test_merge_names_another_ticket() -> None:
    ticket, messages = _ticket()
    other, other_messages = _ticket(tid="3333-4444")
    targets = {"3333-4444": (other, other_messages)}
    d = _reply("#merge 3333-4444", merge_targets=targets)
    assert _errors(d) == [] and d.ticket["merged_into"] == "3333-4444"
    [mail] = [o for o in d.outgoing if CUSTOMER in o.to]
    assert mail.template == "merged.txt"  # no rating request: it goes on there
    assert "text of resolved.txt" not in (mail.body or "")
    # kept in the target's thread too: an answer to it lands there (robots.answered)
    assert mail.in_target and not [o for o in d.outgoing if o.in_target and o is not mail]
    [(target, _target_messages)] = d.also
    assert target["tid"] == "3333-4444"
    # #close beside it belongs to the ticket that goes on: the reply stops (mergecmd)
    closed_too = _reply(
        "#close\n#merge 3333-4444", merge_targets={"3333-4444": (other, other_messages)}
    )
    [error] = _errors(closed_too)
    assert error.startswith("#close не выполнена: в письме с #merge 3333-4444")
    assert "merged_into" not in closed_too.ticket
    assert _errors(_reply("#merge 5555-6666", merge_targets={"5555-6666": None})) == [
        "#merge: обращения 5555-6666 нет"
    ]
    here = {"1111-2222": (ticket, messages), "9999-0000": (ticket, messages)}
    assert _errors(_reply("#merge 1111-2222", merge_targets=here)) == [
        "#merge: нельзя объединить обращение с самим собой"
    ]
    assert _errors(_reply("#merge 9999-0000", merge_targets=here)) == [
        "#merge: обращение 9999-0000 уже объединено с этим обращением"
    ]


def test_a_ticket_without_a_subject_is_named_so_in_the_mail_about_it() -> None:
    ticket, _ = _ticket()
    mail = _to_customer(_reply("#close", ticket={**ticket, "subject": ""}))
    assert mail.context["subject"] == "(без темы)"


def test_contradicting_commands_are_told_with_what_did_go() -> None:
    d = _reply("Исправлено.\n#close\n#wait")
    assert d.ticket["status"] != "closed"
    told = [o for o in d.outgoing if o.to == [ANNA]]
    assert [o.template for o in told] == ["staff_error.txt"]
    assert told[0].context["answered"] is True  # the answer itself went
    d = _reply("#take\n#close\n#wait")
    [told] = [o for o in d.outgoing if o.to == [ANNA]]
    assert told.context["answered"] is False and told.record is True
    assert (told.context["partial"], told.context["ran"]) == (True, ["#take"])  # it ran
    assert d.ticket["assignee"] == ANNA


def test_a_bad_command_stops_the_whole_reply_and_its_writer_is_told() -> None:
    ticket, _ = _ticket()
    d = _reply("Исправлено.\n#close\n#level nope", ticket={**ticket, "subject": ""})
    assert d.ticket["status"] == "new" and d.incoming["kind"] == "note"
    [told] = d.outgoing  # nothing to the customer
    assert (told.template, told.to, told.record) == ("staff_error.txt", [ANNA], True)
    assert told.context["errors"] == _errors(d) and len(_errors(d)) == 1
    c = told.context
    assert (c["partial"], c["ran"], c["answered"]) == (False, [], False)
    assert c["subject"] == "(без темы)"


def test_an_answer_with_no_customer_to_go_to_is_a_note_and_its_writer_told() -> None:
    ticket, _ = _ticket()
    nobody = {**ticket, "requester": SUPPORT, "participants": []}
    d = _reply("Исправлено.", ticket=nobody)
    [told] = d.outgoing
    assert told.to == [ANNA] and d.incoming["direction"] == "in" and d.incoming["kind"] == "note"
    assert "sent_as" not in d.incoming


def test_a_ticket_without_a_customer_mails_no_notice_and_counts_none_sent() -> None:
    ticket, _ = _ticket()
    nobody = {**ticket, "requester": SUPPORT, "participants": []}
    for body in ("Исправлено.\n#take", "#take", "#close"):
        d = _reply(body, ticket=nobody)
        assert all(o.to for o in d.outgoing), body  # no mail addressed to no one
        assert not any(o.template in ("started.txt", "resolved.txt") for o in d.outgoing), body
        assert "started" not in (d.ticket.get("sent") or {}), body
    # with a customer, the same #take tells them once
    d = _reply("#take")
    assert _to_customer(d).template == "started.txt" and "started" in d.ticket["sent"]


def test_a_reply_keeps_what_the_ticket_was_sent_before() -> None:
    ticket, _ = _ticket()
    told = {**ticket, "sent": {"unverified:x@y.ru": "2026-11-20T10:00:00+00:00"}}
    d = _reply("Исправлено.", ticket=told)
    assert d.ticket["sent"] == {**told["sent"], "started": NOW.isoformat()}


# -- a reply that sends the customer none of what was written (domain.unsent) --------


def _told(d: Decision) -> Outgoing:
    [told] = [o for o in d.outgoing if o.to == [ANNA]]
    assert (told.template, told.kind, told.record) == ("staff_unsent.txt", "notice", True)
    return told


def test_an_answer_inside_the_quote_with_the_customer_in_cc_tells_its_writer_they_have_it():
    """unsent.unsent_reply: her answer typed inside the quote went to the customer in
    Cc from her own mail server; the mail that tells her it was not sent says so
    (``direct``: «... его среди получателей ...»), not that the customer got nothing."""
    inside = "Здравствуйте, Иван.\n\n> Не работает\n> Исправлено, обновите страницу.\n"
    d = _reply(inside, headers={"Cc": CUSTOMER})
    [told] = [o for o in d.outgoing if o.template == "staff_unsent.txt"]
    assert told.to == [ANNA] and told.context["direct"] == [CUSTOMER]


def test_an_answer_typed_inside_the_quote_goes_nowhere_and_its_writer_is_told() -> None:
    typed = "Исправлено, обновите страницу."
    d = _reply(f"Здравствуйте, Иван.\n\n> Не работает\n> {typed}\n#close")
    assert [o.template for o in d.outgoing if CUSTOMER in o.to] == ["resolved.txt"]
    told = _told(d)
    assert told.context["reason"] == UNSENT["in_quote"] and told.context["typed"] == [typed]
    assert (told.context["notices"], told.context["no_customer"]) == (True, False)
    assert told.context["commands"] == ["#close"] and told.context["subject"] == "Заказ"
    assert d.incoming["unsent"] == "in_quote" and typed in d.incoming["text"]
    # the answer reached nobody, «Обращение закрыто» did: as a #close alone, the reaction
    assert d.ticket.get("first_reaction_at") == d.incoming["received_at"]
    alone = _reply(f"Здравствуйте, Иван.\n\n> Не работает\n> {typed}")
    assert _told(alone).context["notices"] is False and alone.ticket["status"] == "new"


def test_files_without_a_text_are_not_sent_and_their_writer_is_told() -> None:
    files = [(f"экран{i}.png", "image/png", PNG) for i in range(22)]
    for attached, more in ((files[:1], 0), (files, 2)):  # named up to 20, then a count
        told = _told(_reply("", attachments=attached))
        assert told.context["reason"] == UNSENT["files_only"] and told.context["typed"] == []
        assert told.context["files"] == [name for name, _, _ in attached[:20]]
        assert told.context["files_more"] == more


def test_commands_with_a_signatures_logo_alone_tell_their_writer_nothing() -> None:
    """A reply of commands whose only picture is its signature's logo, shown in place
    (multipart/related, a Content-ID), holds no file of hers: no «Ответ клиенту не
    отправлен» for it, and its command runs."""
    import email
    import email.policy

    from maild.domain.message import parse

    raw = make_mail(sender=f"Анна <{ANNA}>", subject=f"Re: Заказ [TID#{TID}]", body="#take\n")
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    mail.add_related(PNG, "image", "png", cid="<logo@corp>")
    msg = parse(mail.as_bytes(policy=email.policy.SMTP))
    assert [a.embedded for a in msg.attachments] == [True]
    ticket, messages = _ticket()
    snap = Snapshot(TID, (ticket, messages), identify(ANNA, [], [], NOW.date()), True)
    d = decide(snap, msg, screen(msg, SUPPORT), NOW, POLICY)
    assert d.incoming.get("commands") == ["#take"] and not d.incoming.get("command_errors")
    assert not [o for o in d.outgoing if o.template == "staff_unsent.txt"]


def test_a_file_the_answer_cannot_carry_stops_the_answer_not_a_note() -> None:
    bmp = struct.pack("<2sIHHI", b"BM", 58, 0, 0, 54) + struct.pack(
        "<IiiHHIIiiII", 40, 1, 1, 1, 24, 0, 4, 0, 0, 0, 0
    ) + bytes(4)  # fmt: skip

    def with_bmp(body: str) -> Decision:
        return _reply(body, attachments=[("схема.bmp", "image/bmp", bmp)])

    for body in ("Смотрите схему во вложении.", "Смотрите схему во вложении.\n#take"):
        d = with_bmp(body)
        [error] = _errors(d)
        # the file by its name, and what to do, in words for staff
        assert error.startswith("Файл\u00a0«схема.bmp» не отправлен: файлы BMP"), error
        assert f"Упакуйте его в архив или сохраните как {SAVE_AS}" in error  # JPG или PNG
        [told] = [o for o in d.outgoing if o.to == [ANNA]]
        assert told.template == "staff_error.txt" and told.context["answer_stopped"] is True
        assert told.context["text"] == body  # quoted back: nothing to type again
    assert _errors(with_bmp("#note\nСхема от клиента.")) == []  # kept, sent to no one
    assert _errors(with_bmp("#spam\nРассылка.")) == []  # quarantined, answered by no one
    # a bad command stops it: «Команды не выполнены», the text quoted back too
    [told] = [o for o in _reply("Ответ.\n#levle vip").outgoing if o.to == [ANNA]]
    assert told.context["answer_stopped"] is False and told.context["text"]


def test_commands_with_only_a_sign_off_send_their_notices_alone() -> None:
    d = _reply("#close\n\nС уважением,\nАнна")
    assert _to_customer(d).template == "resolved.txt"  # not «С уважением» as an answer
    assert "С уважением" in _reply("#note\nС уважением,\nАнна").incoming["text"]


def test_a_sign_off_alone_without_commands_is_the_answer() -> None:
    """Only a reply of commands drops what reads as a signature: «Всего доброго!»
    typed alone to a customer's «спасибо, всё работает» is the answer, and goes. A
    #note keeps its text as typed, Outlook's "URL<URL>" too: it goes to no one."""
    mail = _to_customer(_reply("Всего доброго!\nАнна"))
    assert "Всего доброго!" in (mail.body or "")
    link = "https://shop.example/a<https://shop.example/a>"
    assert link in _reply(f"#note\nСм. {link}").incoming["text"]


def test_an_answer_to_a_ticket_without_a_customer_says_who_opened_it() -> None:
    ticket, _ = _ticket()
    for requester, opener in (
        (SUPPORT, "support"), ("", "unknown"), (BORIS, "staff"), (PLACEHOLDER, "forgotten")
    ):  # fmt: skip
        d = _reply("Исправлено.", ticket={**ticket, "requester": requester, "participants": []})
        told = _told(d)
        who = NO_CUSTOMER[opener].format(requester=requester)
        assert told.context["reason"] == UNSENT["no_customer"].format(who=who), opener
        assert (told.context["no_customer"], told.context["notices"]) == (True, False)
        assert told.context["typed"] == ["Исправлено."]
        assert (d.incoming["kind"], d.incoming["unsent"]) == ("note", "no_customer")
    # what it brought is named to its writer: files, commands; the ticket by its subject
    nobody = {**ticket, "requester": SUPPORT, "participants": [], "subject": ""}
    png = ("экран.png", "image/png", PNG)
    told = _told(_reply("Исправлено.\n#take", ticket=nobody, attachments=[png]))
    assert (told.context["files"], told.context["files_more"]) == (["экран.png"], 0)
    assert told.context["commands"] == ["#take"] and told.context["subject"] == "(без темы)"


def test_a_stopped_reply_is_quoted_back_as_typed_and_bounded() -> None:
    """What the mail that stops a reply quotes of it (refused.quoted_back): the lines
    typed, commands and all, never the notice quoted under them; of a long reply its
    first limits.MAX_QUOTED_CHARS characters, cut at a line break."""
    notice = "Уровень: VIP поддержка (vip)\n  #close (#закрыть)      закрыть"
    text = "Ответ.\n#levle vip\n\n" + "\n".join(f"> {s}" for s in notice.splitlines())
    assert quoted_back(text, [{"text": notice}]) == ("Ответ.\n#levle vip", None)
    long = "\n".join(f"строка журнала {i:04d}" for i in range(1000))
    shown, cut = quoted_back(long, [])
    assert long.startswith(shown + "\n") and 2000 < len(shown) <= limits.MAX_QUOTED_CHARS
    assert cut == {"shown": len(shown), "total": len(long)}
    assert quoted_back("", []) == ("", None)


def test_a_stopped_reply_fitting_the_bound_is_quoted_whole_a_long_one_cut_at_the_bound() -> None:
    """refused.quoted_back: a reply of exactly limits.MAX_QUOTED_CHARS characters is
    quoted whole (its last line is no cut); a longer one with no line break in the
    bound's second half is cut at the bound, not at an early line break that would
    leave the writer a line or two of what they typed."""
    bound = limits.MAX_QUOTED_CHARS
    whole = "Ответ.\n" + "я" * (bound - len("Ответ.\n"))
    assert quoted_back(whole, []) == (whole, None)
    long = "Ответ.\n" + "я" * (2 * bound)
    shown, cut = quoted_back(long, [])
    assert shown == long[:bound] and cut == {"shown": bound, "total": len(long)}


def test_a_staff_member_is_told_why_commands_stopped_and_how_many_more_errors() -> None:
    """refused.conflicts_mail and refused.refused: commands that contradict each other
    are told as such (the mail's first lines say why), and of more errors than
    limits.MAX_LISTED_ERRORS the rest are counted exactly («и ещё 3 ошибки»)."""
    d = _reply("#take\n#close\n#wait")
    [told] = [o for o in d.outgoing if o.to == [ANNA]]
    assert told.context["contradict"] is True
    many = limits.MAX_LISTED_ERRORS + 3
    d = _reply("\n".join(f"#nosuch{i}" for i in range(many)))
    assert _errors(d)[-1] == "и ещё 3 ошибки" and len(_errors(d)) == limits.MAX_LISTED_ERRORS + 1


def test_a_stopped_reply_that_named_the_customer_tells_its_writer_they_have_it() -> None:
    """refused.refused: a reply stopped for a bad command whose Cc named the customer
    reached them from the staff member's own mail server; «Команды не выполнены» says
    so (``direct``), not that the customer got nothing."""
    d = _reply("Исправлено.\n#level nope", headers={"Cc": CUSTOMER})
    [told] = d.outgoing
    assert told.template == "staff_error.txt" and told.context["direct"] == [CUSTOMER]


def test_two_merge_lines_naming_two_tickets_merge_into_neither() -> None:
    """Two #merge lines naming two tickets contradict each other: neither runs, the
    writer is told so, and the ticket stays where it is; merged into the last one
    named, the customer was told to write on there, in a ticket staff never chose."""
    one, one_messages = _ticket(tid="3333-4444")
    two, two_messages = _ticket(tid="5555-6666")
    targets = {"3333-4444": (one, one_messages), "5555-6666": (two, two_messages)}
    d = _reply("Добрый день.\n#merge 3333-4444\n#merge 5555-6666", merge_targets=targets)
    assert "merged_into" not in d.ticket and d.also == []
    assert not [o for o in d.outgoing if o.template == "merged.txt" or o.in_target]
    [told] = [o for o in d.outgoing if o.to == [ANNA]]
    assert told.context["contradict"] is True


def test_a_notes_text_on_its_command_line_is_the_note_kept() -> None:
    """«#note text» on one line: the text is the note, kept in the thread for staff
    (nothing of it goes to the customer); lost, staff read only that commands ran."""
    d = _reply("#note звонил клиенту, ждёт счёт до пятницы")
    assert d.incoming["kind"] == "note"
    assert d.incoming["text"].startswith("звонил клиенту, ждёт счёт до пятницы")
    assert not [o for o in d.outgoing if CUSTOMER in o.to]


def test_a_note_under_a_quote_of_the_notice_is_kept_whatever_the_quote_holds() -> None:
    """A note goes to no one: what would stop an answer (a line in the quote no mail
    of the thread holds, as if typed inside it: unsent.answer) never empties a note,
    nor is the note an answer its writer is told went to no one (unsent.unsent)."""
    d = _reply(
        "#note\nКлиент звонил, вопрос решён по телефону.\n\n"
        "Служба поддержки пишет:\n> Новое обращение, уровень: стандартный\n> Ответьте на это письмо"
    )
    assert d.incoming["kind"] == "note"
    assert d.incoming["text"].startswith("Клиент звонил, вопрос решён по телефону.")
    assert d.outgoing == []  # nor is its writer told of an answer unsent


def test_commands_alone_on_a_ticket_without_a_customer_are_no_answer_left_unsent() -> None:
    """Only an answer has no one to go to on a ticket without a customer (unsent.
    no_customer tells its writer so); #take, #close or a note there send nothing and
    tell the staff member of no answer unsent."""
    ticket, _ = _ticket()
    nobody = {**ticket, "requester": SUPPORT, "participants": []}
    for body in ("#take", "#close", "#note проверил логи"):
        d = _reply(body, ticket=nobody)
        assert d.outgoing == [], body
        assert d.incoming["kind"] == "note" and d.incoming["text"], body


def test_an_answer_to_a_customer_whose_notices_are_held_is_the_reaction_still() -> None:
    """The customer's mail was automatic (an auto-reply): the notices of the reply's
    #take are held, yet the answer went to them, and it is the reaction on the ticket
    (heard.unheard undoes only a reaction nobody heard of)."""
    ticket, _ = _ticket()
    auto = {**ticket, "automatic": "Auto-Submitted: auto-replied"}
    auto.pop("first_reaction_at", None)
    d = _reply("Исправлено, проверьте.\n#take", ticket=auto)
    assert d.ticket["first_reaction_at"] == NOW.isoformat()
    assert [o.kind for o in d.outgoing if CUSTOMER in o.to] == ["staff"]


def test_an_answer_to_two_customers_one_held_goes_to_each_under_a_key_of_its_own() -> None:
    """Of two customers, the one whose mail was automatic gets the answer without the
    level's notice, the other with it: two mails, each under its own key (one key for
    both, the outbox kept one of them, and a customer never got the answer)."""
    ticket, _ = _ticket()
    both = {**ticket, "participants": [CUSTOMER, PETR], "automatic": {CUSTOMER: "auto"}}
    d = _reply("Исправлено, проверьте.\n#level standard", ticket=both)
    mails = [o for o in d.outgoing if o.kind == "staff"]
    assert sorted(tuple(o.to) for o in mails) == [(CUSTOMER,), (PETR,)]
    assert len({o.key for o in mails}) == 2


def test_a_reply_that_ends_a_followups_deadline_counts_it_for_the_sla_report() -> None:
    """The customer wrote again after the first reaction: an answer, or a #close alone,
    ends that follow-up's deadline, counted under its level in time or breached."""
    fresh, _ = _ticket()
    due = NOW + timedelta(hours=1)
    waiting = {
        **fresh,
        "first_reaction_at": (NOW - timedelta(days=1)).isoformat(),
        "reaction_due": due.isoformat(),
        "reaction_from": (NOW - timedelta(hours=1)).isoformat(),
        "reaction_level": "vip",
    }
    for body in ("Проверили: исправлено.", "#close"):
        d = _reply(body, ticket=waiting)
        assert d.ticket["later_reactions"] == {"vip": {"in_time": 1, "breached": 0}}, body
    late = {**waiting, "reaction_due": (NOW - timedelta(minutes=1)).isoformat()}
    d = _reply("Проверили: исправлено.", ticket=late)
    assert d.ticket["later_reactions"] == {"vip": {"in_time": 0, "breached": 1}}


def test_a_command_typed_twice_tells_the_customer_once() -> None:
    """#take on two lines (typed again lower down): one «работа начата» in the mail,
    not its text twice over."""
    [mail] = _reply("#take\n\n#take\n").outgoing
    assert mail.template == "started.txt"
    assert (mail.body or "").count("text of started.txt") == 1


def test_a_note_with_wait_asks_the_customer_nothing_and_the_wait_is_refused() -> None:
    """A note reaches no customer: its text under #wait is no question asked, and the
    ticket does not wait for an answer to it."""
    d = _reply("#note\n#wait\nСпросить у клиента версию PHP")
    assert [e.split(":")[0] for e in _errors(d)] == ["#wait не выполнена"]
    assert d.ticket["status"] == "new" and [o.to for o in d.outgoing] == [[ANNA]]


def test_what_the_customer_reads_under_the_answer_is_kept_with_it() -> None:
    """The closing notice and the signature under the answer: kept as the record's
    folded_text, so that the customer's reply quoting them (unmarked, as a client may)
    is not shown as typed by him (owntext.known_before)."""
    d = _reply("Исправлено, проверьте.\n#close")
    [mail] = d.outgoing
    under = (mail.body or "").removeprefix("Исправлено, проверьте.").strip()
    assert "resolved.txt" in under and d.incoming["folded_text"] == under


def test_a_close_leaves_the_first_deadline_a_transfer_moved() -> None:
    """The ticket was moved to its level two days after it opened (its first deadline
    counted from then on, ticket.first_moves_on_transfer): a #close that sets no level
    leaves that deadline as it was for the SLA report."""
    fresh, _ = _ticket()
    moved = NOW - timedelta(hours=1)
    transferred = {
        **fresh,
        "created_at": (NOW - timedelta(days=2)).isoformat(),
        "first_reaction_due": POLICY.due(fresh["level"], moved).isoformat(),
        "first_reaction_level": fresh["level"],
    }
    d = _reply("Исправлено.\n#close", ticket=transferred)
    assert d.ticket["status"] == "closed"
    kept = ("first_reaction_due", "first_reaction_level")
    assert [d.ticket[k] for k in kept] == [transferred[k] for k in kept]


def test_a_note_typed_in_the_subject_alone_stops_the_reply_before_the_customer() -> None:
    """«#note» in the subject, none in the text: the text meant for colleagues is no
    answer; nothing goes to the customer, the writer is told."""
    fresh, messages = _ticket()
    snap = Snapshot(TID, (fresh, messages), identify(ANNA, [], [], NOW.date()), True)
    msg = _msg(
        sender=f"Анна <{ANNA}>",
        subject=f"#note Re: Заказ [TID#{TID}]",
        body="Клиент должен за прошлый месяц, не отвечаем до оплаты.",
    )
    d = decide(snap, msg, screen(msg, SUPPORT), NOW, POLICY)
    assert [o.to for o in d.outgoing] == [[ANNA]] and _errors(d)
    assert d.incoming.get("direction") != "out"


def test_a_customer_whose_notices_are_held_gets_the_answer_without_them() -> None:
    """Ivan's mail looked automatic: the closing notice (a rating request) is held from
    him, the answer is not; Petr gets both in one mail."""
    ticket, _ = _ticket()
    both = {**ticket, "participants": [CUSTOMER, PETR], "automatic": {CUSTOMER: "auto"}}
    d = _reply("Исправлено, проверьте.\n#close", ticket=both)
    mails = {o.to[0]: o.body or "" for o in d.outgoing if o.kind == "staff"}
    assert "Исправлено" in mails[CUSTOMER] and "resolved.txt" not in mails[CUSTOMER]
    assert "resolved.txt" in mails[PETR]


def test_a_saved_answer_ends_its_line_before_the_text_typed_under_it() -> None:
    """«#answer thanks» and a line of her own under it: the saved answer's last line and
    hers stay two lines."""
    body = _to_customer(_reply("#answer thanks\nЕщё: перезапустите браузер.")).body or ""
    assert "\nЕщё: перезапустите браузер." in body
