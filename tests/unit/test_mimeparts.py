"""Unit tests of the pieces parse is made of: the MIME walk, header addresses, ZIP limits."""

from __future__ import annotations

import base64
import email
import io
import quopri
import zipfile
from dataclasses import dataclass
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain.addresses import addresses, sender
from maild.domain.attachments import AttachmentPolicy, inspect_zip
from maild.domain.encodedmulti import MAX_ENCODED_MULTIPARTS
from maild.domain.header_text import decode_compat32
from maild.domain.limits import (
    MAX_CARRIED_FILES,
    MAX_DATA_IMAGES,
    MAX_HEADER_CHARS,
    MAX_TNEF_FILES,
)
from maild.domain.logos import TEXT
from maild.domain.mimeparts import RAW_POLICY, RawAttachment, header_of, read_body
from maild.domain.tnef import SIGNATURE
from maild.domain.ziparchive import ZipLimits
from tests.unit.test_tnef import attribute


def _msg(*lines: str):
    raw = "\r\n".join(lines).encode() + b"\r\n"
    return email.message_from_bytes(raw, policy=RAW_POLICY)


MIXED = (
    "From: Анна <anna@example.com>",
    "To: a@x.example, =?utf-8?B?0J/QtdGC0YDQvtCyLCDQmNCy0LDQvQ==?= <ivan@x.ru>",
    "Subject: =?utf-8?B?0KLQtdGB0YI=?=",
    'Content-Type: multipart/mixed; boundary="b"',
    "",
    "--b",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "Привет",
    "--b",
    'Content-Type: image/png; name="shot.png"',
    "Content-Disposition: attachment",
    "Content-Transfer-Encoding: base64",
    "",
    "iVBORw0KGgo=",
    "--b--",
)


def test_read_body_splits_text_from_files() -> None:
    body = read_body(_msg(*MIXED))
    assert body.text.strip() == "Привет"
    assert body.attachments == (RawAttachment("shot.png", "image/png", b"\x89PNG\r\n\x1a\n"),)
    assert (body.delivery_status, body.reported_message_id, body.problem) == (None, None, None)


def test_an_image_the_html_shows_in_place_is_embedded() -> None:
    m = EmailMessage()
    m.set_content("Текст")
    m.add_alternative('<p>Текст</p><img src="cid:logo">', subtype="html")
    m.get_payload()[1].add_related(b"\x89PNG logo", "image", "png", cid="<logo>")
    m.add_attachment(b"\x89PNG shot", "image", "png", filename="shot.png", cid="<shot>")
    m.add_attachment(b"\x89PNG no cid", "image", "png", disposition="inline")
    body = read_body(email.message_from_bytes(m.as_bytes(), policy=RAW_POLICY))
    assert [(a.data, a.embedded) for a in body.attachments] == [
        (b"\x89PNG logo", True),
        (b"\x89PNG shot", False),  # "attachment", whatever its Content-ID
        (b"\x89PNG no cid", False),  # nothing in the HTML can show it
    ]


def test_headers_and_addresses_are_decoded() -> None:
    msg = _msg(*MIXED)
    assert header_of(msg, "subject") == "Тест"
    assert header_of(msg, "x-missing") == ""
    assert sender(msg) == ("Анна", "anna@example.com")
    assert addresses(msg, "to") == ("a@x.example", "ivan@x.ru")
    assert addresses(msg, "to", limit=1) == ("a@x.example",)


def test_a_header_is_read_up_to_its_first_sixteen_thousand_characters() -> None:
    """A Subject of megabytes (no MTA limit on mail read from IMAP or a pipe) is read
    as far as limits.MAX_HEADER_CHARS: the ticket, the site and each notice carry its
    start, and decoding it costs no more than that."""
    msg = _msg(*MIXED[:2], "Subject: " + "Ошибка оплаты " * 20_000, *MIXED[3:])
    subject = header_of(msg, "subject")
    assert subject.startswith("Ошибка оплаты Ошибка") and len(subject) <= MAX_HEADER_CHARS


@pytest.mark.parametrize("cte", ["base64", "BASE64", "Base64"])
def test_base64_padded_line_by_line_is_read_whole(cte: str) -> None:
    """Some mailers encode each line of base64 on its own, padding and all: the stdlib
    decoder stops at the first "=" and the customer's text after it was lost. The
    encoding's name is any case (RFC 2045)."""
    lines = [
        base64.b64encode(s.encode()).decode() for s in ("Привет, ", "заказ 7731 ", "не оплачен")
    ]
    msg = _msg(
        *MIXED[:5], "--b", "Content-Type: text/plain; charset=utf-8",
        f"Content-Transfer-Encoding: {cte}", "", *lines, "--b--",
    )  # fmt: skip
    assert read_body(msg).text.strip() == "Привет, заказ 7731 не оплачен"


