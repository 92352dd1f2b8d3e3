"""domain/forgetnames: where the erased person's display name goes."""

from __future__ import annotations

import base64
import email
import email.policy

from maild.domain.forget import ERASED, PLACEHOLDER
from maild.domain.forgetnames import (
    names_pattern,
    scrub_mailboxes,
    scrub_names,
    usable_names,
    with_mailboxes_of,
)

WORD = b"=?utf-8?b?" + base64.b64encode("Иван Петров".encode()) + b"?="


def _field(block: bytes, name: str) -> str:
    return str(email.message_from_bytes(block + b"\r\n", policy=email.policy.default)[name])


def test_the_mailbox_of_the_placeholder_loses_its_name_and_the_others_keep_theirs():
    block = (
        b'Cc: "Petrov, Ivan" <forgotten@invalid>, ' + WORD + b" <olga@shop.ru>,\r\n"
        b" Team: " + WORD + b" <FORGOTTEN@invalid>;\r\n"
        b"From: " + WORD + b" <petr@shop.ru>\r\n"
        b"Subject: " + WORD + b" <forgotten@invalid>\r\n"
    )
    out = scrub_mailboxes(block)
    assert _field(out, "Cc") == (
        f'"{ERASED}" <{PLACEHOLDER}>, Иван Петров <olga@shop.ru>, Team: "{ERASED}" '
        f"<FORGOTTEN@invalid>;"
    )
    assert _field(out, "From") == "Иван Петров <petr@shop.ru>"  # a namesake's
    assert out.endswith(b"Subject: " + WORD + b" <forgotten@invalid>\r\n")  # no address field
    assert scrub_mailboxes(b"Cc: forgotten@invalid\r\n") == b"Cc: forgotten@invalid\r\n"


def test_a_name_of_two_words_goes_anywhere_one_of_one_word_only_beside_the_address():
    named = names_pattern(["Иван Петров", "  Иван ", "ivan@shop.ru", ""])
    text = (
        f"Иван  Петров писал. Иван Петрова нет. Иван зайдёт.\n"
        f'Иван <{PLACEHOLDER}>: ...\n"Иван" [mailto:{PLACEHOLDER}]\n'
    )
    out, n = scrub_names(text, named)
    assert out == (
        f"{ERASED} писал. Иван Петрова нет. Иван зайдёт.\n"
        f'{ERASED} <{PLACEHOLDER}>: ...\n"{ERASED}" [mailto:{PLACEHOLDER}]\n'
    )
    assert n == 3
    assert names_pattern([]) is None and scrub_names("Иван", None) == ("Иван", 0)
    assert usable_names(['"Иван  Петров"', "Иван Петров", ERASED, "x"]) == ["Иван Петров"]


def test_a_name_beside_anothers_address_in_a_text_stays_as_in_address_fields():
    """A company's name two people write under: beside another's address it names that
    one («ООО Ромашка <petr@...> писал:»), as a namesake's mailbox keeps it in an
    address field; beside the placeholder or in prose it goes."""
    named = names_pattern(["ООО Ромашка"])
    text = (
        "ООО Ромашка <petr@shop.ru> писал:\n"
        '"ООО  Ромашка" [mailto:petr@shop.ru]\n'
        f"ООО Ромашка <{PLACEHOLDER}> писал:\n"
        "Счёт от ООО Ромашка оплачен. ООО Ромашка <не адрес>\n"
    )
    out, n = scrub_names(text, named)
    assert out == (
        "ООО Ромашка <petr@shop.ru> писал:\n"
        '"ООО  Ромашка" [mailto:petr@shop.ru]\n'
        f"{ERASED} <{PLACEHOLDER}> писал:\n"
        f"Счёт от {ERASED} оплачен. {ERASED} <не адрес>\n"
    )
    assert n == 3


