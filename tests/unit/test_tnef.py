"""Outlook with Exchange sends "rich text" mail as winmail.dat (application/ms-tnef):
the text and the screenshot are inside it, and maild must read them out."""

from __future__ import annotations

import base64
import email

from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain.limits import MAX_RTF_BYTES
from maild.domain.mimeparts import RAW_POLICY, read_body
from maild.domain.rtf import _PREBUF, RtfRoom, decompress, rtf_html, rtf_to_text
from maild.domain.tnef import SIGNATURE, read_tnef

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
RTF = (
    rb"{\rtf1\ansi\ansicpg1251\deff0{\fonttbl{\f0\fswiss Calibri;}}{\colortbl;\red0\green0\blue0;}"
    rb"{\*\generator Riched20 16.0;}\pard\f0\fs22 "
    rb"\'c7\'e4\'f0\'e0\'e2\'f1\'f2\'e2\'f3\'e9\'f2\'e5!\par"
    rb"\u1055?\u1088?\u1080? \'ee\'ef\'eb\'e0\'f2\'e5 \emdash  \'ee\'f8\'e8\'e1\'ea\'e0 500.\par}"
)
WORDS = "Здравствуйте!\nПри оплате — ошибка 500."


def lzfu(rtf: bytes) -> bytes:
    """Compressed RTF as Outlook stores it: "{\\rtf1\\ansi" taken from the dictionary's
    initial text (a back-reference), the rest as literals, then the end marker."""
    assert rtf.startswith(rb"{\rtf1\ansi")
    tokens = [(0 << 4 | (10 - 2)).to_bytes(2, "big")] + [bytes([b]) for b in rtf[10:]]
    refs = [True] + [False] * (len(rtf) - 10)
    tokens.append(((207 + len(rtf)) % 4096 << 4).to_bytes(2, "big"))  # end: offset == write
    refs.append(True)
    body = b""
    for i in range(0, len(tokens), 8):
        body += bytes([sum(1 << j for j, r in enumerate(refs[i : i + 8]) if r)])
        body += b"".join(tokens[i : i + 8])
    return (
        (len(body) + 12).to_bytes(4, "little")
        + len(rtf).to_bytes(4, "little")
        + b"LZFu"
        + bytes(4)
        + body
    )


def attribute(level: int, kind: int, attr_id: int, value: bytes) -> bytes:
    head = bytes([level]) + (kind << 16 | attr_id).to_bytes(4, "little")
    return (
        head + len(value).to_bytes(4, "little") + value + (sum(value) % 65536).to_bytes(2, "little")
    )


def prop(kind: int, prop_id: int, value: bytes | int, guid_name: str | None = None) -> bytes:
    out = kind.to_bytes(2, "little") + prop_id.to_bytes(2, "little")
    if guid_name is not None:  # a named property, named by a string
        name = guid_name.encode("utf-16-le") + b"\0\0"
        out += bytes(16) + (1).to_bytes(4, "little") + len(name).to_bytes(4, "little")
        out += name + bytes(-len(name) % 4)
    if isinstance(value, int):
        return out + value.to_bytes(4, "little")
    return (
        out
        + (1).to_bytes(4, "little")
        + len(value).to_bytes(4, "little")
        + value
        + bytes(-len(value) % 4)
    )


def props(*items: bytes) -> bytes:
    return len(items).to_bytes(4, "little") + b"".join(items)


def winmail() -> bytes:
    """A winmail.dat of Outlook 2016 through Exchange: RTF body, one pasted screenshot."""
    return SIGNATURE + (0x1234).to_bytes(2, "little") + b"".join(
        [
            attribute(1, 0x0008, 0x9006, (0x00010000).to_bytes(4, "little")),  # version
            attribute(1, 0x0006, 0x9007, (1251).to_bytes(4, "little") + bytes(4)),  # OEM cp
            attribute(1, 0x0007, 0x8008, b"IPM.Microsoft Mail.Note\0"),
            attribute(1, 0x0006, 0x9003, props(
                prop(0x0003, 0x3FDE, 1251),  # PR_INTERNET_CPID
                prop(0x001F, 0x8005, "x".encode("utf-16-le"), guid_name="Keywords"),
                prop(0x0102, 0x1009, lzfu(RTF)),  # PR_RTF_COMPRESSED
            )),
            attribute(2, 0x0006, 0x9002, bytes(14)),  # attAttachRenddata: a file starts
            attribute(2, 0x0001, 0x8010, b"IMAGE0~1.PNG\0"),
            attribute(2, 0x0006, 0x800F, PNG),
            attribute(2, 0x0006, 0x9005, props(
                prop(0x001F, 0x3707, "Скриншот ошибки.png\0".encode("utf-16-le")),
                prop(0x001E, 0x370E, b"image/png\0"),
            )),
        ]
    )  # fmt: skip


