"""A letter sent in parts (message/partial, RFC 2046 5.2.2): what a part is read as,
and how its parts are known (domain/partial.py)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain import partial
from maild.domain.forget import PLACEHOLDER
from maild.domain.message import parse, read_mail
from maild.fsck import held

DATA = Path(__file__).parent.parent / "data" / "partial"


def part(n: int) -> bytes:
    return (DATA / f"42_partial_{n}.eml").read_bytes()


def test_a_part_is_read_as_a_part_with_no_text_and_no_file():
    for n in (1, 2, 3):
        msg = parse(part(n))
        assert msg.fragment == partial.Fragment("oe-split-1@client.example", n, 3)
        assert msg.text == ""  # neither the first part's slice of text nor base64
        assert msg.attachments == ()  # the cut-off screen.png is no file received


def test_a_whole_mail_is_no_part():
    """Only message/partial is a part: a whole mail whose Content-Type carries the
    parameters of one (a client's own id, number) is read whole, its text kept."""
    raw = b"From: a@b.ru\r\nSubject: x\r\nContent-Type: text/plain\r\n\r\nHello\r\n"
    assert parse(raw).fragment is None
    raw = raw.replace(b"text/plain", b'text/plain; id="x"; number=1; total=2')
    assert parse(raw).fragment is None and parse(raw).text.strip() == "Hello"
    # a mail that is itself another mail (message/rfc822), forwarded whole: no part either
    inner = b"From: c@d.ru\r\nSubject: y\r\nContent-Type: text/plain\r\n\r\nInner\r\n"
    raw = b"From: a@b.ru\r\nSubject: x\r\nContent-Type: message/rfc822\r\n\r\n" + inner
    assert parse(raw).fragment is None and "Inner" in parse(raw).text


def test_a_part_without_total_or_with_nonsense_numbers():
    head = b'From: a@b.ru\r\nContent-Type: message/partial; id="x"; number=%s%s\r\n\r\nz\r\n'
    assert parse(head % (b"2", b"")).fragment == partial.Fragment("x", 2, None)
    assert parse(head % (b"zz", b"; total=0")).fragment == partial.Fragment("x", 1, None)
    assert parse(head % (b"5", b"; total=3")).fragment == partial.Fragment("x", 5, None)
    assert partial.fragment_of(read_mail(head % (b"1", b"; total=2"))[0]) == partial.Fragment(
        "x", 1, 2
    )


def test_a_part_numbered_past_what_int_reads_is_still_a_part():
    """A number or total of 5,000 figures (int() refuses past 4,300) was a ValueError:
    the mail was then read as no part, its slice of a letter as the customer's text."""
    head = b'From: a@b.ru\r\nContent-Type: message/partial; id="x"; number=%s%s\r\n\r\nz\r\n'
    big = b"9" * 5000
    assert parse(head % (big, b"; total=2")).fragment == partial.Fragment("x", 1, 2)
    assert parse(head % (b"2", b"; total=" + big)).fragment == partial.Fragment("x", 2, None)
    assert parse(head % (big, b"")).text == ""


def test_the_parts_of_one_letter_share_a_key_of_their_sender():
    one, two = partial.Fragment("<id@x>", 1, 3), partial.Fragment("<id@x>", 3, 3)
    key = partial.thread_key("ivan@shop-example.ru", one)
    assert key == partial.thread_key("Ivan@Shop-Example.ru", two)
    assert key != partial.thread_key("olga@shop-example.ru", one)  # another's: another
    assert key != partial.thread_key("ivan@shop-example.ru", partial.Fragment("<id2@x>", 1))
    assert key.startswith("<") and key.endswith(">")


def test_a_thread_holding_a_part_of_the_letter_has_seen_it():
    frag = partial.Fragment("<id@x>", 2, 3)
    messages = [{"text": "hi"}, {"fragment": partial.record_of(partial.Fragment("<id@x>", 1, 3))}]
    assert partial.seen(frag, messages)
    assert not partial.seen(partial.Fragment("<other@x>", 1), messages)
    assert not partial.seen(None, messages)
    assert partial.shown(frag) == {"number": 2, "total": 3}
    assert partial.shown(None) is None


def test_a_parts_record_names_the_key_it_was_indexed_under():
    frag = partial.Fragment("<id@x>", 2, 3)
    record = {"from": "ivan@shop-example.ru", "fragment": partial.record_of(frag)}
    assert partial.record_key(record) == partial.thread_key("ivan@shop-example.ru", frag)
    assert partial.record_key({"from": "ivan@shop-example.ru", "text": "hi"}) is None


def test_a_part_of_no_sender_leads_nowhere():
    """A part whose From gives no address opens a ticket no later mail may join
    (ticket.may_append): it is indexed under no key, which fsck would have no record
    to rebuild from and a purge none to remove by (it stayed in the index)."""
    frag = partial.Fragment("<id@x>", 1, 3)
    assert partial.parts_key("ivan@x.ru", frag) == partial.thread_key("ivan@x.ru", frag)
    assert partial.parts_key("", frag) is None
    assert partial.parts_key("ivan@x.ru", None) is None
    assert partial.record_key({"from": "", "fragment": partial.record_of(frag)}) is None


def test_fsck_knows_the_parts_key_of_a_received_part_only():
    """fsck rebuilds the key a part was indexed under from its thread record: of a
    received part (it has a spool_key), not once `maild forget` erased whose it was
    (the key was of the address), nor of mail maild sent."""
    frag = partial.Fragment("oe-split-1@client.example", 2, 3)
    part = {
        "message_id": "<p2@x>",
        "from": "Ivan@Shop-Example.ru",
        "spool_key": "k",
        "fragment": partial.record_of(frag),
    }
    assert held(part)[4] == partial.thread_key("ivan@shop-example.ru", frag)
    assert held({**part, "from": PLACEHOLDER})[4] is None
    sent = {k: v for k, v in part.items() if k != "spool_key"}
    assert held(sent)[4] is None and held({**part, "fragment": None})[4] is None


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=40).filter(lambda b: not set(b) & set(b'"\\\r\n')))
def test_an_id_of_any_bytes_is_text_the_store_can_write(ident: bytes):
    """An id in raw 8-bit bytes (`id="\\xbcx"`) was kept as lone surrogates: its key
    could not be made, nor its record written, and the part went to the raw-text
    fallback. Now it is text, the same for the same bytes."""
    head = b'From: a@b.ru\r\nContent-Type: message/partial; id="%s"; number=%s\r\n\r\nz\r\n'
    one, two = parse(head % (ident, b"1")).fragment, parse(head % (ident, b"2")).fragment
    assert one is not None and two is not None and one.id == two.id
    json.dumps(partial.record_of(one), ensure_ascii=False).encode()
    assert partial.thread_key("a@b.ru", one) == partial.thread_key("a@b.ru", two)