def test_address_fields_come_back_as_the_mailbox_scrub_left_them():
    block = b"From: " + WORD + b" <petr@shop.ru>\r\nSubject: " + WORD + b"\r\n"
    scrubbed = b"From: ERASED <petr@shop.ru>\r\nSubject: ERASED\r\n"
    assert with_mailboxes_of(block, scrubbed) == (
        b"From: " + WORD + b" <petr@shop.ru>\r\nSubject: ERASED\r\n"
    )


def test_a_name_goes_in_any_case_and_whole_not_a_shorter_one_of_theirs_inside_it():
    """A name is looked for in any case («ИВАН ПЕТРОВ» in a signature in capitals); of
    two names of theirs where one begins the other, the longer is erased whole (or
    «Сидоров» stays); a name at the end of a longer word (another's «Жанна Ли» for
    «Анна Ли») is another's and stays."""
    named = names_pattern(["Иван Петров", "Иван Петров Сидоров", "Анна Ли"])
    text = "ИВАН ПЕТРОВ. Иван Петров Сидоров писал. Жанна Ли, Анна Ли"
    assert scrub_names(text, named) == (
        f"{ERASED}. {ERASED} писал. Жанна Ли, {ERASED}",
        3,
    )


def test_a_comma_in_a_comment_or_a_quoted_pair_ends_no_mailbox():
    """The name before the placeholder goes whole: a comma inside a comment («(work,
    sales)») or after a quoted pair («\\"the, boss\\"») is part of it, not the end of
    a mailbox (or «Ivan (work,» stays); a mailbox without a name is given none."""
    erased = b"=?utf-8?b?" + base64.b64encode(ERASED.encode()) + b"?="
    tail = b" <forgotten@invalid>, olga@x.ru\r\n"
    assert scrub_mailboxes(b"Cc: Ivan (work, sales)" + tail) == b"Cc: " + erased + tail
    assert scrub_mailboxes(b'Cc: "Ivan \\"the, boss\\" P"' + tail) == b"Cc: " + erased + tail
    assert scrub_mailboxes(b"Cc: <forgotten@invalid>\r\n") == b"Cc: <forgotten@invalid>\r\n"


def test_a_colon_inside_a_quoted_name_makes_no_group():
    """«"Sales: Ivan" <forgotten@invalid>» is one quoted name, not the group «"Sales:»:
    the name goes whole, and no half of a quoted string is left to swallow the next
    mailbox (Cc would then read as one mangled name)."""
    out = scrub_mailboxes(b'Cc: "Sales: Ivan" <forgotten@invalid>, olga@x.ru\r\n')
    assert b"Sales" not in out and out.count(b'"') == 0
    assert _field(out, "Cc") == f'"{ERASED}" <{PLACEHOLDER}>, olga@x.ru'


def test_a_group_keeps_its_name_when_the_erased_name_holds_a_colon():
    """«Team: "Ivan: P" <forgotten@invalid>;»: the group's name ends at the first colon
    outside quotes, not the last: «Team:» was lost and the «;» that closes the group
    left alone, a field no parser reads as the group it was."""
    out = scrub_mailboxes(b'Cc: Team: "Ivan: P" <forgotten@invalid>;, olga@x.ru\r\n')
    assert b"Ivan" not in out
    assert _field(out, "Cc") == f'Team: "{ERASED}" <{PLACEHOLDER}>;, olga@x.ru'
    out = scrub_mailboxes(b"Cc: Team (a: b): Ivan <forgotten@invalid>;\r\n")
    assert out.startswith(b"Cc: Team (a: b): =?") and b"Ivan" not in out


def test_an_angle_bracket_in_a_comment_parts_no_mailboxes_less():
    """«olga@x.ru (a<b), Ivan <forgotten@invalid>»: the «<» inside Olga's comment opens
    no angle address, so the comma after it still parts the two mailboxes; read as one,
    Olga's address went with Ivan's name."""
    out = scrub_mailboxes(b"Cc: olga@x.ru (a<b), Ivan <forgotten@invalid>\r\n")
    assert out.startswith(b"Cc: olga@x.ru (a<b), =?") and b"Ivan" not in out