def test_format_flowed_is_read_whatever_the_case_of_its_value() -> None:
    """ "format=Flowed" is format=flowed (RFC 3676 values are case-insensitive): its soft
    line breaks are joined, not shown as a text broken every 72 characters, and with
    "DelSp=Yes" the space before one is no space of the text (a word split there)."""
    msg = _msg(
        *MIXED[:5], "--b", "Content-Type: text/plain; charset=utf-8; format=Flowed; DelSp=Yes",
        "", "Заказ не оформля ", "ется, ошибка на шаге оплаты.", "--b--",
    )  # fmt: skip
    assert read_body(msg).text.strip() == "Заказ не оформляется, ошибка на шаге оплаты."


def test_decode_compat32_reads_raw_8bit_bytes() -> None:
    raw = "Тема".encode("cp1251").decode("ascii", "surrogateescape")
    assert decode_compat32(raw) == "Тема"


@dataclass(frozen=True)
class _Limits:
    max_attachment_bytes: int = 1024
    zip_max_total_uncompressed: int = 10_000
    zip_max_ratio: float = 100.0
    zip_max_members: int = 2
    zip_max_nesting: int = 1
    zip_ratio_min_uncompressed: int = 10_000


def test_inspect_zip_takes_any_object_with_the_limits() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("a.txt", "b.txt", "c.txt"):
            archive.writestr(name, "x")
    limits: ZipLimits = _Limits()
    reason = inspect_zip(buffer.getvalue(), limits)
    assert reason is not None and "слишком много файлов (3)" in reason
    assert inspect_zip(buffer.getvalue(), AttachmentPolicy()) is None


@settings(max_examples=30, deadline=None)
@given(
    image=st.binary(min_size=1, max_size=3000),
    width=st.integers(min_value=4, max_value=200),
    text=st.text(alphabet="абвгд ежз.,!", min_size=1, max_size=40).filter(str.strip),
)
def test_a_picture_pasted_as_a_data_uri_is_kept_as_a_file(image, width, text) -> None:
    """Yandex and Mail.ru webmail and phone apps paste a screenshot into the HTML as
    <img src="data:image/png;base64,...">, folded at any width: the picture is a file
    of the message, its mark where it stood, and no base64 reaches the text."""
    encoded = base64.b64encode(b"\x89PNG\r\n\x1a\n" + image).decode()
    folded = "\r\n".join(encoded[i : i + width] for i in range(0, len(encoded), width))
    m = EmailMessage()
    m.set_content(
        f'<div>{text}</div><div><img alt="image.png" src="data:image/png;base64,{folded}"></div>',
        subtype="html",
    )
    body = read_body(email.message_from_bytes(m.as_bytes(), policy=RAW_POLICY))
    assert body.text == " ".join(text.split()) + "\n[image1.png]"
    assert [(a.content_type, a.data, a.embedded, a.place) for a in body.attachments] == [
        ("image/png", b"\x89PNG\r\n\x1a\n" + image, True, TEXT)
    ]
    assert body.attachments[0].filename == "image1.png"


def test_data_pictures_of_two_html_parts_are_named_apart() -> None:
    """A mail with a pasted screenshot and a second HTML part with its own: both were
    image1.png, the second mark naming the first file."""
    pictures = [base64.b64encode(b"\x89PNG\r\n\x1a\n" + c * 400).decode() for c in (b"A", b"B")]
    m = EmailMessage()
    m.set_content(f'<div>Первый:</div><img src="data:image/png;base64,{pictures[0]}">', "html")
    html = f'<div>Второй:</div><img src="data:image/png;base64,{pictures[1]}">'
    m.add_attachment(html, subtype="html", disposition="inline")
    body = read_body(email.message_from_bytes(m.as_bytes(), policy=RAW_POLICY))
    assert body.text.split() == ["Первый:", "[image1.png]", "Второй:", "[image2.png]"]
    assert [a.filename for a in body.attachments] == ["image1.png", "image2.png"]


