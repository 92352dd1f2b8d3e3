"""Unit tests for maild.domain.forget: what erasing a person keeps and what it drops."""

from __future__ import annotations

import json

from maild.domain.forget import (
    ERASED,
    PLACEHOLDER,
    Erasure,
    erase_mail,
    erase_person,
    scrub_listed,
    shown_address,
)
from maild.domain.forgetnames import names_pattern

TICKET = {
    "tid": "1234-5678",
    "requester": "ivan@x.example",
    "subject": "Иван Петров, заказ 42",
    "participants": ["ivan@x.example", "olga@x.example"],
    "created_at": "2026-11-25T10:00:00+03:00",
    "reaction_due": "2026-11-25T16:00:00+03:00",
}


def msg(frm: str, text: str, **kw) -> dict:
    return {"from": frm, "direction": "in", "text": text, "to": [], "attachments": [], **kw}


def test_their_ticket_loses_every_text_but_keeps_times():
    att = {"filename": "паспорт.png", "sha256": "ab" * 32, "size": 10}
    messages = [
        msg("ivan@x.example", "мой телефон 123", spool_key="k1", attachments=[att]),
        msg("anna@example.com", "Иван, ответ", direction="out", to=["ivan@x.example"]),
    ]
    t, out, e = erase_person(TICKET, messages, "Ivan@X.example")
    assert e.theirs and e.messages == 2 and e.spool_keys == ["k1"]
    assert e.replaced == 3  # requester, participants, the answer's To
    assert e.attachments == ["ab" * 32]
    assert t["requester"] == PLACEHOLDER and t["subject"] == ERASED
    assert t["participants"] == [PLACEHOLDER, "olga@x.example"]
    assert t["created_at"] == TICKET["created_at"] and t["reaction_due"] == TICKET["reaction_due"]
    assert [m["text"] for m in out] == [ERASED, ERASED]
    assert out[0]["from"] == PLACEHOLDER and out[1]["to"] == [PLACEHOLDER]
    assert out[0]["attachments"][0] == {"filename": ERASED, "sha256": None, "size": 10}
    assert messages[0]["text"] == "мой телефон 123"  # the input is not changed


def test_the_digest_of_a_fast_replys_words_goes_with_its_text():
    """robots.own_words of a short reply («Спасибо») is guessed from its digest."""
    messages = [msg("ivan@x.example", "Спасибо", fast_reply_to_auto=True, fast_words="0a" * 8)]
    _t, out, _e = erase_person(TICKET, messages, "ivan@x.example")
    assert "fast_words" not in out[0] and out[0]["fast_reply_to_auto"]


def test_other_ticket_keeps_other_peoples_text_without_the_address():
    other = dict(TICKET, requester="olga@x.example")
    messages = [
        msg("olga@x.example", "Коллега IVAN@x.example", cc=["ivan@x.example"], spool_key="o"),
        msg("ivan@x.example", "Да, я тут"),
    ]
    t, out, e = erase_person(other, messages, "ivan@x.example")
    assert not e.theirs and e.messages == 1 and e.kept_keys == ["o"]
    assert t["requester"] == "olga@x.example" and t["subject"] == TICKET["subject"]
    assert out[0]["text"] == f"Коллега {PLACEHOLDER}" and out[0]["cc"] == [PLACEHOLDER]
    assert out[1]["text"] == ERASED


def test_a_note_without_to_or_cc_is_given_neither():
    """A note holds neither; erasing wrote both as None, which domain.recordcheck
    names (to and cc are lists of addresses) and every load then refused."""
    note = {"from": "anna@example.com", "direction": "out", "text": "#note", "attachments": []}
    _t, out, _e = erase_person(TICKET, [note], "ivan@x.example")
    assert "to" not in out[0] and "cc" not in out[0]


def test_a_ticket_without_the_person_is_unchanged():
    other = dict(TICKET, requester="olga@x.example", participants=["olga@x.example"])
    _t, out, e = erase_person(other, [msg("olga@x.example", "текст")], "ivan@x.example")
    assert not e.changed and out[0]["text"] == "текст"