def test_an_8_bit_id_is_read_as_utf_8_where_it_is_one():
    head = 'From: a@b.ru\r\nContent-Type: message/partial; id="%s"; number=1\r\n\r\nz\r\n'
    assert parse((head % "письмо-1").encode()).fragment.id == "письмо-1"
    assert parse((head % "\udcbcx").encode("utf-8", "surrogateescape")).fragment.id == "\\xbcx"


def test_a_part_numbers_up_to_a_thousand_and_no_further():
    """MAX_PARTS: part 1000 of 1000 is one (the mail says «1000 из 1000»); a number past
    it is no mail client's and is read as none, so the part is the first."""
    head = b'From: a@b.ru\r\nContent-Type: message/partial; id="x"; number=%s%s\r\n\r\nz\r\n'
    assert parse(head % (b"1000", b"; total=1000")).fragment == partial.Fragment("x", 1000, 1000)
    assert parse(head % (b"1001", b"; total=1001")).fragment == partial.Fragment("x", 1, None)


def test_a_parts_id_is_kept_to_a_header_lines_length():
    """An id as long as a hostile header makes it is kept to 998 characters (a header
    line's most, RFC 5322) in every record of the thread, not whole."""
    head = b'From: a@b.ru\r\nContent-Type: message/partial; id="%s"; number=1\r\n\r\nz\r\n'
    fragment = parse(head % (b"x" * 5000)).fragment
    assert fragment is not None and fragment.id == "x" * 998