def test_rtf_compressed_by_outlook_reads_back() -> None:
    assert decompress(lzfu(RTF)) == RTF
    assert rtf_to_text(RTF) == WORDS


def outlook_tnef_mail(dat: bytes | None = None) -> bytes:
    """Outlook + Exchange: the mail is only a winmail.dat (``dat``, else winmail())."""
    return b"\r\n".join(
        [
            b"From: ivan@shop.example",
            b"Content-Type: multipart/mixed; boundary=b",
            b"",
            b"--b",
            b'Content-Type: application/ms-tnef; name="winmail.dat"',
            b"Content-Transfer-Encoding: base64",
            b'Content-Disposition: attachment; filename="winmail.dat"',
            b"",
            base64.encodebytes(dat or winmail()).replace(b"\n", b"\r\n"),
            b"--b--",
            b"",
        ]
    )


def test_a_winmail_dat_gives_staff_its_text_and_screenshot() -> None:
    """Staff read the customer's words and get the screenshot under the name the
    customer gave it."""
    body = read_body(email.message_from_bytes(outlook_tnef_mail(), policy=RAW_POLICY))
    assert body.text == WORDS
    assert [(a.filename, a.content_type, a.data) for a in body.attachments] == [
        ("Скриншот ошибки.png", "image/png", PNG)
    ]


@settings(max_examples=80, deadline=None)
@given(junk=st.binary(max_size=400), cut=st.integers(min_value=0, max_value=2000))
def test_a_damaged_winmail_dat_never_raises(junk, cut) -> None:
    """A winmail.dat cut short or garbled gives what could be read, never an error."""
    tnef = read_tnef(winmail()[:cut] + junk)
    assert tnef is None or isinstance(tnef.text, str)
    assert read_tnef(SIGNATURE + junk) is not None
    decompress(lzfu(RTF)[:cut] + junk)
    rtf_to_text(junk).encode("utf-8")


def test_rtf_characters_outside_the_bmp_are_whole() -> None:
    """An emoji is two \\u units in RTF; a lone half is no character."""
    assert rtf_to_text(rb"{\rtf1 ok \u-10179?\u-8704? \u-10179?.}") == "ok \U0001f600 \ufffd."


def test_a_winmail_dat_of_many_files_is_capped() -> None:
    """Hostile sizes: 30,000 one-byte files in a winmail.dat give 1,000 files."""
    one = attribute(2, 6, 0x9002, bytes(14)) + attribute(2, 6, 0x800F, b"x")
    tnef = read_tnef(SIGNATURE + bytes(2) + one * 30_000)
    assert len(tnef.files) == 1000


def test_compressed_rtf_unpacks_to_its_declared_size_and_the_cap_at_most() -> None:
    """Hostile sizes: each two-byte back-reference gives 17 bytes, so a winmail.dat
    of 25 MB would unpack to ~200 MB (minutes of CPU to unpack and read). Unpacking
    stops at the size the header declares, and at the cap (MAX_RTF_BYTES)
    whatever it declares."""
    body, write = bytearray(), len(_PREBUF)
    while len(body) < 20_000:
        body.append(0xFF)  # eight back-references follow
        for _ in range(8):  # each repeats bytes just written, never the end marker
            body += (((write - 40) % 4096) << 4 | 15).to_bytes(2, "big")
            write = (write + 17) % 4096

    def packed(declared: int) -> bytes:
        head = (len(body) + 12).to_bytes(4, "little") + declared.to_bytes(4, "little")
        return head + b"LZFu" + bytes(4) + bytes(body)

    assert len(decompress(packed(10**9), cap=100_000)) == 100_000
    assert len(decompress(packed(5000))) == 5000
    assert len(decompress(packed(10**9))) > 150_000  # what it holds, under the cap
    mela = (0).to_bytes(4, "little") + (10**9).to_bytes(4, "little") + b"MELA" + bytes(4)
    assert len(decompress(mela + b"{" * (MAX_RTF_BYTES + 10))) == MAX_RTF_BYTES


