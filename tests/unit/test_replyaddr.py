"""Unit tests for maild.domain.replyaddr: support+<tid>.<signature>@domain addresses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from maild.domain.replyaddr import (
    LIST_KEY,
    is_support_address,
    list_signed_for,
    list_tid_of_message_id,
    sign,
    sign_for,
    sign_list,
    sign_message_id,
    signed_epoch,
    signed_for,
    tid_of_message_id,
    verify,
)

SECRET = b"0123456789abcdef0123456789abcdef"
SUPPORT = "support@example.com"


def test_address_shape_and_signature() -> None:
    address = sign("4821-7730", SECRET, SUPPORT)
    digest = hmac.new(SECRET, b"4821-7730", hashlib.sha256).digest()
    expected_sig = base64.b32encode(digest).decode().lower().rstrip("=")[:10]
    assert address == f"support+4821-7730.{expected_sig}@example.com"
    assert re.fullmatch(r"support\+4821-7730\.[a-z2-7]{10}@example\.com", address)


def test_signature_is_deterministic_and_depends_on_tid_and_secret() -> None:
    a = sign("4821-7730", SECRET, SUPPORT)
    assert a == sign("4821-7730", SECRET, SUPPORT)
    assert a != sign("4821-7731", SECRET, SUPPORT)
    assert a != sign("4821-7730", b"another secret", SUPPORT)


def test_support_address_is_normalised() -> None:
    assert sign("4821-7730", SECRET, " Support@Example.COM ").endswith("@example.com")
    assert sign("4821-7730", SECRET, "Поддержка <support@example.com>").startswith("support+")


def test_verify_round_trip() -> None:
    address = sign("4821-7730", SECRET, SUPPORT)
    assert verify(address, SECRET, SUPPORT) == ("4821-7730", True)


def test_verify_is_case_insensitive() -> None:
    address = sign("4821-7730", SECRET, SUPPORT)
    assert verify(address.upper(), SECRET, "SUPPORT@EXAMPLE.COM") == ("4821-7730", True)


def test_verify_accepts_a_header_value_with_display_name() -> None:
    address = sign("4821-7730", SECRET, SUPPORT)
    assert verify(f'"Служба поддержки" <{address}>', SECRET, SUPPORT) == ("4821-7730", True)


def test_bad_signature_still_names_the_tid() -> None:
    assert verify("support+4821-7730.aaaaaaaaaa@example.com", SECRET, SUPPORT) == (
        "4821-7730",
        False,
    )


def test_signature_for_another_tid_does_not_verify() -> None:
    other_sig = sign("1111-2222", SECRET, SUPPORT).split(".")[1].split("@")[0]
    forged = f"support+4821-7730.{other_sig}@example.com"
    assert verify(forged, SECRET, SUPPORT) == ("4821-7730", False)


def test_wrong_secret_does_not_verify() -> None:
    address = sign("4821-7730", b"old secret", SUPPORT)
    assert verify(address, SECRET, SUPPORT) == ("4821-7730", False)


@pytest.mark.parametrize(
    "address",
    [
        "support+4821-7730@example.com",  # no signature
        "support+4821-7730.@example.com",  # empty signature
        "support+4821-7730.abc@example.com",  # truncated
    ],
)
def test_missing_or_short_signature(address: str) -> None:
    assert verify(address, SECRET, SUPPORT) == ("4821-7730", False)


def test_non_ascii_signature_does_not_raise() -> None:
    assert verify("support+4821-7730.пдпсь@example.com", SECRET, SUPPORT) == ("4821-7730", False)


@pytest.mark.parametrize(
    "address",
    [
        SUPPORT,
        "support+@example.com",
        "support+.abc@example.com",
        "sales+4821-7730.abcdefghij@example.com",
        "support+4821-7730.abcdefghij@example.org",
        "support+4821-7730.abcdefghij@sub.example.com",
        "supportx+4821-7730.abcdefghij@example.com",
        "ivan@example.ru",
        "",
        "не адрес",
    ],
)
def test_addresses_without_a_tid(address: str) -> None:
    assert verify(address, SECRET, SUPPORT) == (None, False)


def test_is_support_address() -> None:
    assert is_support_address(SUPPORT, SUPPORT)
    assert is_support_address("Support@Example.com", SUPPORT)
    assert is_support_address("Поддержка <support@example.com>", SUPPORT)
    assert is_support_address(sign("4821-7730", SECRET, SUPPORT), SUPPORT)
    assert is_support_address("support+anything@example.com", SUPPORT)
    assert is_support_address("support+@example.com", SUPPORT)
    assert not is_support_address("support@example.org", SUPPORT)
    assert not is_support_address("supports@example.com", SUPPORT)
    assert not is_support_address("support-1@example.com", SUPPORT)
    assert not is_support_address("ivan@example.com", SUPPORT)
    assert not is_support_address("", SUPPORT)


@pytest.mark.parametrize("tid", ["", "48 21", "4821@7730", "4821.7730", "4821+7730", "тид"])
def test_sign_refuses_a_tid_that_breaks_the_address(tid: str) -> None:
    with pytest.raises(ValueError, match="TID"):
        sign(tid, SECRET, SUPPORT)


@pytest.mark.parametrize("support", ["support", "support@", "@example.com"])
def test_a_support_address_without_local_part_or_domain_is_refused(support: str) -> None:
    with pytest.raises(ValueError, match="not an email address"):
        sign("4821-7730", SECRET, support)


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        sign("4821-7730", b"", SUPPORT)


def test_support_address_must_be_an_address() -> None:
    with pytest.raises(ValueError, match="support address"):
        sign("4821-7730", SECRET, "support")


_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
tids = st.builds(
    lambda first, rest: first + rest, st.sampled_from(_ALNUM), st.text(_ALNUM + "-_", max_size=20)
)
secrets = st.binary(min_size=1, max_size=64)


@settings(max_examples=60, deadline=None)
@given(tids, secrets)
def test_sign_verify_round_trips(tid: str, secret: bytes) -> None:
    address = sign(tid, secret, SUPPORT)
    assert verify(address, secret, SUPPORT) == (tid.lower(), True)
    assert verify(address.upper(), secret, SUPPORT) == (tid.lower(), True)
    assert is_support_address(address, SUPPORT)


@settings(max_examples=60, deadline=None)
@given(tids, secrets, st.text("abcdefghijklmnopqrstuvwxyz234567", min_size=1, max_size=12))
def test_tampered_signature_never_verifies(tid: str, secret: bytes, forged: str) -> None:
    address = sign(tid, secret, SUPPORT)
    local = address.split("@")[0]
    genuine = local.rsplit(".", 1)[1]
    assume(forged != genuine)
    tampered = f"{local.rsplit('.', 1)[0]}.{forged}@example.com"
    assert verify(tampered, secret, SUPPORT) == (tid.lower(), False)


@settings(max_examples=30, deadline=None)
@given(tids, secrets, secrets)
def test_other_secret_never_verifies(tid: str, secret: bytes, other: bytes) -> None:
    # HMAC pads short keys with zeros: b"k" and b"k\0" are the same key.
    assume(
        hmac.new(secret, b"", hashlib.sha256).digest()
        != hmac.new(other, b"", hashlib.sha256).digest()
    )
    assert verify(sign(tid, secret, SUPPORT), other, SUPPORT) == (tid.lower(), False)


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=60))
def test_verify_never_raises(address: str) -> None:
    tid, valid = verify(address, SECRET, SUPPORT)
    assert valid is False or tid is not None
    assert isinstance(is_support_address(address, SUPPORT), bool)


# -- signed Message-IDs of our own mail ------------------------------------------


def test_own_message_id_names_its_ticket():
    msgid = sign_message_id("a1b2c3", "4821-7730", SECRET, "example.com")
    assert msgid.startswith("<a1b2c3.4821-7730.") and msgid.endswith("@example.com>")
    assert tid_of_message_id(msgid, SECRET, "example.com") == "4821-7730"
    assert tid_of_message_id(f"  {msgid}\r\n", SECRET, "EXAMPLE.com") == "4821-7730"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda m: m.replace("4821-7730", "4821-7731"),  # another ticket, same signature
        lambda m: m.replace("a1b2c3", "a1b2c4"),  # another key
        lambda m: m.replace("@example.com", "@evil.example"),  # someone else's domain
        lambda m: m[: m.rindex(".")] + ".aaaaaaaaaa@example.com>",  # forged signature
        lambda m: m.replace(".", "", 1),  # no key
        lambda m: "<4821-7730@example.com>",  # the old, unsigned shape
    ],
)
def test_tampered_or_foreign_message_id_names_no_ticket(tamper):
    msgid = sign_message_id("a1b2c3", "4821-7730", SECRET, "example.com")
    assert tid_of_message_id(tamper(msgid), SECRET, "example.com") is None


def test_other_secret_does_not_verify():
    msgid = sign_message_id("a1b2c3", "4821-7730", SECRET, "example.com")
    assert tid_of_message_id(msgid, b"another secret", "example.com") is None


@settings(max_examples=300)
@given(st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True), st.binary(min_size=1))
def test_signature_is_the_head_of_the_whole_digest_in_base32(tid, secret) -> None:
    """Signatures are computed from the digest's first bytes only: they must be what
    base32 of the whole digest begins with, as the addresses already sent were made."""
    digest = hmac.new(secret, tid.encode(), hashlib.sha256).digest()
    whole = base64.b32encode(digest).decode().lower().rstrip("=")[:10]
    assert sign(tid, secret, SUPPORT) == f"support+{tid}.{whole}@example.com"


def test_a_lists_reply_address_is_no_tickets_and_proves_its_reader():
    """A list mail's Reply-To (sign_list) names its first ticket, but neither verify nor
    signed_for take it for that ticket's: a reply to it is on no ticket."""
    anna, boris = "anna@example.com", "boris@example.com"
    address = sign_list("4821-7730", anna, SECRET, SUPPORT)
    assert address.startswith("support+list.4821-7730.") and is_support_address(address, SUPPORT)
    assert list_signed_for(address, anna, SECRET, SUPPORT) == "4821-7730"
    assert list_signed_for(address.upper(), anna, SECRET, SUPPORT) == "4821-7730"
    assert list_signed_for(address, boris, SECRET, SUPPORT) is None  # another's copy
    assert verify(address, SECRET, SUPPORT) == (None, False)
    assert signed_for(address, anna, SECRET, SUPPORT) is None
    ticket = sign_for("4821-7730", anna, SECRET, SUPPORT)  # the line's address
    assert list_signed_for(ticket, anna, SECRET, SUPPORT) is None
    forged = ticket.replace("support+", "support+list.")  # a ticket's signature reused
    assert list_signed_for(forged, anna, SECRET, SUPPORT) is None


