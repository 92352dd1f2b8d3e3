"""domain/smime.py through domain/message.parse: an S/MIME opaque-signed letter
(smime.p7m, smime-type=signed-data) is read as the letter it signs, wherever it stands;
what it cannot read, or what is encrypted, stays a file of the message."""

from __future__ import annotations

import base64

from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain import smime
from maild.domain.message import parse
from tests.examples import examples
from tests.helpers import PNG
from tests.smime import chunked, der, p7m_part, signed_data

HEAD = (
    "From: Ivan <ivan@shop.ru>\r\nTo: support@example.com\r\nSubject: x\r\n"
    "Message-ID: <s@shop.ru>\r\nMIME-Version: 1.0\r\n"
)
TEXT = "Добрый день! Оплата не проходит, скриншот во вложении."


def letter(text: str = TEXT, charset: str = "utf-8") -> bytes:
    """What Outlook signs: the text as plain and HTML alternatives, and a screenshot."""
    plain = base64.encodebytes(text.encode(charset)).decode()
    return (
        'Content-Type: multipart/mixed; boundary="M"\r\n\r\n--M\r\n'
        'Content-Type: multipart/alternative; boundary="A"\r\n\r\n--A\r\n'
        f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        f"{plain}\r\n--A\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        f"<p>{text} (HTML)</p>\r\n--A--\r\n\r\n--M\r\n"
        'Content-Type: image/png; name="error.png"\r\nContent-Transfer-Encoding: base64\r\n'
        'Content-Disposition: attachment; filename="error.png"\r\n\r\n'
        f"{base64.encodebytes(PNG).decode()}\r\n--M--\r\n"
    ).encode()


def signed(content: bytes, open_length: bool = True) -> bytes:
    """An opaque-signed SignedData of ``content``, BER in 100-byte chunks (or DER)."""
    econtent = chunked(content, 100) if open_length else der(0x04, content)
    return signed_data(econtent, open_length=open_length)


def mail(*parts: str, root: bytes | None = None) -> bytes:
    """A mail whose body is the p7m ``root``, or multipart/mixed of ``parts``."""
    if root is not None:
        return (HEAD + p7m_part(root)).encode()
    body = "".join(f"--X\r\n{p}\r\n" for p in parts) + "--X--\r\n"
    return (HEAD + 'Content-Type: multipart/mixed; boundary="X"\r\n\r\n' + body).encode()


def files(raw: bytes) -> list[tuple[str | None, str]]:
    return [(a.filename, a.content_type) for a in parse(raw).attachments]


def test_the_signed_letter_is_read_as_a_multipart_signed_first_part_is():
    for open_length in (False, True):
        msg = parse(mail(root=signed(letter(), open_length)))
        assert msg.text.strip() == TEXT  # the plain alternative alone, as in any mail
        assert [(a.filename, a.data) for a in msg.attachments] == [("error.png", PNG)]
        assert msg.parse_problem is None


def test_a_letter_signed_by_openssl_is_read(smime):
    """Real openssl output, BER streamed, under the x-pkcs7-mime header it writes."""
    raw = HEAD.encode() + smime.signed_mail(letter())
    assert b"application/x-pkcs7-mime; smime-type=signed-data" in raw
    msg = parse(raw)
    assert msg.text.strip() == TEXT and [a.filename for a in msg.attachments] == ["error.png"]
    raw = (HEAD + p7m_part(smime.sign(letter(), ber=True))).encode()
    assert parse(raw).text.strip() == TEXT


def test_the_charset_staff_name_reads_the_signed_text():
    """`#charset` reads the mail again (message.redecode): the signed text too."""
    raw = mail(root=signed(letter(charset="koi8-r").replace(b"koi8-r", b"utf-8", 1)))
    assert parse(raw, codec="koi8-r").text.strip() == TEXT