def test_a_forwarded_mail_is_headed_by_whose_it_was() -> None:
    """A customer forwards the site's error mail as an attachment (Outlook, The Bat!):
    KOI8-R inside a windows-1251 mail, with its own files. Staff read where the
    customer's words end and whose mail follows; its files are the message's."""
    inner = (
        "From: =?koi8-r?B?4snU0snL0yDzwcrU?= <noreply@shop.example>",
        "Subject: =?koi8-r?B?79vJwsvBIOLk?=",
        "Date: Wed, 02 Dec 2026 23:10:00 +0300",
        'Content-Type: multipart/mixed; boundary="in"',
        "",
        "--in",
        "Content-Type: text/plain; charset=koi8-r",
        "Content-Transfer-Encoding: base64",
        "",
        base64.b64encode("Таблица повреждена".encode("koi8-r")).decode(),
        "--in",
        'Content-Type: image/png; name="screen.png"',
        "Content-Transfer-Encoding: base64",
        "",
        "iVBORw0KGgo=",
        "--in--",
    )
    msg = _msg(
        "From: ivan@shop.example",
        'Content-Type: multipart/mixed; boundary="out"',
        "",
        "--out",
        "Content-Type: text/plain; charset=windows-1251",
        "Content-Transfer-Encoding: base64",
        "",
        base64.b64encode("Пересылаю ошибку.".encode("cp1251")).decode(),
        "--out",
        'Content-Type: message/rfc822; name="error.eml"',
        "Content-Disposition: attachment",
        "",
        *inner,
        "--out--",
    )
    body = read_body(msg)
    assert body.text.splitlines() == [
        "Пересылаю ошибку.",
        "",
        "-------- Пересланное сообщение --------",
        "От: Битрикс Сайт <noreply@shop.example>",
        "Дата: Wed, 02 Dec 2026 23:10:00 +0300",
        "Тема: Ошибка БД",
        "",
        "Таблица повреждена",
    ]
    assert [a.filename for a in body.attachments] == ["screen.png"]


@pytest.mark.parametrize(
    ("meta", "codec"),
    [
        ('<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=windows-1251">', "cp1251"),
        ("<meta charset=koi8-r>", "koi8-r"),
        ("<meta content='text/html;charset=\"utf-8\"' http-equiv=content-type>", "utf-8"),
    ],
)
def test_an_html_mail_labelled_only_by_its_meta_tag_is_read_as_labelled(meta, codec) -> None:
    """Outlook and old webmails name an HTML-only mail's charset in a <meta> tag only:
    a short text read so is no guess, and staff get no charset warning."""
    html = f"<html><head>{meta}</head><body><p>Всё сломалось</p></body></html>"
    msg = _msg(
        "From: ivan@shop.example",
        "Content-Type: text/html",
        "Content-Transfer-Encoding: base64",
        "",
        base64.b64encode(html.encode(codec)).decode(),
    )
    body = read_body(msg)
    assert (body.text, body.charset_doubt) == ("Всё сломалось", None)


def test_a_forward_sent_base64_is_read_not_shown_as_base64() -> None:
    """Some clients send a forwarded message/rfc822 base64 (RFC 2046 forbids it): its
    text and files are the forward's, with no line of base64 for staff to read."""
    inner = EmailMessage()
    inner["From"], inner["Subject"] = "noreply@shop.example", "Ошибка"
    inner.set_content("Таблица повреждена", charset="koi8-r", cte="8bit")
    inner.add_attachment(b"\x89PNG\r\n\x1a\n", "image", "png", filename="screen.png")
    msg = _msg(
        "From: ivan@shop.example",
        'Content-Type: multipart/mixed; boundary="out"',
        "",
        "--out",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Пересылаю.",
        "--out",
        "Content-Type: message/rfc822",
        "Content-Transfer-Encoding: base64",
        "",
        base64.encodebytes(inner.as_bytes()).decode(),
        "--out--",
    )
    body = read_body(msg)
    assert body.text.strip().splitlines() == [
        "Пересылаю.",
        "",
        "-------- Пересланное сообщение --------",
        "От: noreply@shop.example",
        "Тема: Ошибка",
        "",
        "Таблица повреждена",
    ]
    assert [(a.filename, a.data) for a in body.attachments] == [
        ("screen.png", b"\x89PNG\r\n\x1a\n")
    ]


