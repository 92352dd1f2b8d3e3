"""Which registered licenses a customer's mail names by key (domain/licensekeys.py):
whole tokens, any case, the key's characters in a row; linear on hostile texts; and
what staff and the customer are told of a license whose addresses miss the sender."""

from __future__ import annotations

import subprocess
import time
from datetime import date

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from maild.domain.licensekeys import (
    MAX_NAMED,
    add_command,
    license_ctx,
    mentions_license,
    named_licenses,
    not_on,
    whole_at,
)
from maild.domain.sender import License
from tests.examples import examples

ADV = License("ADV-1", "vip", ("petr@shop.ru",), None, "ООО Шоп")
TODAY = date(2026, 12, 5)


def keys(text: str, *licenses: License, subject: str = "") -> list[str]:
    return [lic.key for lic in named_licenses((subject, text), licenses or (ADV,))]


@pytest.mark.parametrize(
    "text",
    [
        "Номер лицензии ADV-1, пишу с личного адреса",
        "ключ adv-1",
        "лицензия: «ADV-1».",
        "(ADV-1)",
        "ADV-1",
        "Ключ — Adv-1!\nСпасибо",
        "номер:ADV-1/",
        "-ADV-1",  # a list's dash at the text's start: no word goes on before it
        "Ключ: .ADV-1",
    ],
)
def test_a_key_named_as_a_whole_token_in_any_case_is_found(text: str) -> None:
    assert keys(text) == ["ADV-1"]


@pytest.mark.parametrize(
    "text",
    [
        "ADV-10",
        "XADV-1",
        "ADV-1-2",
        "ADV-1.5",
        "ADV_1",
        "ADV–1",  # an en dash: not the key's own character
        "A D V-1",
        "ADV -1",
        "ADV\u00ad-1",  # a soft hyphen between its characters
        "ADV-1x",
        "2ADV-1",
        "X-ADV-1",
        "",
    ],
)
def test_a_key_inside_a_longer_token_or_spread_apart_is_not_found(text: str) -> None:
    assert keys(text) == []


def test_the_subject_names_a_key_too() -> None:
    assert keys("Помогите", subject="Re: лицензия ADV-1 [TID#1234-5678]") == ["ADV-1"]


def test_a_key_with_spaces_or_signs_is_found_as_stored() -> None:
    """`license add --key` stores any text: its first token is looked up, the rest
    compared in place."""
    spaced = License("ЛИЦ 2026 / 7", "standard", ("a@b.ru",))
    hashed = License("#42", "operative", ("c@d.ru",))
    assert keys("наша лиц 2026 / 7 и #42.", spaced, hashed) == ["ЛИЦ 2026 / 7", "#42"]
    assert keys("лиц 2026/7 и x#42", spaced, hashed) == []
    assert keys("x-#42 и x.#42", hashed) == []  # a word and a connector before: longer
    padded = License(" ADV-7 ", "vip", ("a@b.ru",))  # blanks a hand-edited entry kept
    assert keys("ключ ADV-7.", padded) == [" ADV-7 "]


def test_licenses_come_in_the_order_named_each_once_at_most_max_named() -> None:
    many = [License(f"K-{i}", "vip", (f"u{i}@x.ru",)) for i in range(MAX_NAMED + 5)]
    text = " ".join(f"k-{i}" for i in reversed(range(len(many)))) + " K-3 K-3"
    found = keys(text, *many)
    assert found == [f"K-{i}" for i in reversed(range(5, len(many)))]
    assert keys("K-2 и K-1", *many[:3]) == ["K-2", "K-1"]


def test_a_key_of_no_word_character_names_nothing() -> None:
    assert keys("--- ... ---", License("---", "vip", ("a@b.ru",))) == []


def brute_force(text: str, key: str) -> bool:
    """The definition, position by position."""
    key = key.strip()
    return any(whole_at(text, i, key) for i in range(len(text)))


KEYISH = st.text(alphabet="aAдД1-./ _#\u00ad", max_size=8)


@settings(max_examples=examples(300), deadline=None)
@given(text=st.text(max_size=200), key=st.text(max_size=12))
@example(text="a-b", key="a-")
@example(text="İx", key="i̇x")
def test_any_text_and_key_never_raise(text: str, key: str) -> None:
    named_licenses((text, text), [License(key, "vip", ("a@b.ru",))])


@settings(max_examples=examples(500), deadline=None)
@given(text=st.text(alphabet="aAдД1-./ _#\u00ad", max_size=60), key=KEYISH)
@example(text="x a-1 y", key="a-1")
@example(text="a.-1", key="-1")
def test_a_key_is_found_where_it_stands_whole(text: str, key: str) -> None:
    """The lookup of the key's first token finds what a check of every place finds
    (for a key with a word character: one without names nothing)."""
    lic = License(key, "vip", ("a@b.ru",))
    found = named_licenses((text,), [lic]) == (lic,)
    has_word = any(c.isalnum() or c == "_" for c in key)
    assert found == (has_word and brute_force(text, key)), (text, key)


@pytest.mark.parametrize(
    "text",
    [
        "ADV-1 " * 200_000,  # the key's first token everywhere, a whole key each time
        "ADV-1-" * 200_000 + "x",  # one token of a megabyte
        "ADV " * 300_000,  # the first token of many keys, none whole
        "a-" * 500_000,
        "\u00ad" * 1_000_000,
    ],
)
def test_huge_texts_cost_linear_time(text: str) -> None:
    """A megabyte of hostile text and a thousand keys sharing a first token: one pass,
    each key's places checked at most MAX_HITS times."""
    registry = [License(f"ADV {i}", "vip", (f"u{i}@x.ru",)) for i in range(1000)]
    started = time.process_time()
    named_licenses((text, text), [*registry, ADV])
    assert time.process_time() - started < 3


