"""Unit tests for forgetmail on customers' mail (forgettext, forgetwords): a text part
sent quoted-printable or base64 in its own charset, and encoded words of any charset,
scrubbed and written again as they were; what holds no address stays byte for byte."""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import re

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from maild.mime import header_line
from maild.ops.forgetmail import scrub_mail

ADDRESS = "ivan@shop.ru"
MENTION = re.compile(re.escape(ADDRESS), re.IGNORECASE)
PLACEHOLDER = "forgotten@invalid"
CYRILLIC = "".join(map(chr, range(0x410, 0x450))) + "Ёё"
ALPHABET = CYRILLIC + "abcdefghijklmnopqrstuvwxyz ABC.,:;!?-=@()0123456789\t"


def scrub(text: bytes) -> bytes:  # as forget's: the address, any case, in UTF-8 text
    return re.sub(re.escape(ADDRESS.encode()), PLACEHOLDER.encode(), text, flags=re.IGNORECASE)


def encode(text: str, charset: str, cte: str, eol: bytes) -> bytes:
    data = text.encode(charset)
    if cte == "base64":
        return base64.encodebytes(data).replace(b"\n", eol)
    return binascii.b2a_qp(data, istext=True).replace(b"\n", eol)


def mail(body: bytes, charset: str, cte: str, eol: bytes = b"\r\n", subject: str = "x") -> bytes:
    head = [
        f"Subject: {subject}",
        "MIME-Version: 1.0",
        f"Content-Type: text/plain; charset={charset}",
        f"Content-Transfer-Encoding: {cte}",
    ]
    return eol.join(h.encode() for h in head) + eol + eol + body


def text_of(raw: bytes) -> str:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert not msg.defects
    return msg.get_content().replace("\r\n", "\n")


CASES = st.tuples(
    st.sampled_from(["windows-1251", "koi8-r", "utf-8"]),
    st.sampled_from(["quoted-printable", "base64"]),
    st.sampled_from([b"\r\n", b"\n"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(ALPHABET, max_size=200), max_size=12), CASES)
def test_a_part_that_does_not_name_them_stays_byte_for_byte(lines, case):
    charset, cte, eol = case
    text = "\n".join(lines)
    assume(ADDRESS not in text.lower())
    raw = mail(encode(text, charset, cte, eol), charset, cte, eol)
    assert scrub_mail(raw, scrub, MENTION, PLACEHOLDER) == raw


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(ALPHABET, max_size=200), min_size=1, max_size=12), st.data(), CASES)
def test_a_part_that_names_them_loses_only_the_address(lines, data, case):
    """The text is the same but for the address; in quoted-printable every line
    that does not name them stays byte for byte, and no line written anew passes 76
    characters (binascii's own encoder, the test's, may end a line "=20" at 77: such
    a line is kept as it came)."""
    charset, cte, eol = case
    assume(all(ADDRESS not in line.lower() for line in lines))
    at = data.draw(st.integers(0, len(lines) - 1))
    cut = data.draw(st.integers(0, len(lines[at])))
    written = data.draw(st.sampled_from([ADDRESS, ADDRESS.upper(), "Ivan@Shop.RU"]))
    lines[at] = lines[at][:cut] + written + lines[at][cut:]
    text = "\n".join(lines)
    raw = mail(encode(text, charset, cte, eol), charset, cte, eol)
    out = scrub_mail(raw, scrub, MENTION, PLACEHOLDER)
    assert text_of(out) == text_of(raw).replace(written, PLACEHOLDER)
    assert out.partition(eol + eol)[0] == raw.partition(eol + eol)[0]
    body = out.partition(eol + eol)[2]
    came = set(raw.partition(eol + eol)[2].split(eol))
    assert all(len(line) <= 76 or line in came for line in body.split(eol))
    if cte == "quoted-printable":  # the lines (to a hard break) without the address
        old = re.split(rb"(?<!=)" + re.escape(eol), raw.partition(eol + eol)[2])
        new = re.split(rb"(?<!=)" + re.escape(eol), body)
        assert len(old) == len(new)
        same = [o == n for o, n in zip(old, new, strict=True)]
        assert same.count(False) == 1 and not same[at]


def test_an_address_cut_by_soft_breaks_and_written_in_escapes_goes():
    body = b"=CA=EB=E8=E5=ED=F2: iv=\r\nan=40sh=\r\nop.ru =E8 =E2=F1=B8.\r\n=C2=F2=EE=F0=E0=FF.\r\n"
    raw = mail(body, "windows-1251", "quoted-printable")
    out = scrub_mail(raw, scrub, MENTION, PLACEHOLDER)
    assert text_of(out) == f"Клиент: {PLACEHOLDER} и всё.\nВторая.\n"
    assert out.endswith(b"\r\n=C2=F2=EE=F0=E0=FF.\r\n")  # the next line as it was