def test_compressed_rtf_of_an_unknown_kind_gives_no_words() -> None:
    """Only "LZFu" (packed) and "MELA" (stored) are RTF: a value of another kind, damaged
    or not RTF at all, is no text, and unpacked as LZFu it would be garbage to staff."""
    packed = lzfu(RTF)
    assert decompress(packed) == RTF
    assert decompress(packed[:8] + b"LZFv" + packed[12:]) == b""


def test_compressed_rtf_ends_where_its_header_says() -> None:
    """Bytes past the compressed size the header declares are no part of the RTF
    (padding, what follows in the attribute): what they would unpack to is not read."""
    packed = lzfu(RTF)
    cut = (40 + 12).to_bytes(4, "little") + packed[4:]  # 40 bytes of the body declared
    words = decompress(cut)
    assert words and RTF.startswith(words) and len(words) < len(RTF)


def test_compressed_rtf_ends_at_its_end_marker() -> None:
    """The stream's end marker ends the RTF even when the header declares more (a
    damaged or padded value): what follows it is no text of the mail."""
    packed = lzfu(RTF)
    larger = packed[:4] + (len(RTF) + 100).to_bytes(4, "little") + packed[8:]
    assert decompress(larger + b"\x00junk after the end") == RTF


def test_an_rtf_destination_marked_ignorable_is_no_words() -> None:
    """A "{\\*\\...}" group Word writes (a bookmark, a field's data) is no text:
    staff read the words around it, not "_GoBack"."""
    rtf = rb"{\rtf1 Hello{\*\bkmkstart _GoBack}{\*\bkmkend _GoBack} world}"
    assert rtf_to_text(rtf) == "Hello world"


def test_a_file_cut_short_in_a_winmail_dat_is_named_not_given_in_part() -> None:
    """A winmail.dat cut inside a file's data: the text before it is read, and the
    file is named to staff without data, not handed on as a broken half of itself."""
    data = winmail()
    tnef = read_tnef(data[: data.index(PNG) + 100])
    assert tnef.text == WORDS
    assert [(f.name, f.data) for f in tnef.files] == [("IMAGE0~1.PNG", b"")]


def test_an_html_tag_inside_outlooks_rtf_rendering_is_kept() -> None:
    """An HTML tag group between \\htmlrtf and \\htmlrtf0 is the HTML's own: only the
    RTF rendering around it is left out."""
    rtf = rb"{\rtf1\ansi\fromhtml1 \htmlrtf {\*\htmltag64 <p>}x\htmlrtf0 y}"
    assert rtf_html(rtf) == "<p>y"


def test_files_past_the_cap_do_not_overwrite_the_last_one_kept() -> None:
    """Past MAX_TNEF_FILES reading stops: the 1,000th file keeps its own data, not
    that of a file after it."""

    def one(i: int) -> bytes:
        return attribute(2, 6, 0x9002, bytes(14)) + attribute(2, 6, 0x800F, b"%d" % i)

    tnef = read_tnef(SIGNATURE + bytes(2) + b"".join(one(i) for i in range(1001)))
    assert tnef.cut and tnef.files[-1].data == b"999"


def utf16(text: str) -> bytes:
    return (text + "\0").encode("utf-16-le")


def with_item(item: bytes) -> bytes:
    """winmail() with an Outlook item (a mail, "Счёт за ноябрь") attached after the
    screenshot: attach method 5, its data a TNEF stream behind the object's 16-byte id."""
    return winmail() + b"".join(
        [
            attribute(2, 0x0006, 0x9002, bytes(14)),
            attribute(2, 0x0006, 0x9005, props(
                prop(0x0003, 0x3705, 5),  # PR_ATTACH_METHOD: an embedded message
                prop(0x001F, 0x3001, utf16("Счёт за ноябрь")),  # PR_DISPLAY_NAME
                prop(0x000D, 0x3701, bytes(16) + item),  # PR_ATTACH_DATA_OBJ
            )),
        ]
    )  # fmt: skip