def test_a_lists_message_id_is_known_as_a_lists():
    domain = "example.com"
    listed = sign_message_id(LIST_KEY + "ab12", "4821-7730", SECRET, domain)
    assert list_tid_of_message_id(listed, SECRET, domain) == "4821-7730"
    assert tid_of_message_id(listed, SECRET, domain) == "4821-7730"  # a bounce still finds it
    other = sign_message_id("ab12", "4821-7730", SECRET, domain)
    assert list_tid_of_message_id(other, SECRET, domain) is None
    forged = other.replace("<", "<" + LIST_KEY, 1)  # a mail's signature under a list's key
    assert list_tid_of_message_id(forged, SECRET, domain) is None


def test_the_plus_addresses_delimiter_is_one_constant_that_readmes_postfix_setup_names(
    monkeypatch,
):
    """The `+` of support+<tid>.<sig>@ stood as four literals (sign, sign_for, sign_list,
    _plus_part): a delimiter changed in one made addresses the others did not read.
    One constant now makes and reads them all, and README's postfix setup
    (recipient_delimiter) names the same character."""
    from pathlib import Path

    from maild.domain import replyaddr

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"recipient_delimiter = {replyaddr.DELIMITER}\n" in readme
    monkeypatch.setattr(replyaddr, "DELIMITER", "=")
    person = "anna@example.com"
    ticket, signed = (
        sign("4821-7730", SECRET, SUPPORT),
        sign_for("4821-7730", person, SECRET, SUPPORT),
    )
    listed = sign_list("4821-7730", person, SECRET, SUPPORT)
    assert all(a.startswith("support=") for a in (ticket, signed, listed))
    assert verify(ticket, SECRET, SUPPORT) == ("4821-7730", True)
    assert signed_for(signed, person, SECRET, SUPPORT) == "4821-7730"
    assert list_signed_for(listed, person, SECRET, SUPPORT) == "4821-7730"
    assert is_support_address("support=x@example.com", SUPPORT)
    assert not is_support_address("support+x@example.com", SUPPORT)