def test_an_unknown_charset_or_bytes_that_are_no_text_of_it_lose_the_address_only():
    """A part in a charset Python does not know («unknown-8bit», a typo), or with a
    byte its charset has no letter for (windows-1251's 0x98): left whole, it kept the
    address in the raw copy after `forget`. The address goes, every other byte stays."""
    for charset, before in (
        ("unknown-8bit", "Клиент ".encode("cp1251")),
        ("x-unknown", "Клиент ".encode()),
        ("windows-1251", b"\x98 " + "Клиент ".encode("cp1251")),
        ("gb18030", b"\xff " + "客户 ".encode("gb18030")),  # not U+FFFD, which it can write
        ("koi8-r", "Клиент ".encode("koi8-r")),  # (every byte is text of it)
    ):
        raw = mail(base64.encodebytes(before + ADDRESS.encode() + b" \xff."), charset, "base64")
        out = scrub_mail(raw, scrub, MENTION, PLACEHOLDER)
        body = base64.b64decode(out.partition(b"\r\n\r\n")[2])
        assert body == before + PLACEHOLDER.encode() + b" \xff.", (charset, body)


def test_eight_bit_text_labelled_ascii_is_scrubbed_as_bytes():
    raw = mail(base64.encodebytes(f"Клиент {ADDRESS}".encode("cp1251")), "us-ascii", "base64")
    out = scrub_mail(raw, scrub, MENTION, PLACEHOLDER)
    body = base64.b64decode(out.partition(b"\r\n\r\n")[2])
    assert body == f"Клиент {PLACEHOLDER}".encode("cp1251")


def test_a_text_labelled_ascii_that_the_scrub_writes_cyrillic_into_stays_ascii():
    """Outlook sends plain English as us-ascii quoted-printable; where the scrub writes
    a Cyrillic word (a name's ERASED) the part gets the ASCII stand-in, not UTF-8 bytes
    a reader shows as garbage in a part that says it is ASCII."""

    def erase(text: bytes) -> bytes:  # as forget's name scrub: ERASED in UTF-8
        return text.replace(ADDRESS.encode(), "[удалено]".encode())

    raw = mail(binascii.b2a_qp(f"Hello from {ADDRESS}\n".encode()), "us-ascii", "quoted-printable")
    out = scrub_mail(raw, erase, MENTION, PLACEHOLDER)
    assert binascii.a2b_qp(out.partition(b"\r\n\r\n")[2]) == f"Hello from {PLACEHOLDER}\n".encode()


def test_a_text_the_charset_cannot_hold_gets_the_ascii_placeholder():
    def erase(text: bytes) -> bytes:  # as a list's line of theirs: a Cyrillic word
        return text.replace(b"secret", "[удалено]".encode()).replace(ADDRESS.encode(), b"x")

    raw = mail(
        base64.encodebytes(f"secret {ADDRESS} café".encode("latin-1")), "iso-8859-1", "base64"
    )
    out = scrub_mail(raw, erase, MENTION, PLACEHOLDER)
    assert text_of(out) == f"secret {PLACEHOLDER} café"


def test_encoded_words_of_any_charset_lose_the_address_only():
    cp = "=?windows-1251?B?" + base64.b64encode(f"Вопрос {ADDRESS}".encode("cp1251")).decode()
    subject = f"{cp}?=\r\n =?koi8-r?Q?=F7=CF=D0=D2=CF=D3?= plain {ADDRESS}"
    raw = (
        f"Subject: {subject}\r\nX-Other: =?x-unknown?B?aXZhbkBzaG9wLnJ1?=\r\n"
        f"Keywords: =?utf-8?q?IVAN=40shop.ru_?=\r\n\r\nbody\r\n"
    ).encode()
    out = scrub_mail(raw, scrub, MENTION, PLACEHOLDER)
    msg = email.message_from_bytes(out, policy=email.policy.default)
    assert msg["Subject"] == f"Вопрос {PLACEHOLDER}Вопрос plain {ADDRESS}"  # clear: the caller's
    assert msg["Keywords"] == f"{PLACEHOLDER} "
    lines = out.split(b"\r\n")
    assert (
        lines[0].startswith(b"Subject: =?windows-1251?B?")
        and lines[1] == b" " + subject.split("\r\n ")[1].encode()
    )
    # a charset Python does not know: its bytes read one for one, the address goes
    assert lines[2] == b"X-Other: =?x-unknown?B?" + base64.b64encode(PLACEHOLDER.encode()) + b"?="
    # a Q word written again holds no blank (RFC 2047 5: a space is "_"), which would
    # end the word for a strict reader and show its code
    assert lines[3] == b"Keywords: =?utf-8?q?forgotten=40invalid_?="


