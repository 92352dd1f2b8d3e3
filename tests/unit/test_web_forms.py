"""maild.web.forms: what a posted form becomes in the spool."""

from __future__ import annotations

import email
import email.policy
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict

from maild.domain.message import parse
from maild.web.forms import (
    MAX_TEXT,
    Upload,
    clean_line,
    clean_text,
    compose,
    content_digest,
    sent_just_now,
    uploads,
)
from maild.web.visitors import limit_key


def _composed(**kw: Any) -> tuple[bytes, str]:
    """The request mail the «Задать вопрос» form makes, and its Message-ID: Иван's
    question to support@example.com, but what `kw` gives otherwise."""
    form = {"support": "support@example.com", "from_addr": "ivan@client.example",
            "from_name": "Иван", "subject": "Вопрос", "text": "Текст", "files": [],
            "nonce": "0123abcd", "now": datetime(2026, 11, 25, tzinfo=UTC)}  # fmt: skip
    return compose(**{**form, **kw})


def _request(address: str, name: str) -> bytes:
    """The request mail the «Задать вопрос» form makes for this address and name."""
    return _composed(from_addr=address, from_name=name)[0]


@pytest.mark.parametrize(
    "name",
    [
        'Мария "Q" <evil@attacker.example>, x Bcc: victim@x.example',
        "Мария <evil@attacker.example>",
        "Ivan <lic@corp.example>",
        "Пётр, Иванович",
        "=?utf-8?q?anna=40example.com?= <evil@attacker.example>",
    ],
)
def test_the_name_typed_in_the_form_never_becomes_another_mailbox(name):
    raw = _request("maria@client.example", name)
    assert parse(raw).from_addr == "maria@client.example"
    [only] = email.message_from_bytes(raw, policy=email.policy.default)["From"].addresses
    assert only.addr_spec == "maria@client.example"


def test_an_address_that_cannot_carry_a_name_goes_without_it():
    # an obsolete local part (RFC 5322 4.4) that mail may bring and Address refuses
    raw = _request("a..b@client.example", "Иван <x@evil.example>")
    assert parse(raw).from_addr == "a..b@client.example"


@pytest.mark.parametrize(
    ("ip", "key"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("2001:db8:1:2:a:b:c:d", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:203.0.113.5", "203.0.113.5"),  # an IPv4 client of a dual-stack socket
        ("unknown", "unknown"),
    ],
)
def test_the_per_ip_limit_counts_an_ipv6_network_not_each_address(ip, key):
    assert limit_key(ip) == key


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("10\u00a0000\u202fруб.\u2009т.\u3000е.", "10\u00a0000\u202fруб.\u2009т.\u3000е."),
        ("\U0001f469\u200d\U0001f4bb \u2764\ufe0f \U0001fae8", None),  # ZWJ, VS16, Unicode 15
        ("a\r\nb\rc\u2028d\u2029e\x85f\x0cg", "a\nb\nc\nd\ne\nf\ng"),  # all breaks "\n"
        ("\tотступ", None),
        ("\x1b[1mжирный\x00\x7f\x9b", "[1mжирный"),  # controls, C0 and C1
        ("счёт\u202egpj.exe\u2066x\u2069", "счётgpj.exex"),  # bidi: shown other than it reads
        ("па\u00adро\u200bль\ufeff", "пароль"),  # invisible, hiding a word from search
        ("bad \ud800 surrogate", "bad  surrogate"),
    ],
)
def test_a_text_arrives_as_typed_but_for_controls_and_invisible_marks(typed, kept):
    assert clean_text(typed) == (typed if kept is None else kept)


def test_a_line_has_plain_single_spaces_and_no_breaks():
    assert clean_line("  Иван\u00a0\u00a0Петров\r\nBcc: x@y\u2028z ", 100) == (
        "Иван Петров Bcc: x@y z"
    )
    assert clean_line("\U0001f468\u200d\U0001f469 Семья", 100) == "\U0001f468\u200d\U0001f469 Семья"
    assert clean_line("я" * 300, 100) == "я" * 100