# -- a support address at a Cyrillic (IDN) domain ---------------------------------

IDN_U, IDN_A = "support@поддержка.рф", "support@xn--80ahaefyxhn.xn--p1ai"
DOMAIN_U, DOMAIN_A = "поддержка.рф", "xn--80ahaefyxhn.xn--p1ai"


@pytest.mark.parametrize("support", [IDN_U, "Support@ПОДДЕРЖКА.рф"])
def test_an_idn_desk_signs_in_a_labels(support) -> None:
    """Its reply addresses and Message-IDs are ASCII, the domain in A-labels, when the
    config spells it in Unicode."""
    anna = "anna@example.com"
    for address in (
        sign("4821-7730", SECRET, support),
        sign_for("4821-7730", anna, SECRET, support),
        sign_list("4821-7730", anna, SECRET, support),
    ):
        assert address.startswith("support+") and address.endswith(f"@{DOMAIN_A}"), address
    msgid = sign_message_id("k1", "4821-7730", SECRET, support.rpartition("@")[2])
    assert msgid.isascii() and msgid.endswith(f"@{DOMAIN_A}>")


@pytest.mark.parametrize(("support", "spelling"), [(IDN_U, DOMAIN_A), (IDN_A, "ПОДДЕРЖКА.рф")])
def test_an_idn_desk_knows_its_own_addresses_in_either_spelling(support, spelling) -> None:
    """What comes back names the domain as the other side spelled it: an ordinary client
    in A-labels, an EAI client in Unicode. It is the desk's own either way."""
    anna = "anna@example.com"

    def respelled(address: str) -> str:
        return address.rpartition("@")[0] + "@" + spelling

    assert is_support_address(f"support@{spelling}", support)
    assert is_support_address(f"Support+anything@{spelling}", support)
    assert not is_support_address(f"other@{spelling}", support)
    assert not is_support_address("support@xn--80atjc.xn--p1ai", support)
    assert verify(respelled(sign("4821-7730", SECRET, support)), SECRET, support) == (
        "4821-7730",
        True,
    )
    signed = respelled(sign_for("4821-7730", anna, SECRET, support))
    assert signed_for(signed, anna, SECRET, support) == "4821-7730"
    listed = respelled(sign_list("4821-7730", anna, SECRET, support))
    assert list_signed_for(listed, anna, SECRET, support) == "4821-7730"
    own = support.rpartition("@")[2]
    msgid = sign_message_id("k1", "4821-7730", SECRET, own).replace(DOMAIN_A, spelling)
    assert tid_of_message_id(msgid, SECRET, own) == "4821-7730"
    listed_id = sign_message_id(LIST_KEY + "k1", "4821-7730", SECRET, own)
    assert list_tid_of_message_id(listed_id.replace(DOMAIN_A, spelling), SECRET, own) == "4821-7730"