def test_their_name_and_every_mention_in_commands_and_cc_requests_go():
    """The From display name kept for saved answers, a Cc that asked to join, a staff
    reply's `#cc ADDRESS` (and its error), the To/Cc text cut past the limit: all
    named the person after `maild forget`."""
    theirs = dict(TICKET, requester_name="Иван Петров")
    t, _, _ = erase_person(theirs, [], "ivan@x.example")
    assert "Иван" not in str(t)
    other = dict(TICKET, requester="olga@x.example", requester_name="Ольга")
    messages = [
        msg(
            "olga@x.example",
            "вопрос",
            asked_to_join=["ivan@x.example"],
            recipients_cut="a@b.example, Ivan@X.example",
        ),
        msg(
            "anna@example.com",
            "подключаю",
            direction="out",
            commands=["#cc ivan@x.example"],
            command_errors=["#uncc ivan@x.example: нет такого участника"],
        ),
    ]
    t, out, e = erase_person(other, messages, "ivan@x.example")
    assert "ivan@x.example" not in str(out).lower() and e.replaced >= 4
    assert out[0]["asked_to_join"] == [PLACEHOLDER]
    assert out[1]["commands"] == [f"#cc {PLACEHOLDER}"]
    assert t["requester_name"] == "Ольга" and "asked_to_join" not in out[1]


def test_a_person_staff_removed_from_a_ticket_is_erased_from_its_removed_list():
    """#uncc keeps the address in the ticket's `removed` (who may not write into it):
    maild forget reaches it there too."""
    other = dict(TICKET, requester="olga@x.example", removed=["Ivan@X.example"])
    t, _, e = erase_person(other, [], "ivan@x.example")
    assert t["removed"] == [PLACEHOLDER] and e.changed
    t, _, _ = erase_person(TICKET, [], "olga@x.example")
    assert "removed" not in t


def test_the_notices_folded_under_a_staff_answer_go_with_its_text():
    """A staff answer's record keeps the notices the customer read under it
    (folded_text, what the site knows a quote of): erased or scrubbed as the text."""
    folded = "Обращение закрыто. Ответы придут на ivan@x.example."
    answer = msg("anna@example.com", "Иван, готово", direction="out", folded_text=folded)
    _, out, _ = erase_person(TICKET, [answer], "ivan@x.example")
    assert out[0]["folded_text"] == ERASED
    _, out, _ = erase_person(dict(TICKET, requester="olga@x.example"), [answer], "ivan@x.example")
    assert out[0]["folded_text"] == folded.replace("ivan@x.example", PLACEHOLDER)


def test_their_name_goes_from_anothers_texts_and_the_notices_folded_there():
    """In a ticket they did not open their name (`named`) goes wherever the address
    does: from another's text and from the notices folded under a staff answer, which
    quote their mail by «Иван Петров <...> писал»."""
    named = names_pattern(["Иван Петров"])
    folded = "Иван Петров <ivan@x.example> писал: мой телефон 123"
    olga = msg("olga@x.example", "Иван Петров в копии")
    answer = msg("anna@example.com", "Готово", direction="out", folded_text=folded)
    other = dict(TICKET, requester="olga@x.example")
    _, out, _ = erase_person(other, [olga, answer], "ivan@x.example", named)
    assert out[0]["text"] == f"{ERASED} в копии"
    assert out[1]["folded_text"] == f"{ERASED} <{PLACEHOLDER}> писал: мой телефон 123"


def test_the_records_keyed_by_their_address_lose_it_and_count_every_place() -> None:
    """A robot seen stays seen, under the placeholder (no automatic mail to it there,
    whoever it was); a mark of refused for good has nobody left to hold. Other people's
    entries stay. `replaced` counts each place the address was (`maild forget` prints
    it)."""
    mark = {"since": "2026-11-25T10:00:00+03:00", "error": "550 5.1.1 no such user"}
    other = dict(
        TICKET,
        requester="olga@x.example",
        robots={"ivan@x.example": "робот", "bot@y.example": "другой"},
        undeliverable={"ivan@x.example": mark, "olga@x.example": mark},
    )
    t, _, e = erase_person(other, [], "ivan@x.example")
    assert t["robots"] == {"bot@y.example": "другой", PLACEHOLDER: "робот"}
    assert t["undeliverable"] == {"olga@x.example": mark}
    assert "ivan@x.example" not in json.dumps(t)
    assert e.replaced == 3  # participants, robots, undeliverable
    staff_reply = msg("anna@example.com", "Добавили", to=["ivan@x.example", "ivan@x.example"],
                      commands=["#cc ivan@x.example", 5], command_errors=None)  # fmt: skip
    _, [m], e = erase_person(other, [staff_reply], "ivan@x.example")
    assert m["to"] == [PLACEHOLDER, PLACEHOLDER] and m["commands"] == [f"#cc {PLACEHOLDER}", 5]
    assert e.replaced == 3 + 2 + 1


