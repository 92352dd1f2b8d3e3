"""Outgoing address, subject and id fields against the standard library's parser:
whatever render writes, `email.message_from_bytes(..., policy=email.policy.default)`
reads back every recipient, display name and the subject text."""

from __future__ import annotations

import email
import email.policy
import re
from email.errors import NonASCIILocalPartDefect, NonPrintableDefect
from email.header import decode_header, make_header

from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain.addresses import comparable_domain, getaddresses
from maild.mime import address_field, header_line, mailbox_field

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=120)
ATEXT = st.text("abcdefghijklmnopqrstuvwxyzABCZ0123456789!#$%&'*+/=?^_`{|}~-", min_size=1)
LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=20)
ADDRESS = st.builds(
    lambda local, domain: ".".join(local) + "@" + ".".join(domain),
    st.lists(ATEXT, min_size=1, max_size=3),
    st.lists(LABEL, min_size=1, max_size=3),
)


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw + b"\r\n", policy=email.policy.default)


def read_addresses(raw: bytes, name: str = "To") -> list[tuple[str, str]]:
    msg = parse(raw)
    assert msg.keys() == [name]  # no line break of a value started a field of its own
    # a name holding control characters reads back as given, with a note of them
    assert all(isinstance(d, NonPrintableDefect) for d in msg[name].defects)
    return [(a.display_name, a.addr_spec) for a in msg[name].addresses]


def one_line(display: str) -> str:
    """A display name as it reads back: a blank or line break and the whitespace
    after it are one space."""
    return re.sub(r"[ \t\r\n]\s*", " ", display)


def check_lines(raw: bytes) -> None:
    assert raw.isascii() and raw.endswith(b"\r\n")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_eighty_recipients_all_read_back():
    to = [f"c{i:03}@example.com" for i in range(80)]
    for raw in (header_line("To", ", ".join(to)), address_field("To", to)):
        assert read_addresses(raw) == [("", a) for a in to]
        assert max(len(line) for line in raw.split(b"\r\n")) <= 78


def test_every_named_recipient_reads_back():
    raw = header_line("To", "Иван <a@x.ru>, Пётр <b@y.ru>")
    assert read_addresses(raw) == [("Иван", "a@x.ru"), ("Пётр", "b@y.ru")]
    raw = address_field("Cc", ['"Smith, John" <j@x.org>', "Иван <a@x.ru>", "b@y.ru"])
    expected = [("Smith, John", "j@x.org"), ("Иван", "a@x.ru"), ("", "b@y.ru")]
    assert read_addresses(raw, "Cc") == expected


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(TEXT, ADDRESS), max_size=20))
def test_any_display_names_and_any_number_of_recipients_read_back(pairs):
    raw = mailbox_field("To", pairs)
    check_lines(raw)
    if pairs:
        assert read_addresses(raw) == [(one_line(d), a) for d, a in pairs]


NAMED = st.tuples(TEXT.map(one_line), ADDRESS)


def as_text(display: str, addr: str) -> str:
    """A recipient as text, the way a caller writes one into a To list."""
    if not display:
        return addr
    return '"' + display.replace("\\", "\\\\").replace('"', '\\"') + f'" <{addr}>'


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(NAMED, min_size=1, max_size=4), max_size=6))
def test_recipients_given_as_text_read_back(groups):
    """Entries as text, some of them comma-separated lists: each address once, in order."""
    entries = [", ".join(as_text(d, a) for d, a in group) for group in groups]
    raw = address_field("To", entries)
    check_lines(raw)
    expected = [(d, a) for group in groups for d, a in group]
    assert expected == [(n, a) for n, a in getaddresses(entries)]  # the test's own text form
    if expected:
        assert read_addresses(raw) == expected


def test_a_display_name_too_long_for_one_line_keeps_its_address_and_text():
    """Past ~700 UTF-8 octets a name is split into encoded words: RFC 2047 readers
    join them exactly (the stdlib's address parser puts a space at each split)."""
    display = "Общество с ограниченной ответственностью «Ромашка» " * 10
    raw = mailbox_field("To", [(display, "a@x.ru"), ("", "b@y.ru")])
    check_lines(raw)
    assert [a for _, a in read_addresses(raw)] == ["a@x.ru", "b@y.ru"]
    value = email.message_from_bytes(raw + b"\r\n")["To"]  # compat32: the raw value
    encoded = value.replace("\r\n", "").rpartition(" <a@x.ru>")[0]
    assert str(make_header(decode_header(encoded))) == display