def test_a_reply_from_the_other_spelling_of_the_domain_is_signed_for_the_same_person() -> None:
    """Our mail names boss@окна.рф as boss@xn--80atjc.xn--p1ai; he answers the address
    signed for the spelling the ticket keeps from either (what was sent stays valid)."""
    for kept, answers in [
        ("boss@окна.рф", "boss@xn--80atjc.xn--p1ai"),
        ("boss@xn--80atjc.xn--p1ai", "Boss@ОКНА.РФ"),
    ]:
        address = sign_for("4821-7730", kept, SECRET, SUPPORT)
        assert signed_for(address, answers, SECRET, SUPPORT) == "4821-7730"
        assert signed_for(address, "anna@xn--80atjc.xn--p1ai", SECRET, SUPPORT) is None
        assert signed_for(address, "boss@xn--80aairftm.xn--p1ai", SECRET, SUPPORT) is None
    # IDNA folds fullwidth «ｅxample.ru» into example.ru: another address (addresses._a_labels)
    address = sign_for("4821-7730", "ivan@example.ru", SECRET, SUPPORT)
    assert signed_for(address, "ivan@ｅxample.ru", SECRET, SUPPORT) is None


def test_a_reply_is_signed_for_the_spelling_a_ticket_keeps_of_its_person() -> None:
    """Kept as written (here with a decomposed й), the address the ticket signed is
    no U-label spelling IDNA gives back: the ticket's own spelling is tried too, and
    only for the person of the From."""
    kept = "boss@и\u0306од.рф"  # NFD: й as и and a combining breve
    address = sign_for("4821-7730", kept, SECRET, SUPPORT)
    answers = "boss@" + "йод.рф".encode("idna").decode()
    assert signed_for(address, answers, SECRET, SUPPORT) is None
    assert signed_for(address, answers, SECRET, SUPPORT, [kept]) == "4821-7730"
    other = "anna@" + "йод.рф".encode("idna").decode()
    assert signed_for(address, other, SECRET, SUPPORT, [kept]) is None


