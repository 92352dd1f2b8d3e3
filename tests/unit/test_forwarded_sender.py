"""Whose mail a staff member's forward carries (forwards.forwarded_sender): the From
line under a forward's mark, as mail clients write it inline and as the desk writes
it over a message/rfc822 part; support's own addresses and quoted history are no
customer."""

from __future__ import annotations

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
    found = forwarded_sender(text, OWN)
    assert found is None or found[0] not in OWN  # never raises, never support's own


def test_the_heading_over_an_attached_mail_is_read():
    text = "Коллеги, заведите." + heading([("От", "Пётр <petr@client-shop.ru>"), ("Тема", "x")])
    assert forwarded_sender(text, OWN) == ("petr@client-shop.ru", "Пётр")


def test_a_colleagues_forward_is_passed_over_for_the_customers_under_it():
    text = (
        "---------- Forwarded message ---------\nFrom: Анна <anna@example.com>\n\n"
        "-------- Пересланное сообщение --------\nОт: petr@client-shop.ru\n"
    )
    assert forwarded_sender(text, OWN) == ("petr@client-shop.ru", "")


def test_quoted_history_and_a_mark_without_a_from_name_no_one():
    assert (
        forwarded_sender("> -------- Пересланное сообщение --------\n> От: p@x.ru\n", OWN) is None
    )
    assert forwarded_sender("-------- Пересланное сообщение --------\nТекст.\n", OWN) is None