def test_data_uri_pictures_of_one_html_part_are_capped() -> None:
    """A hostile HTML of 2,000 tiny data: URIs gives 100 files, not 2,000 records."""
    html = '<img src="data:image/gif;base64,R0lGODlh">' * 2_000
    msg = _msg("Content-Type: text/html; charset=utf-8", "", html)
    body = read_body(msg)
    assert len(body.attachments) == 100
    assert "100 картинок" in body.problem  # staff are told files were left inside
    exactly = _msg("Content-Type: text/html; charset=utf-8", "", html[: len(html) // 20])
    assert read_body(exactly).problem is None  # 100 of 100: nothing left


@settings(max_examples=15, deadline=None)
@given(
    pictures=st.lists(st.integers(min_value=0, max_value=150), min_size=1, max_size=14),
    tnef_files=st.lists(st.integers(min_value=1, max_value=1200), max_size=3),
)
def test_files_carried_inside_parts_are_capped_for_the_message(pictures, tnef_files) -> None:
    """Hostile sizes: the caps of one HTML part's data: pictures (100) and of one
    winmail.dat's files (1,000) hold for the message too: 5,000 HTML parts of 100 tiny
    pictures each made one 20 MB mail 500,000 file records (a 180 MB ticket). However
    many such parts, the message carries out MAX_CARRIED_FILES files in all, each part
    up to its own cap while room is left."""
    one = attribute(2, 6, 0x9002, bytes(14)) + attribute(2, 6, 0x800F, b"x")
    parts = [("text/html", '<img src="data:image/gif;base64,R0lGODlh">' * n) for n in pictures]
    parts += [
        ("application/ms-tnef", base64.b64encode(SIGNATURE + bytes(2) + one * n).decode())
        for n in tnef_files
    ]
    lines = ['Content-Type: multipart/mixed; boundary="b"', ""]
    for ctype, body in parts:
        cte = "base64" if ctype == "application/ms-tnef" else "7bit"
        lines += ["--b", f"Content-Type: {ctype}", f"Content-Transfer-Encoding: {cte}", "", body]
    body = read_body(_msg(*lines, "--b--"))
    each = [min(n, MAX_DATA_IMAGES) for n in pictures] + [
        min(n, MAX_TNEF_FILES) for n in tnef_files
    ]
    assert len(body.attachments) == min(sum(each), MAX_CARRIED_FILES)
    # staff are told when a cap left files inside (the raw mail stays in the spool)
    cut = sum(pictures) + sum(tnef_files) > len(body.attachments)
    assert (body.problem is not None) == cut
    assert not cut or "взяты первые" in body.problem


@pytest.mark.parametrize(
    "disposition",
    [
        "attachment; filename*=utf-8''%D1%ED%E8%EC%EE%EA.png",  # cp1251 bytes labelled utf-8
        "attachment; filename*=''%D1%ED%E8%EC%EE%EA.png",  # labelled nothing
        "attachment; filename*=%D1%ED%E8%EC%EE%EA.png",  # not even the quotes
        "attachment; filename*0*=windows-1251''%D1%ED%E8; filename*1*=%EC%EE%EA.png",
        "attachment; filename*=utf-8'ru'%D0%A1%D0%BD%D0%B8%D0%BC%D0%BE%D0%BA.png",
        "attachment; filename*=koi8-r''%F3%CE%C9%CD%CF%CB.png",
        # 8-bit bytes written raw, not %-escaped, as some mailers do: «udcd0...» before
        "attachment; filename*=utf-8''Снимок.png",
        "attachment; filename*=''Снимок.png",
    ],
)
def test_an_rfc2231_name_is_read_in_the_charset_its_bytes_are(disposition: str) -> None:
    lines = [
        *MIXED[:-6],
        "Content-Type: image/png",
        f"Content-Disposition: {disposition}",
        *MIXED[-4:],
    ]
    [file] = read_body(_msg(*lines)).attachments
    assert file.filename == "Снимок.png"


@pytest.mark.parametrize(
    "name",
    [
        "name*=utf-8''%D1%ED%E8%EC%EE%EA.png",  # cp1251 bytes labelled utf-8
        "name*=''%D1%ED%E8%EC%EE%EA.png",  # labelled nothing
    ],
)
def test_an_rfc2231_name_of_the_content_type_is_read_so_too(name: str) -> None:
    """A file named only by Content-Type's name (Disposition without a filename, as
    old Outlook and webmail write it) is read as Disposition's filename is: the stdlib
    gave «������.png» and «Ñíèìîê.png» for these, the name staff see of the file."""
    lines = [
        *MIXED[:-6],
        f"Content-Type: image/png; {name}",
        "Content-Disposition: attachment",
        *MIXED[-4:],
    ]
    [file] = read_body(_msg(*lines)).attachments
    assert file.filename == "Снимок.png"


def test_a_macs_resource_fork_is_no_file_of_the_message() -> None:
    """Mail on a Mac sends a file as multipart/appledouble (RFC 1740): its resource fork,
    named as the file, was refused to the customer as a PNG «not a PNG»."""
    lines = [
        *MIXED[:-6],
        'Content-Type: multipart/appledouble; boundary="a"',
        "",
        "--a",
        'Content-Type: application/applefile; name="shot.png"',
        'Content-Disposition: attachment; filename="shot.png"',
        "Content-Transfer-Encoding: base64",
        "",
        "AAUWBwACAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "--a",
        *MIXED[-6:-1],
        "--a--",
        "--b--",
    ]
    body = read_body(_msg(*lines))
    assert body.attachments == (RawAttachment("shot.png", "image/png", b"\x89PNG\r\n\x1a\n"),)
    assert body.problem is None


def _encoded_mixed(body: bytes, outer: str = "multipart/mixed") -> object:
    return _msg(
        "From: ivan@shop.example",
        f'Content-Type: {outer}; boundary="B"',
        "Content-Transfer-Encoding: base64",
        "",
        base64.encodebytes(body).decode(),
    )


def test_a_multipart_sent_base64_is_read_as_its_parts() -> None:
    """A multipart whose body a mailer sent base64 (RFC 2045 forbids it): its text was
    its MIME source («--B», «Content-Type: ...», the file's base64) and the file was
    lost. Its decoded parts are read, at any depth: a base64 alternative in a mixed."""
    alt = (
        b'Content-Type: multipart/alternative; boundary="A"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(
            b"--A\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            + "Не работает оплата.".encode()
            + b"\r\n--A\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML</p>\r\n--A--\r\n"
        )
    )
    png = base64.encodebytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20 + b"IEND\xaeB`\x82")
    body = (
        b"--B\r\n" + alt + b"\r\n--B\r\nContent-Type: image/png\r\n"
        b'Content-Disposition: attachment; filename="s.png"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + png + b"--B--\r\n"
    )
    read = read_body(_encoded_mixed(body))
    assert read.text.strip() == "Не работает оплата."
    assert [a.filename for a in read.attachments] == ["s.png"]