def test_a_field_is_cut_before_it_is_read_but_a_whole_text_stays_whole():
    """A text up to the textarea's maxlength arrives whole though the browser sends its
    line breaks as CRLF; of a longer field only the start is read (a cap on memory)."""
    log = "строка лога\r\n" * (MAX_TEXT // 12)
    assert clean_text(log) == log.replace("\r\n", "\n")[:MAX_TEXT]
    assert len(clean_text(log)) == MAX_TEXT - MAX_TEXT % 12
    assert clean_text("ж" * (20 * MAX_TEXT)) == "ж" * MAX_TEXT


def test_a_post_to_a_desk_at_a_cyrillic_domain_names_it_in_a_labels():
    """support@поддержка.рф: the post's To and Message-ID hold the domain in A-labels.
    The email package refused to write it in Unicode (UnicodeEncodeError): no post of
    the site reached such a desk."""
    raw, message_id = _composed(support="support@поддержка.рф", from_addr="ivan@x.ru")
    assert message_id == "<web.0123abcd@xn--80ahaefyxhn.xn--p1ai>"
    msg = parse(raw)
    assert msg.to == ("support@xn--80ahaefyxhn.xn--p1ai",) and msg.message_id == message_id


def _said(sender: str, at: datetime, files: tuple[tuple[str, int], ...] = ()) -> dict:
    """A customer's message «Спасибо» in the ticket, as the store keeps it."""
    attached = [{"filename": name, "size": size} for name, size in files]
    return {"kind": "customer", "from": sender, "received_at": at.isoformat(),
            "text": "Спасибо", "attachments": attached}  # fmt: skip


def test_only_the_same_reply_of_the_same_customer_just_now_is_taken_for_sent_twice():
    """Sent again (back, «Отправить» once more) the same reply of the same customer
    within 15 minutes is not sent a second time; any other is a reply of its own and
    goes: the same words of another customer of the ticket (a Cc participant thanking
    too), the same words after 15 minutes, or with another file (a second screenshot
    under the same words). Each of those, taken for sent twice, was dropped while the
    page said it was added."""
    now = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    png = Upload("экран.png", "image/png", b"x" * 10)
    last = [_said("ivan@shop.ru", now - timedelta(minutes=1), (("экран.png", 10),))]
    assert sent_just_now(last, "ivan@shop.ru", "Спасибо", [png], now)
    assert not sent_just_now(last, "kate@shop.ru", "Спасибо", [png], now)
    assert not sent_just_now(last, "ivan@shop.ru", "Спасибо", [png], now + timedelta(minutes=15))
    other = Upload("экран-2.png", "image/png", b"y" * 12)
    assert not sent_just_now(last, "ivan@shop.ru", "Спасибо", [other], now)
    assert not sent_just_now(last, "ivan@shop.ru", "Спасибо!", [png], now)


def _picked(filename: str, content_type: str) -> web.FileField:
    """A file of a posted form as aiohttp gives it."""
    return web.FileField(
        "files", filename, io.BytesIO(b"PNG"), content_type, CIMultiDictProxy(CIMultiDict())
    )


@pytest.mark.parametrize(
    ("filename", "content_type", "upload"),
    [
        # old Edge and IE send the path the file was picked from: its name alone goes
        ("C:\\Users\\ivan\\Desktop\\скрин.png", "image/png", ("скрин.png", "image/png")),
        ("../../etc/скрин.png", "IMAGE/PNG; x=1", ("скрин.png", "image/png")),
        # a leaf part is never typed as a container nor as anything but a type token
        ("a.eml", "message/rfc822", ("a.eml", "application/octet-stream")),
        ("b.bin", "multipart/mixed", ("b.bin", "application/octet-stream")),
        ("c.txt", "text/plain\r\nX-Evil: 1", ("c.txt", "application/octet-stream")),
    ],
)
def test_a_posted_file_goes_by_its_name_alone_and_a_plain_leaf_type(filename, content_type, upload):
    """A file's name loses the folders a browser sent with it (the path of the
    customer's disk, their user name in it, went to staff and the page as the name);
    its type is the browser's only when one plain type/subtype a leaf part may carry,
    else application/octet-stream (the pipeline looks at the bytes anyway)."""
    form = MultiDict([("files", _picked(filename, content_type))])
    [got] = uploads(form)
    assert (got.filename, got.content_type, got.data) == (*upload, b"PNG")


def test_a_file_input_left_empty_is_no_file():
    """A browser posts the form's file input with no file picked as an empty part
    without a name: no file goes with the message, not an empty one named «file»."""
    empty = web.FileField(
        "files", "", io.BytesIO(b""), "application/octet-stream", CIMultiDictProxy(CIMultiDict())
    )
    form = MultiDict([("files", empty), ("files", _picked("a.png", "image/png"))])
    assert [u.filename for u in uploads(form)] == ["a.png"]


def test_a_request_with_another_file_of_the_same_name_and_size_is_another_request():
    """What a request or a post says includes its files' bytes: a screenshot taken
    again (the same name, the same size, as a BMP of the same screen has) sent with
    the same words is a new request, not the first one sent twice, dropped while the
    page said a letter went."""
    first = content_digest("Вопрос", [Upload("экран.bmp", "image/bmp", b"\0" * 64)])
    again = content_digest("Вопрос", [Upload("экран.bmp", "image/bmp", b"\1" * 64)])
    same = content_digest("Вопрос", [Upload("экран.bmp", "image/bmp", b"\0" * 64)])
    assert first != again and first == same


def test_a_request_of_a_confirmed_address_carries_the_desk_s_proof_of_it_on_top():
    """With support.authserv_id, the request whose address a click on its link proved
    goes with the desk's own Authentication-Results (dkim=pass for the From's
    domain) as its first field, where the pipeline trusts it: without it a confirmed
    request read as mail from an unproven address."""
    raw, _ = _composed(authserv_id="mx.example.com")
    first = raw.split(b"\r\n", 1)[0].decode()
    assert first.startswith("Authentication-Results: mx.example.com; dkim=pass"), first
    assert "header.d=client.example" in first