def test_an_outlook_item_in_a_winmail_dat_is_read_as_a_forward() -> None:
    """The customer attached a mail from their Outlook (a supplier's invoice with its
    PDF... here a screenshot): staff read whose mail it is and its text under the
    customer's own, as of any forward, and get its file."""
    item = SIGNATURE + bytes(2) + b"".join(
        [
            attribute(1, 0x0006, 0x9003, props(
                prop(0x001F, 0x0037, utf16("Счёт за ноябрь")),  # PR_SUBJECT
                prop(0x001F, 0x0C1A, utf16("Пётр Сидоров")),  # PR_SENDER_NAME
                prop(0x001F, 0x0C1F, utf16("/O=EXCHANGE/OU=FIRST/CN=PETR")),  # not an address
                prop(0x001F, 0x5D01, utf16("petr@supplier.example")),  # PR_SENDER_SMTP_ADDRESS
                prop(0x001F, 0x1000, utf16("Счёт №15 не оплачен.")),  # PR_BODY
            )),
            attribute(2, 0x0006, 0x9002, bytes(14)),
            attribute(2, 0x0001, 0x8010, b"invoice.png\0"),
            attribute(2, 0x0006, 0x800F, PNG[::-1]),
        ]
    )  # fmt: skip
    raw = outlook_tnef_mail(with_item(item))
    body = read_body(email.message_from_bytes(raw, policy=RAW_POLICY))
    assert body.text.splitlines() == [
        *WORDS.splitlines(),
        "",
        "-------- Пересланное сообщение --------",
        "От: Пётр Сидоров <petr@supplier.example>",
        "Тема: Счёт за ноябрь",
        "",
        "Счёт №15 не оплачен.",
    ]
    assert [(a.filename, a.data) for a in body.attachments] == [
        ("Скриншот ошибки.png", PNG),
        ("invoice.png", PNG[::-1]),
    ]


def test_an_outlook_item_that_cannot_be_read_is_a_file_named_for_staff() -> None:
    raw = outlook_tnef_mail(with_item(b"not a TNEF stream"))
    body = read_body(email.message_from_bytes(raw, policy=RAW_POLICY))
    assert body.text == WORDS
    assert [a.filename for a in body.attachments] == ["Скриншот ошибки.png", "Счёт за ноябрь"]
    unnamed = winmail() + attribute(2, 6, 0x9002, bytes(14)) + attribute(2, 6, 0x9005, props(
        prop(0x0003, 0x3705, 5), prop(0x0102, 0x3701, b"")  # no name, no data it could read
    ))  # fmt: skip
    files = read_tnef(unnamed).files
    assert [(f.name, f.data) for f in files[1:]] == [("Вложенное письмо Outlook", b"")]


def item_file(name: str, data: bytes) -> bytes:
    """An Outlook item attached (attach method 5): its data a TNEF stream behind the
    object's 16-byte id."""
    return attribute(2, 6, 0x9002, bytes(14)) + attribute(2, 6, 0x9005, props(
        prop(3, 0x3705, 5), prop(0x001F, 0x3001, utf16(name)), prop(13, 0x3701, bytes(16) + data)
    ))  # fmt: skip


def mail_item(text: str, *files: bytes) -> bytes:
    body = attribute(1, 6, 0x9003, props(prop(0x001F, 0x1000, utf16(text))))
    return SIGNATURE + bytes(2) + body + b"".join(files)


def test_an_item_inside_an_item_stays_a_file_of_it() -> None:
    """One level: an Outlook item inside an attached item is a file of that item, not
    read in turn (a hostile stream of items in items would be read level by level)."""
    inner = mail_item("Ещё глубже")
    tnef = read_tnef(mail_item("Снаружи", item_file("Письмо", mail_item("Внутри", item_file(
        "Вложенное", inner)))))  # fmt: skip
    assert [m.text for m in tnef.messages] == ["Внутри"]
    assert tnef.messages[0].messages == []
    assert [(f.name, f.data) for f in tnef.messages[0].files] == [("Вложенное", inner)]


def test_the_files_of_items_stay_under_the_cap_with_the_rest() -> None:
    """Hostile sizes: an item's files count against the one cap (MAX_TNEF_FILES) with
    the winmail.dat's own (the item took a place of its own): 998 files and an item of
    3 give the item 1 file, and a cut."""
    one = attribute(2, 6, 0x9002, bytes(14)) + attribute(2, 6, 0x800F, b"x")
    item = mail_item("Внутри", one, one, one)
    tnef = read_tnef(mail_item("Снаружи", *[one] * 998, item_file("Письмо", item)))
    assert len(tnef.files) == 998 and [len(m.files) for m in tnef.messages] == [1]
    assert tnef.cut