def test_a_base64_word_written_without_its_padding_is_scrubbed_too():
    """Some mailers end a B word without its "=" padding, which readers decode all the
    same: the address in it goes like any other, not left in the kept mail because
    the word's strict decoding failed."""
    payload = base64.b64encode(f"Вопрос от {ADDRESS}!".encode()).rstrip(b"=")
    assert len(payload) % 4  # (the padding it lacks)
    raw = b"Subject: =?utf-8?B?" + payload + b"?=\r\n\r\nbody\r\n"
    out = scrub_mail(raw, scrub, MENTION, PLACEHOLDER)
    msg = email.message_from_bytes(out, policy=email.policy.default)
    assert msg["Subject"] == f"Вопрос от {PLACEHOLDER}!"


def test_an_address_cut_between_two_words_is_put_in_the_first():
    field = header_line("Subject", "Обращение зарегистрировано: данные " + ADDRESS + " удалите")
    words = field.split(b"\r\n ")
    assert len(words) > 1 and ADDRESS.encode() not in field  # render cut it
    raw = field + b"To: a@b.example\r\n\r\nbody\r\n"
    out = scrub_mail(raw, scrub, MENTION, PLACEHOLDER)
    msg = email.message_from_bytes(out, policy=email.policy.default)
    assert msg["Subject"] == f"Обращение зарегистрировано: данные {PLACEHOLDER} удалите"
    assert out.endswith(b"\r\nTo: a@b.example\r\n\r\nbody\r\n")
    assert all(len(line) <= 78 for line in out.split(b"\r\n"))


def test_a_word_grown_past_75_characters_is_split_in_whole_characters():
    short = "=?utf-8?B?" + base64.b64encode(f"Ёжик a@b.ru {'я' * 14}".encode()).decode() + "?="
    assert len(short) <= 75
    raw = f"Subject: {short}\r\n\r\nx".encode()
    mention = re.compile(re.escape("a@b.ru"))
    out = scrub_mail(raw, lambda t: t, mention, PLACEHOLDER)
    msg = email.message_from_bytes(out, policy=email.policy.default)
    assert msg["Subject"] == f"Ёжик {PLACEHOLDER} {'я' * 14}"
    assert out.count(b"=?utf-8?B?") == 2
    assert all(len(w) <= 75 for w in re.findall(rb"=\?[^ ]*\?=", out))


def test_a_one_line_part_that_grows_is_broken_with_the_mails_own_line_end():
    """A part of one line without a line end of its own, grown past 76 characters by
    the placeholder, took CRLF for its new breaks in a mail of LF lines (hypothesis
    found it); it takes the mail's line end."""
    for cte, line in (("quoted-printable", "0" * 60), ("base64", "x" * 44)):
        raw = mail(encode(ADDRESS + line, "windows-1251", cte, b"\n").rstrip(b"\n"),
                   "windows-1251", cte, b"\n")  # fmt: skip
        out = scrub_mail(raw, scrub, MENTION, PLACEHOLDER)
        assert b"\r" not in out and out.count(b"\n") > raw.count(b"\n"), (cte, out)
        assert b"\n" not in raw.partition(b"\n\n")[2], raw  # one line, no end
        assert text_of(out) == PLACEHOLDER + line


def test_a_part_whose_lines_the_scrub_recounts_is_written_in_lines_of_76() -> None:
    """A line end written «=0A» in the line that names them: the chunk is encoded again
    whole, and binascii's text mode wrote a line ending «=20» at 77 characters."""
    line = binascii.b2a_qp("00ЁЁЁЁЁЁЁЁЁЁЁЁ".encode(), istext=False) + b"=20"
    raw = mail(b"ivan@shop.ru=0A" + line + b"\r\nnext\r\n", "utf-8", "quoted-printable")
    out = scrub_mail(raw, scrub, MENTION, PLACEHOLDER)
    assert text_of(out) == text_of(raw).replace(ADDRESS, PLACEHOLDER)
    assert max(len(x) for x in out.partition(b"\r\n\r\n")[2].split(b"\r\n")) <= 76