def test_a_key_that_names_them_in_another_ticket_names_the_placeholder() -> None:
    """Records keyed by what holds the address («unverified:ADDRESS» in `sent`, the
    reason per sender in `automatic`) lose it from the key as from any value, or the
    ticket they did not open still names them after `maild forget`."""
    at = "2026-11-25T10:00:00+03:00"
    other = dict(
        TICKET,
        requester="olga@x.example",
        sent={"unverified:ivan@x.example": at, "started": at},
        automatic={"ivan@x.example": "Auto-Submitted", "olga@x.example": "bulk"},
    )
    t, _, _e = erase_person(other, [], "ivan@x.example")
    assert t["sent"] == {f"unverified:{PLACEHOLDER}": at, "started": at}
    assert t["automatic"] == {PLACEHOLDER: "Auto-Submitted", "olga@x.example": "bulk"}
    assert "ivan@x.example" not in json.dumps(t)


def test_their_messages_spool_copy_is_given_to_remove_and_no_longer_named() -> None:
    """Their message's spool copy is removed (spool_keys): its record names no key any
    more, or fsck after `maild forget` would call the copy missing."""
    _, [m], e = erase_person(TICKET, [msg("ivan@x.example", "x", spool_key="k1")], "ivan@x.example")
    assert e.spool_keys == ["k1"] and m["spool_key"] is None


def test_the_staff_notice_about_them_goes_to_every_staff_copy_and_their_own_mail_stays():
    """In a ticket they did not open, maild's mail about them is found by the id of any
    copy: a staff notice quoting their message goes though each staff member got a copy
    of their own (a notice goes to staff, never to «others» to keep it for); an incoming
    mail under the same Message-ID (a mailer that writes one id on every mail) is
    another's and stays."""
    copies = {"anna@desk.example": "<n1@desk>", "petr@desk.example": "<n2@desk>"}
    notice = msg("support@desk.example", "Иван пишет: мой телефон 123", direction="out",
                 kind="notice", message_id="<n1@desk>", copies=copies)  # fmt: skip
    olga = msg("olga@x.example", "Не могу войти", message_id="<n2@desk>", kind="customer")
    e = Erasure("1234-5678")
    out = erase_mail([notice, olga], {"<n2@desk>"}, "ivan@x.example", e)
    assert out[0]["text"] == ERASED and e.messages == 1
    assert out[1] == olga and notice["text"].startswith("Иван")  # the input is not changed


def test_their_copy_of_support_mail_is_no_longer_named() -> None:
    """A mail to several customers keeps each copy's Message-ID by recipient (for
    threading their later mail): the person's entry goes, the others' stay."""
    copies = {"ivan@x.example": "<a@s>", "olga@x.example": "<a-1@s>"}
    sent = msg("support@example.com", "Ответ", direction="out", copies=copies)
    sent["to"] = ["ivan@x.example", "olga@x.example"]
    _, [m], e = erase_person(dict(TICKET, requester="petr@x.example"), [sent], "olga@x.example")
    assert m["copies"] == {"ivan@x.example": "<a@s>"} and m["to"] == ["ivan@x.example", PLACEHOLDER]
    assert "olga@x.example" not in json.dumps(m)
    assert e.replaced == 3  # participants, to, copies


def test_a_list_of_tickets_loses_the_subject_of_theirs_only():
    """A reminder list names each ticket on a line «[TID#tid] subject»: of the
    person's tickets the subject goes, as in the ticket; other lines and mentions stay."""
    mail = (
        "Subject: =?utf-8?b?eA==?=\r\n\r\n[TID#1111-2222] Заказ 1\r\n"
        "[срочно] [TID#1234-5678] Иван Петров, заказ 42\r\n"
        "Ответ же на это письмо уйдёт клиенту обращения 1234-5678 [TID#1234-5678].\r\n"
        "[TID#1234-56789] Другой\r\n"
    ).encode()
    out = scrub_listed(mail, {"1234-5678"}).decode()
    assert f"[срочно] [TID#1234-5678] {ERASED}\r\n" in out and "Петров" not in out
    assert "[TID#1111-2222] Заказ 1\r\n" in out and "[TID#1234-56789] Другой" in out
    assert "обращения 1234-5678 [TID#1234-5678]." in out
    assert scrub_listed(mail, set()) == mail