def test_a_sender_known_only_by_an_exchange_name_is_named_without_it() -> None:
    """An Exchange directory name (/O=EXCHANGE/OU=...) tells staff nothing: an item
    whose sender has no SMTP address shows the sender's name alone."""
    item = SIGNATURE + bytes(2) + attribute(1, 6, 0x9003, props(
        prop(0x001F, 0x0C1A, utf16("Пётр Сидоров")),
        prop(0x001F, 0x0C1F, utf16("/O=EXCHANGE/OU=FIRST/CN=PETR")),
    ))  # fmt: skip
    assert read_tnef(item).sender == "Пётр Сидоров"


def test_a_plain_body_and_a_files_title_read_in_the_oem_code_page() -> None:
    """Outlook's plain-text attBody and a file's 8.3 title are bytes in the code page
    attOemCodepage names (1251 on a Russian Windows), not Latin-1's «Ïðèâåò»."""
    tnef = read_tnef(SIGNATURE + bytes(2) + b"".join([
        attribute(1, 6, 0x9007, (1251).to_bytes(4, "little") + bytes(4)),
        attribute(1, 1, 0x800C, "Привет, ошибка 500.".encode("cp1251")),
        attribute(2, 6, 0x9002, bytes(14)),
        attribute(2, 1, 0x8010, "отчёт.txt\0".encode("cp1251")),
        attribute(2, 6, 0x800F, b"x"),
    ]))  # fmt: skip
    assert tnef.text == "Привет, ошибка 500."
    assert [f.name for f in tnef.files] == ["отчёт.txt"]


def test_a_picture_in_an_rtf_body_is_no_words() -> None:
    """A screenshot pasted into Outlook's rich text is a {\\pict ...} group of hex:
    staff read the words around it, not pages of the picture's bytes."""
    rtf = rb"{\rtf1 Error:{\pict\pngblip 89504e470d0a1a0a} here}"
    assert rtf_to_text(rtf) == "Error: here"


def test_an_rtf_body_is_read_within_the_room_left() -> None:
    """Hostile sizes: a text/rtf body (not packed) is read up to the room the message
    has left, as an unpacked one is: reading RTF is slow."""
    room = RtfRoom(100)
    text, _html = room.read(rb"{\rtf1 " + b"a" * 1000 + b"}")
    assert 0 < len(text) <= 100 and room.left <= 0


def mela(words: bytes) -> bytes:
    """An RTF body Outlook stored uncompressed ("MELA"): here one run of words."""
    rtf = rb"{\rtf1\ansi " + words + b"}"
    return (
        (len(rtf) + 12).to_bytes(4, "little")
        + len(rtf).to_bytes(4, "little")
        + b"MELA"
        + (bytes(4) + rtf)
    )


def rtf_only(words: bytes, items: list[bytes] = ()) -> bytes:
    """A winmail.dat whose text is only an RTF body, with Outlook items attached."""
    body = attribute(1, 6, 0x9003, props(prop(0x0102, 0x1009, mela(words))))
    return SIGNATURE + bytes(2) + body + b"".join(
        attribute(2, 6, 0x9002, bytes(14))
        + attribute(2, 6, 0x9005, props(prop(3, 0x3705, 5), prop(13, 0x3701, bytes(16) + i)))
        for i in items
    )  # fmt: skip


def test_an_outlook_item_of_files_alone_is_opened() -> None:
    """An Outlook item attached that holds a file and no text is still a mail: staff
    get its file, not a .msg they cannot open."""
    item = SIGNATURE + bytes(2) + attribute(2, 6, 0x9002, bytes(14))
    item += attribute(2, 1, 0x8010, b"screen.png\0") + attribute(2, 6, 0x800F, PNG)
    tnef = read_tnef(rtf_only(b"see the item", [item]))
    assert [[(f.name, f.data) for f in m.files] for m in tnef.messages] == [[("screen.png", PNG)]]
    assert tnef.files == []