def test_a_long_ascii_display_name_keeps_lines_within_998_octets():
    """A plain name longer than a line (a pasted signature as the From name) is
    encoded and split, not written as one line a relay refuses or cuts."""
    for display in ("Support " * 150, '"Support", ' * 120):
        raw = mailbox_field("To", [(display.strip(), "a@x.ru")])
        check_lines(raw)
        assert [a for _, a in read_addresses(raw)] == ["a@x.ru"]


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_any_subject_reads_back_exactly(subject):
    """Any text at all: blanks at the ends, tabs, line breaks, "=?"-lookalikes."""
    raw = header_line("Subject", subject)
    check_lines(raw)
    msg = parse(raw)
    assert msg.keys() == ["Subject"]
    assert str(msg["Subject"]) == subject


def test_subject_that_looks_like_an_encoded_word_is_not_decoded():
    subject = "Почему =?utf-8?q?x?= в теме? [TID#1234-5678]"
    for text in (subject, "plain =?utf-8?q?x?= text"):
        assert str(parse(header_line("Subject", text))["Subject"]) == text


def test_a_subject_longer_than_a_line_is_split_and_reads_back():
    """A pasted log line as the subject, with or without a bracket near its end, goes
    out in lines of at most 998 octets (RFC 5322 2.1.1), not refused or cut by a relay."""
    for subject in ("x" * 1200, "Ошибка [" + "x" * 1200 + "]", "a [" + "b" * 1200):
        raw = header_line("Subject", subject)
        check_lines(raw)
        assert str(parse(raw)["Subject"]) == subject


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_any_tid_field_reads_back_exactly(value):
    raw = header_line("X-Maild-TID", value)
    check_lines(raw)
    msg = parse(raw)
    assert msg.keys() == ["X-Maild-TID"]
    assert str(msg["X-Maild-TID"]) == value


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["In-Reply-To", "References"]), TEXT)
def test_an_id_field_reads_back_as_its_ascii_ids_never_encoded(name, value):
    """A customer's Message-ID of 8-bit characters («<1234@ПК-БУХГАЛТЕРИЯ>») went out
    as an RFC 2047 encoded word, which no client threads by (RFC 2047 5 forbids it)."""
    raw = header_line(name, value)
    if raw:  # none: the field is left out
        check_lines(raw)
    assert b"=?" not in raw
    ids = [i for i in value.split() if i.isascii() and "=?" not in i]
    msg = parse(raw)
    assert msg.keys() == ([name] if ids else [])
    assert str(msg[name]).split() == ids if ids else msg[name] is None


def test_long_references_fold_between_ids_and_read_back():
    ids = [f"<m{i:04}.{'x' * 30}@example.com>" for i in range(60)]
    raw = header_line("References", " ".join(ids))
    check_lines(raw)
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    assert b"=?" not in raw  # ids stay ids: never encoded words
    assert str(parse(raw)["References"]) == " ".join(ids)


@settings(max_examples=100, deadline=None)
@given(ADDRESS)
def test_bare_address_shortcut_agrees_with_the_parser(addr):
    assert address_field("To", [addr]) == mailbox_field("To", getaddresses([addr]))


# -- internationalized domains -----------------------------------------------------
_CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"
IDN_LABEL = st.text(_CYRILLIC + "abcxyz0123456789", min_size=1, max_size=20)
TLD = st.sampled_from(["рф", "РФ", "укр", "ru", "com"])
IDN_DOMAIN = st.builds(
    lambda labels, tld: ".".join([*labels, tld]), st.lists(IDN_LABEL, max_size=2), TLD
)
IDN_ADDRESS = st.builds(
    lambda local, domain: ".".join(local) + "@" + domain,
    st.lists(ATEXT, min_size=1, max_size=3),
    IDN_DOMAIN,
)
EAI_LOCAL = st.text(_CYRILLIC + "abc0123456789", min_size=1, max_size=15)
EAI_ADDRESS = st.builds(lambda local, domain: f"{local}@{domain}", EAI_LOCAL, IDN_DOMAIN)
ANY_ADDRESS = st.one_of(ADDRESS, IDN_ADDRESS, EAI_ADDRESS)


def read_utf8(raw: bytes, name: str = "To") -> list[tuple[str, str, str]]:
    """(display name, local part, domain) of each address, read as an SMTPUTF8 hop
    reads the field (UTF-8, RFC 6532); an ASCII field reads so as any other."""
    msg = email.message_from_string(raw.decode("utf-8") + "\r\n", policy=email.policy.default)
    assert msg.keys() == [name]
    allowed = (NonPrintableDefect, NonASCIILocalPartDefect)
    assert all(isinstance(d, allowed) for d in msg[name].defects), msg[name].defects
    return [(a.display_name, a.username, a.domain) for a in msg[name].addresses]