def test_a_lists_reply_address_proves_its_reader_in_either_spelling() -> None:
    """A list mailed to anna@поддержка.рф, answered from anna@xn--80ahaefyxhn.xn--p1ai
    (or the other way round): signed for her, as signed_for has it. It was taken for
    someone else's mail to her list address."""
    for listed, answers in [
        ("anna@поддержка.рф", "anna@xn--80ahaefyxhn.xn--p1ai"),
        ("anna@xn--80ahaefyxhn.xn--p1ai", "Anna@ПОДДЕРЖКА.РФ"),
    ]:
        address = sign_list("4821-7730", listed, SECRET, SUPPORT)
        assert list_signed_for(address, answers, SECRET, SUPPORT) == "4821-7730"
        assert list_signed_for(address, "boris@xn--80ahaefyxhn.xn--p1ai", SECRET, SUPPORT) is None
    address = sign_list("4821-7730", "anna@straße.de", SECRET, SUPPORT)
    assert list_signed_for(address, "anna@strasse.de", SECRET, SUPPORT) is None


# -- epochs: a person's address renewed once someone outside support saw it (leak) ----

people = st.sampled_from(["anna@example.com", "boris@example.com", "ivan@shop-example.ru"])
epochs = st.integers(min_value=0, max_value=10_000)


@given(tids, people, epochs, people, epochs)
def test_an_address_proves_its_person_and_epoch_alone(
    tid: str, person: str, epoch: int, other: str, other_epoch: int
) -> None:
    address = sign_for(tid, person, SECRET, SUPPORT, epoch)
    assert signed_epoch(address, person, SECRET, SUPPORT) == (tid.lower(), epoch)
    assert signed_for(address, person, SECRET, SUPPORT) == tid.lower()
    if (other, other_epoch) != (person, epoch):
        forged = sign_for(tid, other, SECRET, SUPPORT, other_epoch)
        assert forged != address
        assert signed_epoch(forged, person, SECRET, SUPPORT) in (None, (tid.lower(), other_epoch))
        assert signed_epoch(forged, person, SECRET, SUPPORT) != (tid.lower(), epoch)