def test_the_digest_and_the_refusal_list_lose_the_subject_of_theirs_only():
    """The morning digest names a ticket's subject on the line under its head (after
    the requester) or, waiting for the customer, after «requester: »; the list of
    refused mail names each refused mail's subject in «...». Of the person's ticket
    those subjects go, the assignee stays; other tickets' entries stay as they were."""
    digest = (
        "Subject: =?utf-8?b?eA==?=\r\n\r\nВсе открытые:\r\n\r\n"
        "  ПРОСРОЧЕНО [срочно] [TID#1234-5678] до 25.11 13:00, Бесплатная поддержка\r\n"
        "      forgotten@invalid: Заказ (ответственный: x) (ответственный: anna@s.example)\r\n"
        "\r\n  [TID#1111-2222] до 25.11 13:00, Бесплатная поддержка\r\n"
        "      olga@x.example: Заказ 1\r\n\r\nЖдут ответа клиента:\r\n"
        "  [TID#1234-5678] forgotten@invalid: Заказ 42 для Петрова\r\n"
        "  [TID#1111-2222] olga@x.example: Заказ 1\r\n"
    ).encode()
    out = scrub_listed(digest, {"1234-5678"}).decode()
    assert "Петров" not in out and "Заказ (" not in out
    assert f"      forgotten@invalid: {ERASED} (ответственный: anna@s.example)\r\n" in out
    assert f"  [TID#1234-5678] forgotten@invalid: {ERASED}\r\n" in out
    assert out.count("olga@x.example: Заказ 1\r\n") == 2 and "до 25.11 13:00" in out
    refused = (
        "Subject: x\r\n\r\n[TID#1234-5678] Заказ 42\r\nКлиент: forgotten@invalid\r\n"
        "Подтверждение о регистрации обращения «Re: [TID#1234-5678] Заказ 42», "
        "отправлено 20.11.2026 16:00\r\nКому: forgotten@invalid\r\n\r\nОтвет сервера: 550\r\n"
        "\r\n[TID#1111-2222] Заказ 1\r\nКлиент: olga@x.example\r\n"
        "Ответ сотрудника «Re: [TID#1111-2222] Заказ 1», отправлено 20.11.2026 16:00\r\n"
    ).encode()
    out = scrub_listed(refused, {"1234-5678"}).decode()
    assert "Заказ 42" not in out and f"обращения «{ERASED}», отправлено 20.11" in out
    assert "«Re: [TID#1111-2222] Заказ 1», отправлено" in out


def test_another_ticket_whose_subject_names_them_gets_the_placeholder_there():
    ticket = {**TICKET, "requester": "olga@x.example", "subject": "Удалите IVAN@x.example"}
    messages = [msg("olga@x.example", "текст", subject="Удалите Ivan@X.example")]
    t, out, e = erase_person(ticket, messages, "ivan@x.example")
    assert not e.theirs and e.replaced >= 2
    assert t["subject"] == out[0]["subject"] == f"Удалите {PLACEHOLDER}"


def test_another_requesters_display_name_that_names_them_gets_the_placeholder():
    """Saved answers greet the requester by it («{{ name }}»): it would send it on."""
    ticket = {**TICKET, "requester": "olga@x.example", "requester_name": "Коллега IVAN@x.example"}
    t, _, e = erase_person(ticket, [msg("olga@x.example", "текст")], "ivan@x.example")
    assert t["requester_name"] == f"Коллега {PLACEHOLDER}" and e.changed
    kept = {**ticket, "requester_name": "Ольга"}
    assert erase_person(kept, [], "ivan@x.example")[0]["requester_name"] == "Ольга"


def test_pages_and_mail_show_the_placeholder_as_erased_and_an_address_as_it_is() -> None:
    assert shown_address(PLACEHOLDER) == ERASED
    assert shown_address("ivan@x.example") == "ivan@x.example"