def test_all_rtf_of_a_message_unpacks_within_one_cap() -> None:
    """Hostile sizes: the cap on unpacked RTF holds for the message, not for each body:
    60 Outlook items of 250 KB compressed each (a 20 MB mail) unpacked 120 MB and cost
    70 s of CPU. Two winmail.dat parts, the first with an Outlook item, each body 800 KB
    of words: staff read 2 MB of them (MAX_RTF_BYTES) in all, not 2.4 MB."""
    size = 800_000
    first = outlook_tnef_mail(rtf_only(b"a" * size, [rtf_only(b"b" * size)]))
    second = outlook_tnef_mail(rtf_only(b"c" * size)).split(b"\r\n\r\n", 1)[1]
    raw = first.split(b"--b--")[0] + second
    body = read_body(email.message_from_bytes(raw, policy=RAW_POLICY))
    words = sum(body.text.count(w) for w in "abc")
    assert 2 * size < words <= MAX_RTF_BYTES


@settings(max_examples=30, deadline=None)
@given(sizes=st.lists(st.integers(min_value=0, max_value=3000), min_size=1, max_size=6))
def test_rtf_bodies_share_the_room_they_are_given(sizes) -> None:
    """However many items, of whatever sizes: what all the bodies of one winmail.dat
    unpack stays within the room given, and the first body read gets what it holds."""
    room = RtfRoom(4000)
    tnef = read_tnef(rtf_only(b"a" * sizes[0], [rtf_only(b"a" * n) for n in sizes[1:]]), rtf=room)
    texts = [tnef.text, *(m.text for m in tnef.messages)]
    assert sum(len(t) for t in texts) <= 4000
    assert room.left >= 0
    assert tnef.text == "a" * sizes[0]


def test_a_negative_unicode_skip_count_loses_no_later_word() -> None:
    """\\ucN says how many characters after each \\u stand for it; a negative N (a
    damaged or hostile body) is none, not a count that cuts the first letter off every
    later run of text."""
    text = rtf_to_text(rb"{\rtf1 \uc-1 abc \u1055?def\par ghi\par jkl}")
    assert text.splitlines() == ["abc П?def", "ghi", "jkl"]


# Outlook on an English Windows writing Russian: the document's code page is 1252, the
# fonts' \fcharset204 (windows-1251); a Latin font in a group of its own in between.
ENGLISH_WINDOWS_RTF = (
    rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss\fcharset204 Arial;}"
    rb"{\f1\fnil\fcharset0 Calibri;}{\f2\froman\fcharset0{\*\panose 02020603}Times;}}"
    rb"{\*\generator Riched20 16.0;}\pard\fs20 \'cf\'f0\'e8\'e2\'e5\'f2, {\f1 caf\'e9} "
    rb"\'ec\'e8\'f0!\par\f1 Men\'fc \f0\'ec\'e5\'ed\'fe\par}"
)


def test_a_negative_unicode_skip_count_loses_no_later_word_of_wrapped_html() -> None:
    """The same in the HTML Outlook wraps in RTF (\\fromhtml1): a negative \\ucN is
    none, not a count that cuts the first letter off every later run of text."""
    rtf = rb"{\rtf1\ansi\fromhtml1 {\*\htmltag64 <p>}\uc-1 abc \u1055?def{\*\htmltag72 </p>} ghi}"
    assert rtf_html(rtf) == "<p>abc П?def</p> ghi"


def test_rtf_in_fonts_of_another_charset_reads_in_theirs() -> None:
    """«Ïðèâåò» was what staff read of such a letter: each font's \\fcharset now says
    which code page its bytes are in, and a "}" gives back the font before its "{"."""
    assert rtf_to_text(ENGLISH_WINDOWS_RTF) == "Привет, café мир!\nMenü меню"


CYRILLIC = st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЁЯ ,.!?-", max_size=60)


@settings(max_examples=60, deadline=None)
@given(words=CYRILLIC, cpg=st.sampled_from([b"\\fcharset204", b"\\cpg1251"]))
def test_any_russian_text_in_a_cyrillic_font_of_a_latin_document_reads_back(words, cpg) -> None:
    hexed = "".join(f"\\'{b:02x}" for b in words.encode("cp1251")).encode()
    rtf = rb"{\rtf1\ansi\ansicpg1252{\fonttbl{\f3" + cpg + rb" Arial;}}\f3 " + hexed + rb"}"
    assert rtf_to_text(rtf) == words.strip()