def test_a_persons_address_of_epoch_0_is_signed_as_before_epochs_were() -> None:
    """Mail already sent carries addresses signed for a person before epochs were
    (the HMAC of "<tid>\\0<address>"): a reply to one still proves its sender, so epoch
    0 signs exactly so, with nothing of the epoch in what is signed."""
    address = sign_for("4821-7730", "anna@example.com", SECRET, SUPPORT)
    digest = hmac.new(SECRET, b"4821-7730\0anna@example.com", hashlib.sha256).digest()
    expected_sig = base64.b32encode(digest).decode().lower().rstrip("=")[:10]
    assert address == f"support+4821-7730.{expected_sig}@example.com"
    assert signed_epoch(address, "anna@example.com", SECRET, SUPPORT) == ("4821-7730", 0)


def test_epoch_0_is_the_address_as_before_and_a_later_one_names_its_epoch() -> None:
    assert sign_for("4821-7730", "anna@example.com", SECRET, SUPPORT, 0) == sign_for(
        "4821-7730", "anna@example.com", SECRET, SUPPORT
    )
    renewed = sign_for("4821-7730", "anna@example.com", SECRET, SUPPORT, 2)
    assert re.fullmatch(r"support\+4821-7730\.2\.[a-z2-7]{10}@example\.com", renewed)
    # the epoch is signed: the same signature under another epoch proves no one
    for forged in (renewed.replace(".2.", ".3."), renewed.replace(".2.", ".")):
        assert signed_epoch(forged, "anna@example.com", SECRET, SUPPORT) is None
    assert signed_epoch(renewed.replace(".2.", ".02."), "anna@example.com", SECRET, SUPPORT) is None
    # it names its ticket, as a person's address does, and is no ticket-wide one
    assert verify(renewed, SECRET, SUPPORT) == ("4821-7730", False)
    # a list's address is no ticket's of any epoch
    listed = sign_list("4821-7730", "anna@example.com", SECRET, SUPPORT)
    assert signed_epoch(listed, "anna@example.com", SECRET, SUPPORT) is None


def test_an_epoch_of_thousands_of_digits_is_no_address_of_ours() -> None:
    """int() reads no run of over 4,300 digits: such a plus part is simply not ours."""
    huge = f"support+4821-7730.{'1' * 4301}.abcdefghij@example.com"
    assert signed_epoch(huge, "anna@example.com", SECRET, SUPPORT) is None
    assert verify(huge, SECRET, SUPPORT) == (None, False)


def test_only_supports_own_people_answer_a_list_by_its_message_id() -> None:
    """listreply.list_reply: a staff member whose client ignores Reply-To answers a
    list by its Message-ID, and the reply is one to the list (kept, no ticket). An
    outsider's mail naming that Message-ID (a list forwarded to him) is his own mail to
    support: it opens his ticket, it is not kept in the quarantine with a staff member
    told of it."""
    from maild.domain.listreply import list_reply
    from tests.unit.test_decide import POLICY, STAFF, _msg

    listed = POLICY.list_message_id("ab12", "4821-7730")
    for sender, found in [(STAFF[0], ("4821-7730", STAFF[0])), ("ivan@shop-example.ru", ("", ""))]:
        msg = _msg(sender=sender, headers={"In-Reply-To": listed, "References": listed})
        assert list_reply(msg, POLICY, POLICY.internal) == found