def test_a_signed_letter_inside_a_mail_is_read_in_its_place():
    """A gateway's disclaimer put under it (multipart/mixed), a signed mail forwarded
    as message/rfc822, a letter signed twice: each read, nothing left as smime.p7m."""
    disclaimer = "Content-Type: text/plain; charset=utf-8\r\n\r\nПисьмо проверено антивирусом."
    msg = parse(mail(p7m_part(signed(letter())), disclaimer))
    assert msg.text.split("\n")[0] == TEXT and "антивирусом" in msg.text
    assert files(mail(p7m_part(signed(letter())), disclaimer)) == [("error.png", "image/png")]
    forwarded = "Content-Type: message/rfc822\r\n\r\nSubject: fwd\r\n" + p7m_part(signed(b"hi"))
    assert parse(mail(forwarded)).text.split("\n")[-1] == "hi"  # (its whole body: no header)
    # the forwarded mail keeps its heading: only its body is the letter, signed twice too
    assert "\nТема: fwd\n" in parse(mail(forwarded)).text
    inner = "Content-Type: message/rfc822\r\n\r\nSubject: fwd\r\nFrom: Хостер <noc@h.example>\r\n"
    twice_fwd = parse(mail(inner + p7m_part(signed(p7m_part(signed(letter())).encode()))))
    assert "\nТема: fwd\n" in twice_fwd.text and "От: Хостер <noc@h.example>" in twice_fwd.text
    assert twice_fwd.text.strip().endswith(TEXT)
    twice = signed(b"Content-Type: multipart/mixed; boundary=Y\r\n\r\n--Y\r\n" + p7m_part(
        signed(letter())).encode() + b"\r\n--Y--\r\n")  # fmt: skip
    assert parse(mail(root=twice)).text.strip() == TEXT


def test_a_file_signed_on_its_own_stays_a_file():
    """A CryptoPro-signed contract attached to a letter signs no MIME entity: a file."""
    document = p7m_part(signed(b"%PDF-1.4 ..."), name="договор.pdf.p7m")
    text = "Content-Type: text/plain; charset=utf-8\r\n\r\nДоговор во вложении."
    msg = parse(mail(text, document))
    assert msg.text.strip() == "Договор во вложении." and msg.parse_problem is None
    assert files(mail(text, document)) == [("договор.pdf.p7m", "application/pkcs7-mime")]


def test_an_unreadable_or_encrypted_p7m_stays_a_file():
    """Cut short: kept as smime.p7m, and staff told why it was not read (the spool
    keeps the mail). Encrypted: kept for domain.attachments to ask for it unencrypted.
    Certificates alone (certs-only) or a signature without its letter: a file, and no
    word of a problem: nothing was lost."""
    cut = parse(mail(root=signed(letter())[:-40]))
    assert cut.text == "" and [a.filename for a in cut.attachments] == ["smime.p7m"]
    assert "«smime.p7m»" in cut.parse_problem and "данные обрываются" in cut.parse_problem
    enveloped = der(0x30, bytes.fromhex("06092a864886f70d010703"), der(0xA0, der(0x30)))
    for p7m in (enveloped, signed_data(None)):
        msg = parse(mail(root=p7m))
        assert [a.filename for a in msg.attachments] == ["smime.p7m"]
        assert msg.parse_problem is None


def test_staff_are_told_of_an_unreadable_p7m_though_a_later_one_was_read():
    """The first problem of the mail is kept: a cut-short smime.p7m before a signed
    letter that reads is still named to staff, who would else never know a part of
    the customer's mail was left unread."""
    cut = p7m_part(signed(letter())[:-40], name="первое.p7m")
    msg = parse(mail(cut, p7m_part(signed(letter()))))
    assert TEXT in msg.text
    assert "«первое.p7m»" in msg.parse_problem


def test_the_bytes_tell_signed_from_encrypted_not_the_label():
    """smime-type is the sender's word: a SignedData labelled enveloped-data (or not
    labelled) is read; an EnvelopedData labelled signed-data stays a file."""
    for label in ("enveloped-data", ""):
        part = p7m_part(signed(letter())).replace("smime-type=signed-data", label)
        assert parse((HEAD + part).encode()).text.strip() == TEXT


def test_signed_letters_opened_per_mail_are_capped():
    """Hostile: a mail of many signed parts opens MAX_SIGNED of them; the rest stay files."""
    part = p7m_part(signed(b"Content-Type: text/plain\r\n\r\nx"))
    msg = parse(mail(*[part] * (smime.MAX_SIGNED + 5)))
    assert msg.text.split() == ["x"] * smime.MAX_SIGNED
    assert [a.filename for a in msg.attachments] == ["smime.p7m"] * 5


def test_the_signed_letters_opened_under_the_cap_are_the_first_ones():
    """In the order the customer wrote them: the first MAX_SIGNED are read, the last
    stay files, as a reader of the mail would meet them."""
    parts = [
        p7m_part(signed(f"Content-Type: text/plain\r\n\r\nx{i}".encode()))
        for i in range(smime.MAX_SIGNED + 2)
    ]
    assert parse(mail(*parts)).text.split() == [f"x{i}" for i in range(smime.MAX_SIGNED)]