def test_a_charset_that_writes_one_text_in_several_ways_loses_the_address_too():
    """UTF-7 as other mailers write it («@» as «+AEA-», where Python writes it
    direct) is read back by Python as the same text in
    other bytes. Such a part was left whole, so the address stayed in it (sent as it
    is, 7-bit, a byte search does not see it either); it is written again in Python's
    UTF-7, the same text without the address."""
    text = f"Клиент: {ADDRESS}, всё."
    data = text.encode("utf-7").replace(b"@", b"+AEA-")
    assert data.decode("utf-7") == text and data.decode("utf-7").encode("utf-7") != data
    for cte in ("base64", "quoted-printable", "7bit"):
        body = {"base64": base64.encodebytes(data), "quoted-printable": binascii.b2a_qp(data)}
        raw = mail(body.get(cte, data + b"\n").replace(b"\n", b"\r\n"), "utf-7", cte)
        out = scrub_mail(raw, scrub, MENTION, PLACEHOLDER)
        assert text_of(out).rstrip("\n") == text.replace(ADDRESS, PLACEHOLDER), cte
    word = b"=?utf-7?B?" + base64.b64encode(data) + b"?="
    out = scrub_mail(b"Subject: " + word + b"\r\n\r\nbody\r\n", scrub, MENTION, PLACEHOLDER)
    subject = email.message_from_bytes(out, policy=email.policy.default)["Subject"]
    assert subject == text.replace(ADDRESS, PLACEHOLDER)


def test_a_7_bit_charset_under_any_label_python_reads_loses_the_address() -> None:
    """A part sent as it is under another label of UTF-7 (Python's aliases): the mail
    was never parsed, since its labels were looked for as «utf-7» alone, and the address
    written «+AEA-» stayed in the spool copy."""
    text = f"Клиент: {ADDRESS}, всё."
    data = text.encode("utf-7").replace(b"@", b"+AEA-")
    for label in ("utf7", "u7", "unicode-1-1-utf-7"):
        raw = mail((data + b"\n").replace(b"\n", b"\r\n"), label, "7bit")
        out = scrub_mail(raw, scrub, MENTION, PLACEHOLDER)
        assert text_of(out).rstrip("\n") == text.replace(ADDRESS, PLACEHOLDER), label


def test_a_utf16_or_utf32_text_sent_8_bit_loses_the_address() -> None:
    """A text part in UTF-16 or UTF-32 sent as it is, 8-bit (RFC 2781 wants base64, yet
    clients send it so): its address is no ASCII bytes, a byte search does not see it,
    and it stayed in the kept copy. Decoded in its charset, it goes; each label keeps
    its byte order."""
    text = f"Клиент: {ADDRESS}, всё.\r\nВторая строка."
    for label in ("utf-16", "UTF-16LE", "utf-16be", "utf-32", "utf16"):
        raw = mail(text.encode(label), label, "8bit")
        out = scrub_mail(raw, scrub, MENTION, PLACEHOLDER)
        body = out.partition(b"\r\n\r\n")[2]
        assert body == text.replace(ADDRESS, PLACEHOLDER).encode(label), label


def test_a_q_word_written_again_escapes_what_would_end_or_change_it() -> None:
    """«?», «=» and «_» of a Q word's text are written =3F, =3D, =5F again: raw, «?=»
    ends the word early, «=» starts an escape and «_» reads as a blank."""
    raw = b"Subject: =?utf-8?q?IVAN=40shop.ru=3F_a=5Fb=3D1=3F=3D?=\r\n\r\nbody\r\n"
    out = scrub_mail(raw, scrub, MENTION, PLACEHOLDER)
    msg = email.message_from_bytes(out, policy=email.policy.default)
    assert msg["Subject"] == f"{PLACEHOLDER}? a_b=1?="


def test_a_word_that_cannot_be_read_stays_and_the_words_beside_it_lose_the_address() -> None:
    """A word whose bytes are no text of its charset beside one that names them: that
    word stays byte for byte and ends the run (its text is not known); the word
    beside it is scrubbed, as the next field's are. Not a word written over with
    another's text, nor a crash; nor the address left in the readable word (the
    whole run was once left as it was)."""
    bad = b"=?utf-8?B?/w==?="  # the byte 0xff: no UTF-8
    raw = b"Subject: " + bad + b" =?utf-8?q?ivan=40shop.ru?=\r\nKeywords: =?x-unknown?B?"
    raw += b"0J/RgNC+0YjRgw==?= =?utf-8?q?ivan=40shop.ru?=\r\n\r\nbody\r\n"
    out = scrub_mail(raw, scrub, MENTION, PLACEHOLDER)
    said = b"=?utf-8?q?forgotten=40invalid?="
    assert out == (
        b"Subject: "
        + bad
        + b" "
        + said
        + b"\r\nKeywords: =?x-unknown?B?0J/RgNC+0YjRgw==?= "
        + said
        + b"\r\n\r\nbody\r\n"
    )
