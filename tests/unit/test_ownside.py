"""domain.ownside: support's staff, its own people (staff and the head) and its own
addresses, each an address in any spelling: case, a domain in U-labels or A-labels."""

from __future__ import annotations

from maild.domain.forwards import forwarded_sender
from maild.domain.ownside import (
    OwnAddresses,
    People,
    is_internal,
    no_asker,
    no_customer,
    own_side,
    staff_side,
)

SUPPORT = "support@s.ru"
ANNA, ACE_ANNA = "anna@поддержка.рф", "anna@xn--80ahaefyxhn.xn--p1ai"
HEAD = "head@s.ru"


def test_support_side_is_staff_the_head_and_supports_addresses():
    own = own_side(["anna@s.ru"], HEAD)
    for address in ("anna@s.ru", "head@s.ru", "support@s.ru", "support+1234-5678.x@s.ru"):
        assert is_internal(address, SUPPORT, own), address
    assert not is_internal("ivan@x.ru", SUPPORT, own)
    assert not is_internal(HEAD, SUPPORT, own_side(["anna@s.ru"], None))  # no head


def test_each_notion_takes_an_address_in_any_spelling():
    for spelt in (ANNA, ACE_ANNA, ACE_ANNA.upper(), "Anna@Поддержка.РФ"):
        assert spelt in staff_side([ANNA]), spelt
        assert spelt in staff_side([ACE_ANNA.upper()]), spelt
        assert spelt in own_side([], ANNA), spelt  # the head's
        assert is_internal(spelt, SUPPORT, [ACE_ANNA]), spelt
    assert "anna@поддержка.рус" not in own_side([ANNA], HEAD)  # another domain
    assert HEAD not in staff_side([ANNA])  # the head is no staff member
    assert HEAD in own_side([ANNA], HEAD)


def test_people_in_config_order_and_spelling_each_once():
    people = own_side([ANNA, "boris@s.ru", ACE_ANNA], "BORIS@s.ru")
    assert list(people) == [ANNA, "boris@s.ru"] and len(people) == 2
    assert people.holds([ACE_ANNA, "Boris@S.ru"]) and people.holds([])
    assert not people.holds([ACE_ANNA, "ivan@x.ru"])
    assert People([ACE_ANNA]) == People([ANNA]) != People(["boris@s.ru"])


def test_no_one_asks_on_the_site_from_supports_plus_tags_or_role_mailboxes():
    """«Задать вопрос» mailed its link to anna+x@ (anna's mailbox) and to postmaster@
    and mailer-daemon@ of support's own domain; a customer's role mailbox is theirs."""
    own = own_side(["anna@s.ru", ANNA], HEAD)
    ours = ("anna+x@s.ru", "Anna+Tag@S.RU", "anna+1@xn--80ahaefyxhn.xn--p1ai", "head+a@s.ru")
    roles = ("postmaster@s.ru", "mailer-daemon@s.ru", "abuse@s.ru", "noreply@s.ru")
    for address in (*ours, *roles, "support@s.ru", "support+x@s.ru", "anna@s.ru"):
        assert no_asker(address, SUPPORT, own), address
    for address in ("ivan@x.ru", "postmaster@x.ru", "ivan+a@s.ru", "anna.b@s.ru", "annax@s.ru"):
        assert not no_asker(address, SUPPORT, own), address


def test_a_role_mailbox_is_supports_in_either_spelling_and_with_a_plus_tag():
    """A role mailbox of support's domain asks nothing whatever its spelling: support
    written in A-labels and abuse@ in U-labels or capitals (a staff member's forward
    carries the customer's spelling), or abuse+site@ (the tag cut before the role is
    read); the site would mail a confirmation link to the desk's own abuse@ mailbox.
    The same role of another domain is a customer's."""
    idn = "support@xn--80ahaefyxhn.xn--p1ai"  # support@поддержка.рф
    for address in ("postmaster@поддержка.рф", "abuse@ПОДДЕРЖКА.РФ"):
        assert no_asker(address, idn, []), address
    for address in ("abuse+site@s.ru", "webmaster+x@s.ru", "Abuse+X@S.RU"):
        assert no_asker(address, SUPPORT, []), address
    assert not no_asker("abuse+site@x.ru", SUPPORT, [])


def test_no_ticket_is_a_robots_or_support_sides_as_its_customer():
    """A staff member's forward of a bounce (MAILER-DAEMON@ of any domain) or of her
    colleague's plus-address names no customer; a customer's role mailbox may."""
    own = own_side(["anna@s.ru"], HEAD)
    for address in ("MAILER-DAEMON@mx.x.ru", "noreply@x.ru", "anna+home@s.ru", "postmaster@s.ru"):
        assert no_customer(address, SUPPORT, own), address
    for address in ("ivan@x.ru", "abuse@x.ru", "ivan+a@s.ru"):
        assert not no_customer(address, SUPPORT, own), address


def test_a_forward_from_supports_side_is_passed_over_for_the_customers_under_it():
    text = (
        "-------- Пересланное сообщение --------\nОт: <anna+home@s.ru>\n\n"
        "-------- Пересланное сообщение --------\nОт: <support+x@s.ru>\n\n"
        "-------- Пересланное сообщение --------\nОт: Пётр <petr@x.ru>\n"
    )
    own = OwnAddresses(SUPPORT, own_side(["anna@s.ru"], HEAD))
    assert forwarded_sender(text, own) == ("petr@x.ru", "Пётр")