def test_a_list_is_answered_in_cc_by_its_reader_or_threaded_by_in_reply_to_alone() -> None:
    """listreply.list_reply: the list's signed address counts in Cc as in To (a client
    replying to all), for its own reader even when no longer staff (a staff member
    removed from the config answering an old reminder), and a client that sends
    In-Reply-To without References threads to the list as well: each is a reply to the
    list, kept, never an answer on its first ticket that reaches that customer."""
    from maild.domain.listreply import list_reply
    from tests.unit.test_decide import POLICY, STAFF, _msg

    listed = POLICY.list_address("4821-7730", STAFF[0])
    in_cc = _msg(sender=STAFF[0], headers={"Cc": listed})
    assert list_reply(in_cc, POLICY, POLICY.internal) == ("4821-7730", STAFF[0])
    gone = "olga@example.com"  # a list went to her while she was staff
    theirs = _msg(sender=gone, to=POLICY.list_address("4821-7730", gone))
    assert list_reply(theirs, POLICY, POLICY.internal) == ("4821-7730", gone)
    message_id = POLICY.list_message_id("ab12", "4821-7730")
    threaded = _msg(sender=STAFF[0], headers={"In-Reply-To": message_id})
    assert list_reply(threaded, POLICY, POLICY.internal) == ("4821-7730", STAFF[0])
    # answering her own answer to the list: In-Reply-To names her mail, References the
    # list's (the subject still names the list's first ticket, whose customer must not
    # get it), after yesterday's list that one answered: the latest is the list meant
    own = "<her-answer@example.com>"
    refs = f"{POLICY.list_message_id('cd34', '1111-2222')} {message_id} {own}"
    again = _msg(sender=STAFF[0], headers={"In-Reply-To": own, "References": refs})
    assert list_reply(again, POLICY, POLICY.internal) == ("4821-7730", STAFF[0])


def test_a_reply_threaded_to_a_list_yet_sent_to_a_tickets_address_is_that_tickets() -> None:
    """listreply.list_reply: the list's notice tells staff to write to the address on
    the line of the ticket they mean; a client keeps the list's In-Reply-To when they
    do. Naming a ticket's own reply address, the mail is that ticket's (an answer its
    customer gets), not a reply to the list kept in the quarantine."""
    from maild.domain.listreply import list_reply
    from tests.unit.test_decide import POLICY, STAFF, _msg

    listed = POLICY.list_message_id("ab12", "4821-7730")
    ticket = POLICY.reply_address("1111-2222", STAFF[0])
    for to, cc in [(ticket, {}), (SUPPORT, {"Cc": ticket})]:
        msg = _msg(sender=STAFF[0], to=to, headers={"In-Reply-To": listed, **cc})
        assert list_reply(msg, POLICY, POLICY.internal) == ("", ""), to


def test_the_notice_of_a_reply_to_a_list_is_a_list_mail_itself_on_no_ticket() -> None:
    """listreply.decide_list_reply: the notice to whom the list went carries a list's
    kind of Message-ID (a client that ignores its Reply-To threads the next reply to
    the list again, never an answer on the list's first ticket, which its customer
    would get) and is kept in no ticket's thread: the first ticket is not the reply's."""
    from maild.domain.decide import decide
    from maild.domain.screen import screen
    from maild.domain.sender import identify
    from maild.domain.snapshot import Snapshot
    from tests.unit.test_decide import NOW, POLICY, STAFF, _msg

    msg = _msg(sender=STAFF[0], to=POLICY.list_address("4821-7730", STAFF[0]), body="Беру.")
    ident = identify(STAFF[0], [], [], NOW.date())
    snap = Snapshot("4821-7730", None, ident, True, list_to=STAFF[0])
    d = decide(snap, msg, screen(msg, SUPPORT), NOW, POLICY)
    [notice] = d.outgoing
    assert notice.to == [STAFF[0]] and notice.record is False and d.ticket is None
    sent_as = POLICY.message_id(notice.key, "4821-7730")
    assert list_tid_of_message_id(sent_as, POLICY.reply_secret, POLICY.domain) == "4821-7730"
