"""Whose mail a staff member's forward carries (forwards.forwarded_sender): the From
line under a forward's mark, as mail clients write it inline and as the desk writes
it over a message/rfc822 part; support's own addresses and quoted history are no
customer."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maild.domain.forwards import forwarded_sender, heading

OWN = frozenset({"anna@example.com", "support@example.com"})
MARKS = (
    "-------- Пересланное сообщение --------",
    "---------- Forwarded message ---------",
    "Begin forwarded message:",
    "-----Original Message-----",
    "________________________________",
)
FROMS = ("От: {name} <{addr}>", "From: {name} <{addr}>", "From: {name} [mailto:{addr}]")

local = st.from_regex(r"[a-z][a-z0-9._-]{0,15}[a-z0-9]", fullmatch=True)
domain = st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z]\.(ru|com|рф)", fullmatch=True)
names = st.text(st.sampled_from("Пётр Сидоров Ivan-"), max_size=20).map(str.strip)
prose = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)


@given(local, domain, names, st.sampled_from(MARKS), st.sampled_from(FROMS), prose)
def test_the_from_line_under_a_mark_is_the_customer(user, dom, name, mark, line, above):
    addr = f"{user}@{dom}"
    from_line = line.format(name=name or "Клиент", addr=addr.upper())
    text = f"{above}\n\n{mark}\nТема: Корзина\n{from_line}\nКому: anna@example.com\n\nТекст."
    found = forwarded_sender(text, OWN)
    assert found is not None and found[0] == addr


@given(prose)
def test_text_without_a_forward_names_no_one(text):
    assert forwarded_sender(text, OWN) is None  # never raises, names no one


def test_the_heading_over_an_attached_mail_is_read():
    text = "Коллеги, заведите." + heading([("От", "Пётр <petr@client-shop.ru>"), ("Тема", "x")])
    assert forwarded_sender(text, OWN) == ("petr@client-shop.ru", "Пётр")


def test_a_colleagues_forward_is_passed_over_for_the_customers_under_it():
    text = (
        "---------- Forwarded message ---------\nFrom: Анна <anna@example.com>\n\n"
        "-------- Пересланное сообщение --------\nОт: petr@client-shop.ru\n"
    )
    assert forwarded_sender(text, OWN) == ("petr@client-shop.ru", "")


@pytest.mark.parametrize("sender", ["Анна <anna@example.com>", "Анна Петрова"])
def test_only_the_first_from_line_under_a_mark_names_the_sender(sender):
    """A forward's header block names its sender once, on its first From line (here a
    colleague's, or a name without an address as Outlook writes one from its address
    book): a «From:» line a few lines below it is the forwarded mail's text, and the
    address on it is no customer a ticket is opened for."""
    text = (
        f"---------- Forwarded message ---------\nFrom: {sender}\n"
        "Subject: Заказ\nTo: support@example.com\n\n"
        "Письмо клиента пришло ко мне, в заголовке стоит\nFrom: petr@client-shop.ru\n"
    )
    assert forwarded_sender(text, OWN) is None


def test_quoted_history_and_a_mark_without_a_from_name_no_one():
    assert (
        forwarded_sender("> -------- Пересланное сообщение --------\n> От: p@x.ru\n", OWN) is None
    )
    assert forwarded_sender("-------- Пересланное сообщение --------\nТекст.\n", OWN) is None


# Her words above the mark, his text under its header block (staffforward.split)
words = st.lists(
    st.sampled_from(["Коллеги", "заведите", "обращение", "он", "VIP", "капризный"]), min_size=1
)
bodies = st.lists(
    st.sampled_from(["Анна", "у", "нас", "не", "работает", "корзина", "после", "обновления"])
)


@given(st.sampled_from(MARKS), st.sampled_from(FROMS), words, bodies, st.booleans())
def test_her_words_are_above_the_mark_his_text_under_its_fields(mark, line, said, body, blank):
    from maild.domain.staffforward import split

    ours, his = " ".join(said), " ".join(body)
    sender = line.format(name="Пётр", addr="petr@client.ru")
    gap = "\n" if blank else ""  # Apple Mail: an empty line under its mark
    text = f"{ours}\n\n{mark}\n{gap}{sender}\nТема: Корзина\nКому: Анна\n\n{his}\n"
    assert split(text, set(OWN)) == (ours, his, None)


def test_the_forwards_date_with_its_zone_is_when_he_wrote_it():
    from datetime import datetime, timedelta, timezone

    from maild.domain.staffforward import split

    head = "-------- Пересланное сообщение --------\nОт: Пётр <petr@client.ru>\n"
    dated = f"Вот.\n{head}Дата: Mon, 30 Nov 2026 09:15:00 +0300\n\nТекст\n"
    zone = timezone(timedelta(hours=3))
    assert split(dated, set(OWN)) == ("Вот.", "Текст", datetime(2026, 11, 30, 9, 15, tzinfo=zone))
    gmail = f"{head}Date: Mon, Nov 30, 2026 at 9:15 AM\n\nТекст\n"  # no zone: none
    assert split(gmail, set(OWN)) == ("", "Текст", None)


def test_his_first_line_right_under_the_fields_is_his_text_not_a_field():
    """A forward pasted by hand, no empty line under its fields: his first line, a
    sentence with a colon far into it, is his text (a field's name is short), never
    taken for a field and lost from the ticket."""
    from maild.domain.staffforward import split

    head = "-------- Пересланное сообщение --------\nОт: Пётр <petr@client.ru>\nТема: Корзина\n"
    his = "Посмотрите пожалуйста что происходит с корзиной после обновления: ошибка 500"
    assert split(f"{head}{his}\n", set(OWN)) == ("", his, None)