def test_a_multipart_sent_base64_holding_no_delimiter_is_read_as_it_came() -> None:
    """Decoded bytes that hold no delimiter of its boundary are no parts: the text is
    what it was before, shown, not lost."""
    read = read_body(_encoded_mixed("Просто текст без частей.".encode()))
    assert read.text.strip() == "Просто текст без частей."
    assert read.attachments == ()


def test_a_multipart_sent_quoted_printable_in_capitals_is_read_as_its_parts() -> None:
    """Quoted-printable is forbidden a multipart as base64 is, and some gateways send
    it so, its name in capitals too («QUOTED-PRINTABLE»): the «=» of an Outlook-style
    boundary is «=3D» in the body, no delimiter is found, and the MIME source was shown
    as the customer's text with the file lost. Its parts are read."""
    b = "----=_NextPart_000_0001"
    body = (
        f"--{b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n".encode()
        + "Счёт не приходит.".encode()
        + f"\r\n--{b}\r\nContent-Type: text/plain\r\n".encode()
        + b'Content-Disposition: attachment; filename="log.txt"\r\n\r\nerror 42\r\n'
        + f"--{b}--\r\n".encode()
    )
    read = read_body(
        _msg(
            "From: ivan@shop.example",
            f'Content-Type: multipart/mixed; boundary="{b}"',
            "Content-Transfer-Encoding: QUOTED-PRINTABLE",
            "",
            quopri.encodestring(body).decode(),
        )
    )
    assert read.text.strip() == "Счёт не приходит."
    assert [a.filename for a in read.attachments] == ["log.txt"]


def test_encoded_multiparts_opened_are_capped_per_message() -> None:
    """An encoded multipart inside a multipart sent as RFC 2045 says is opened too (a
    mixed holding base64 multiparts); each one opened is parsed again, so a mail of many
    is opened up to MAX_ENCODED_MULTIPARTS of them, the rest left as they came."""
    inner = [
        base64.encodebytes(
            b"--I\r\nContent-Type: text/plain\r\n"
            + f'Content-Disposition: attachment; filename="f{n}.txt"\r\n\r\nx\r\n--I--\r\n'.encode()
        ).decode()
        for n in range(MAX_ENCODED_MULTIPARTS + 1)
    ]
    lines = ["From: ivan@shop.example", 'Content-Type: multipart/mixed; boundary="O"', ""]
    for block in inner:
        lines += [
            "--O",
            'Content-Type: multipart/mixed; boundary="I"',
            "Content-Transfer-Encoding: base64",
            "",
            block,
        ]
    read = read_body(_msg(*lines, "--O--"))
    assert len(read.attachments) == MAX_ENCODED_MULTIPARTS