def test_the_cost_grows_with_the_text_not_faster() -> None:
    registry = [License(f"ADV {i}", "vip", (f"u{i}@x.ru",)) for i in range(300)]

    def cost(n: int) -> float:
        text = "ADV ADV-1-x a-b " * n
        started = time.process_time()
        named_licenses((text,), registry)
        return time.process_time() - started

    small, big = cost(20_000), cost(80_000)
    assert big < 8 * small + 0.05


def test_not_on_keeps_the_licenses_whose_addresses_miss_the_sender() -> None:
    idn = License("RF-1", "vip", ("boss@окна.рф",))
    assert not_on([ADV, idn], "PETR@shop.ru") == [idn]
    assert not_on([ADV, idn], "boss@xn--80atjc.xn--p1ai") == [ADV]


def test_the_admins_command_keeps_every_address_term_and_name() -> None:
    lic = License("ADV 1", "vip", ("petr@shop.ru", "it@shop.ru"), date(2027, 6, 30), 'ООО "Шоп"')
    assert add_command(lic, "petr@gmail.com") == (
        'maild license add --key "ADV 1" --level vip --email petr@shop.ru --email it@shop.ru'
        ' --email petr@gmail.com --until 2027-06-30 --name "ООО \\"Шоп\\""'
    )


def test_the_senders_address_in_the_admins_command_runs_nothing_in_a_shell(tmp_path) -> None:
    """The address added is the sender's, the customer's own choice ("$(...)"@x is a
    valid address), and staff paste the command into a shell: bash reads each word
    back as written, `$` and backticks included, and runs nothing of it."""
    pwned = tmp_path / "pwned"
    hostile = f'"$(touch {pwned}); `touch {pwned}`; ${{HOME}}"@evil.example'
    name = 'ООО "Шоп" $HOME `id`'
    line = add_command(License("ADV-1", "vip", ("petr@shop.ru",), None, name), hostile)
    assert line.startswith("maild license add ")
    argv = line.removeprefix("maild ")
    shell = subprocess.run(
        ["bash", "-c", f"printf '%s\\n' {argv}"], capture_output=True, text=True, cwd=tmp_path
    )
    assert not pwned.exists() and list(tmp_path.iterdir()) == []
    assert shell.returncode == 0, shell.stderr
    read = shell.stdout.splitlines()
    assert read[read.index("--email", 7) + 1] == hostile
    assert read[-2:] == ["--name", name]


def test_a_license_is_valid_through_its_last_day() -> None:
    """`until` is the license's last day: on it staff are told it is valid and may
    add the address; the next day it is expired."""
    lic = License("ADV-1", "vip", ("petr@shop.ru",), TODAY, "")
    [shown] = license_ctx([lic], "ivan@gmail.com", "free", TODAY, True)["licenses_named"]
    assert not shown["expired"] and shown["actionable"]
    later = date.fromordinal(TODAY.toordinal() + 1)
    [shown] = license_ctx([lic], "ivan@gmail.com", "free", later, True)["licenses_named"]
    assert shown["expired"] and not shown["actionable"]


def test_staff_are_told_of_a_license_named_the_customer_that_staff_check_it() -> None:
    c = license_ctx([ADV], "petr@gmail.com", "free", TODAY, True)
    [lic] = c["licenses_named"]
    assert (lic["key"], lic["level_id"], lic["emails"]) == ("ADV-1", "vip", ["petr@shop.ru"])
    assert lic["actionable"] and not lic["expired"] and not lic["same_domain"]
    assert "--email petr@gmail.com" in lic["command"]
    assert c["license_check"] and c["license_sender"] == "petr@gmail.com"


def test_nothing_is_said_when_the_sender_is_on_the_license() -> None:
    c = license_ctx([ADV], "Petr@Shop.ru", "vip", TODAY, True)
    assert c["licenses_named"] == [] and not c["license_check"]


def test_an_expired_or_free_license_is_named_with_nothing_to_do() -> None:
    old = License("OLD-1", "vip", ("it@shop.ru",), date(2026, 1, 1))
    free = License("FREE-1", "free", ("it@shop.ru",))
    c = license_ctx([old, free], "boss@shop.ru", "free", TODAY, True)
    assert [(x["expired"], x["actionable"]) for x in c["licenses_named"]] == [
        (True, False),
        (False, False),
    ]
    assert c["licenses_named"][0]["until"] == "01.01.2026"
    assert all(x["same_domain"] for x in c["licenses_named"])


def test_a_commercial_ticket_tells_staff_alone() -> None:
    """The customer's level is commercial already (a group): nothing to check for them."""
    c = license_ctx([ADV], "it@partner.ru", "partner", TODAY, True)
    assert len(c["licenses_named"]) == 1 and not c["license_check"]


def test_the_customer_is_told_the_same_whether_or_not_a_key_is_registered() -> None:
    """What the customer reads may not tell a registered key from another: anyone
    could try keys by mail. It follows whether the mail speaks of a license."""
    registered = license_ctx([ADV], "petr@gmail.com", "free", TODAY, True)
    unknown = license_ctx([], "petr@gmail.com", "free", TODAY, True)
    assert registered["license_check"] and unknown["license_check"]
    assert not license_ctx([ADV], "petr@gmail.com", "free", TODAY, False)["license_check"]
    assert mentions_license(["Re: вопрос", "Номер ЛИЦЕНЗИИ XYZ-9"])
    assert mentions_license(["Our licence key"]) and mentions_license(["License: K"])
    assert not mentions_license(["Не работает корзина", ""])