def same_mailbox(given: str, read: tuple[str, str, str]) -> bool:
    """The address read back is the one given: the local part as written, the domain
    as identification compares it (an A-label or the Unicode spelling alike)."""
    local, _at, domain = given.rpartition("@")
    return read[1] == local and comparable_domain(read[2]) == comparable_domain(domain)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(TEXT, ANY_ADDRESS), min_size=1, max_size=12), st.booleans())
def test_any_mix_of_ascii_and_cyrillic_domains_reads_back_as_the_same_mailboxes(pairs, as_text_):
    """boss@окна.рф went into To as 8-bit octets, which a relay without SMTPUTF8 must
    not carry (the envelope already had boss@xn--80atjc.xn--p1ai): an ASCII local part
    at an internationalized domain is written in A-labels, plain ASCII; only an address
    whose local part is not ASCII (иван@окна.рф) keeps UTF-8, having no other spelling."""
    if as_text_:
        raw = address_field("To", [as_text(one_line(d), a) for d, a in pairs])
    else:
        raw = mailbox_field("To", pairs)
    assert raw.endswith(b"\r\n") and max(len(x) for x in raw.split(b"\r\n")) <= 998
    eai = any(not a.rpartition("@")[0].isascii() for _d, a in pairs)
    assert raw.isascii() == (not eai)
    read = read_utf8(raw)
    assert [d for d, _l, _dom in read] == [one_line(d) for d, _a in pairs]
    assert all(same_mailbox(a, r) for (_d, a), r in zip(pairs, read, strict=True)), read
    for (_d, a), (_n, local, domain) in zip(pairs, read, strict=True):
        if local.isascii():  # the domain as the envelope names it
            assert domain == a.rpartition("@")[2].encode("idna").decode("ascii")


def test_a_cyrillic_domain_is_written_in_a_labels_and_a_name_stays_encoded():
    raw = address_field("To", ["Босс <boss@окна.рф>", "anna@магазин.рф", "иван@окна.рф"])
    assert (
        raw
        == (
            "To: =?utf-8?b?0JHQvtGB0YE=?= <boss@xn--80atjc.xn--p1ai>,\r\n"
            " anna@xn--80aairftm.xn--p1ai, иван@окна.рф\r\n"
        ).encode()
    )


def test_a_reply_to_at_a_cyrillic_domain_is_an_address_in_a_labels():
    """Reply-To is an address field as To is (the head's address on a staff answer's
    copy, staffmail): at a Cyrillic domain it goes in A-labels, never as an encoded
    word, which no client can reply to."""
    raw = header_line("Reply-To", "boss@окна.рф")
    assert raw == b"Reply-To: boss@xn--80atjc.xn--p1ai\r\n"
    assert read_addresses(raw, "Reply-To") == [("", "boss@xn--80atjc.xn--p1ai")]


def test_a_quote_in_a_display_name_adds_no_recipient():
    """A name of printable ASCII goes as a quoted string, its quotes and backslashes
    escaped: unescaped, the name «Boss" <evil@example.net>, "x» would end the string
    and put evil@example.net among the mail's recipients (a client's reply-all)."""
    for display in ('Boss" <evil@example.net>, "x', 'a\\" <evil@example.net>, "b'):
        raw = mailbox_field("To", [(display, "c@example.com")])
        check_lines(raw)
        assert read_addresses(raw) == [(display, "c@example.com")]


def test_a_subject_whose_last_bracket_holds_cyrillic_stays_ascii_on_the_wire():
    """Only an ASCII tail after the last " [" (the TID tag) is kept as written: a
    customer's «[TID#...] Ошибка [срочно]», whose tag is not last, goes all in encoded
    words, never as raw 8-bit octets in the header (a relay without SMTPUTF8)."""
    subject = "[TID#1234-5678] Ошибка входа [срочно]"
    raw = header_line("Subject", subject)
    check_lines(raw)
    assert str(parse(raw)["Subject"]) == subject


def test_a_display_name_that_looks_like_an_encoded_word_reads_back_as_written():
    """A name such as "=?utf-8?b?...?=" is itself encoded, else a client decodes it and
    shows staff another name than the one the customer gave."""
    for name in ("=?utf-8?b?0JjQstCw0L0=?=", "=?utf-8?q?Admin?="):
        assert read_addresses(mailbox_field("To", [(name, "a@x.ru")])) == [(name, "a@x.ru")]


def test_an_empty_entry_of_an_address_list_is_left_out():
    """A list "a, , b" (a customer's Cc) is written "a, b": an empty element is the
    obsolete syntax RFC 5322 4.4 says not to generate."""
    raw = address_field("Cc", ["a@x.ru, , b@x.ru", "c@x.ru,"])
    assert raw == b"Cc: a@x.ru, b@x.ru, c@x.ru\r\n"
    assert not parse(raw)["Cc"].defects