def test_a_relays_octet_stream_named_p7m_in_capitals_is_read():
    """A relay that did not know the type: «SMIME.P7M» as application/octet-stream is
    the signed letter still, its text read, not left a file staff must open."""
    upper = p7m_part(signed(letter()), ctype="application/octet-stream", name="SMIME.P7M")
    assert parse(mail(upper)).text.strip().startswith(TEXT)


def test_a_letter_is_told_from_a_signed_file_by_its_header_alone():
    """A MIME-Version field alone makes the signed bytes a letter; a signed text file
    whose body (past its first empty line) holds a «Content-Type:» line stays a file."""
    bare = p7m_part(signed(b"MIME-Version: 1.0\r\n\r\nhello there"))
    assert parse(mail(bare)).text.strip() == "hello there"
    report = b"Title: report\r\n\r\nContent-Type: text/plain is what we send\r\n"
    document = p7m_part(signed(report), name="report.txt.p7m")
    assert files(mail(document)) == [("report.txt.p7m", "application/pkcs7-mime")]
    unfielded = b"Report for May\r\nContent-Type: text/plain is what we send\r\n"
    document = p7m_part(signed(unfielded), name="report.txt.p7m")
    assert files(mail(document)) == [("report.txt.p7m", "application/pkcs7-mime")]


def test_a_mail_forwarded_in_base64_inside_the_signed_letter_is_read():
    """The signed letter is read as any mail is: a forwarded mail in it sent as base64
    message/rfc822 (Outlook's) shows its text, not the base64."""
    forwarded = base64.encodebytes(b"Subject: fwd\r\n\r\nforwarded words\r\n").decode()
    inner = (
        b'Content-Type: multipart/mixed; boundary="F"\r\n\r\n--F\r\n'
        b"Content-Type: text/plain\r\n\r\nsee below\r\n--F\r\n"
        b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + forwarded.encode()
        + b"\r\n--F--\r\n"
    )
    assert "forwarded words" in parse(mail(root=signed(inner))).text


@settings(max_examples=examples(150), deadline=None, database=None)
@given(
    st.lists(st.tuples(st.integers(0, 100_000), st.integers(0, 255)), max_size=6),
    st.integers(0, 3000),
    st.booleans(),
)
def test_a_damaged_p7m_never_costs_the_mail(changes, cut, open_length):
    """Bytes of a signed letter changed or cut: the mail is read, its sender and subject
    kept; the p7m is read as a letter or kept as a file, never an error of the mail."""
    data = bytearray(signed(letter(), open_length))
    for at, value in changes:
        data[at % len(data)] = value
    msg = parse(mail(root=bytes(data[: len(data) - cut % len(data)])))
    assert msg.from_addr == "ivan@shop.ru" and msg.subject == "x"
    assert not (msg.parse_problem or "").startswith(("unparseable", "unreadable part"))


def test_a_file_of_another_type_named_p7m_is_a_file_of_that_type_and_no_problem():
    """Only a p7m type, or a relay's octet-stream, named *.p7m is opened as S/MIME: a
    PDF whose name ends in .p7m stays the PDF, and staff hear of no unreadable S/MIME."""
    msg = parse(mail(p7m_part(b"%PDF-1.4\n%%EOF\n", ctype="application/pdf", name="акт.p7m")))
    assert msg.parse_problem is None
    assert [(a.filename, a.content_type) for a in msg.attachments] == [
        ("акт.p7m", "application/pdf")
    ]


def test_staff_are_told_when_the_signed_letter_itself_was_cut_by_a_cap():
    """A signed letter of more parts than maild parses is read as text, and the staff
    notice says so, as of the same letter sent unsigned."""
    from maild.domain import limits

    parts = (f"--B\r\nContent-Type: text/plain\r\n\r\nx{i}\r\n" for i in range(5001))
    assert limits.MAX_DELIMITER_LINES < 5001
    content = 'Content-Type: multipart/mixed; boundary="B"\r\n\r\n' + "".join(parts) + "--B--\r\n"
    msg = parse(mail(root=signed(content.encode())))
    assert msg.parse_problem == parse(HEAD.encode() + content.encode()).parse_problem
    assert msg.parse_problem is not None and "частей MIME больше предела" in msg.parse_problem
