"""Rich text as Outlook stores it in winmail.dat: compressed RTF unpacked, RTF read as text.

Pure: bytes in, text out. [MS-OXRTFCP] compression; of RTF only what carries the words
(text, paragraph breaks, \\'hh bytes in the document's code page, \\uN characters).
"""

from __future__ import annotations

import re

from maild.domain.limits import MAX_RTF_BYTES

__all__ = ["RtfRoom", "codec", "decompress", "rtf_html", "rtf_to_text"]

# [MS-OXRTFCP] 2.1.3.1.1: the dictionary's initial contents.
_PREBUF = (
    b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss "
    b"\\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier"
    b"{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx"
)
_LZFU, _MELA = 0x75465A4C, 0x414C454D  # compressed, stored as is


def decompress(data: bytes, cap: int = MAX_RTF_BYTES) -> bytes:
    """The RTF of a PR_RTF_COMPRESSED value; what can be read of a damaged one. At
    most its declared size and `cap`: a back-reference of two bytes gives up
    to 17, so a hostile body would unpack to 8.5 times its size (and cost seconds of
    CPU per megabyte, here and in rtf_to_text)."""
    if len(data) < 16:
        return b""
    size = int.from_bytes(data[0:4], "little")
    limit = min(int.from_bytes(data[4:8], "little"), cap)
    kind = int.from_bytes(data[8:12], "little")
    if kind == _MELA:
        return data[16 : 16 + limit]
    if kind != _LZFU:
        return b""
    window = bytearray(4096)
    window[: len(_PREBUF)] = _PREBUF
    write = len(_PREBUF)
    out = bytearray()
    pos, end = 16, min(len(data), size + 4)
    while pos < end and len(out) < limit:
        control = data[pos]
        pos += 1
        for bit in range(8):
            if pos >= end:
                break
            if not control & (1 << bit):  # a literal byte
                window[write], write = data[pos], (write + 1) % 4096
                out.append(data[pos])
                pos += 1
                continue
            token = int.from_bytes(data[pos : pos + 2], "big")
            pos += 2
            offset, length = token >> 4, (token & 0xF) + 2
            if offset == write:  # the end marker
                return bytes(out)
            # byte by byte: a reference may reach into the bytes it writes itself
            # (Outlook packs "asdfasdfasd" as "asdf" and one reference of 7 at -4)
            for i in range(length):
                byte = window[(offset + i) % 4096]
                window[write], write = byte, (write + 1) % 4096
                out.append(byte)
    return bytes(out[:limit])


class RtfRoom:
    """The RTF one message may still unpack: MAX_RTF_BYTES for all its compressed
    bodies together (every winmail.dat in it, every Outlook item inside one). Each body
    unpacks to up to 8.5 times its size, so a cap per body alone let a mail of many
    Outlook items unpack several times its own size (bench/FINDINGS.md 50)."""

    def __init__(self, size: int = MAX_RTF_BYTES) -> None:
        self.left = size

    def body(self, compressed: bytes) -> tuple[str, str]:
        """One PR_RTF_COMPRESSED body, unpacked within what is left, as (text, HTML):
        the HTML Outlook wrapped in it when it was written in HTML, else its words."""
        return self.read(decompress(compressed, cap=self.left))

    def read(self, rtf: bytes) -> tuple[str, str]:
        """One RTF body (a text/rtf part as it came, or one unpacked) as ``body`` reads
        it, its first bytes up to what is left: reading RTF is slow, and what one
        message reads of it in all is capped as what it unpacks is."""
        rtf = rtf[: max(0, self.left)]
        self.left -= len(rtf)
        html = rtf_html(rtf)
        return ("" if html.strip() else rtf_to_text(rtf)), html


_TOKEN = re.compile(
    rb"\\([a-z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-f]{2})|\\(.)|([{}])|[\r\n]+|([^\\{}\r\n]+)",
    re.IGNORECASE | re.DOTALL,
)
# Groups that hold no words of the message (tables of fonts and colours, metadata,
# pictures); every "{\*\..." destination is skipped too (an HTML tag, a bookmark).
_SKIPPED = frozenset(
    b"fonttbl colortbl stylesheet info pict object header footer listtable "
    b"listoverridetable rsidtbl generator xmlnstbl themedata colorschememapping "
    b"datastore latentstyles pgdsctbl filetbl revtbl mmathPr".split()
)
_WORDS = {
    b"par": "\n", b"line": "\n", b"tab": "\t", b"emdash": "—", b"endash": "–",
    b"bullet": "•", b"lquote": "‘", b"rquote": "’", b"ldblquote": "“", b"rdblquote": "”",
}  # fmt: skip
_SYMBOLS = {
    b"~": "\u00a0", b"_": "-", b"\\": "\\", b"{": "{", b"}": "}", b"\n": "\n", b"\r": "\n",
}  # fmt: skip


# A font's \fcharset: the Windows code page its \'hh bytes are in (0, 1: the
# document's \ansicpg; 2: symbols).
_CHARSETS = {
    77: "mac_roman", 128: "cp932", 129: "cp949", 134: "gbk", 136: "cp950", 161: "cp1253",
    162: "cp1254", 163: "cp1258", 177: "cp1255", 178: "cp1256", 186: "cp1257",
    204: "cp1251", 222: "cp874", 238: "cp1250",
}  # fmt: skip


class _Fonts:
    """Which code page the text is in, font by font. Outlook on an English Windows
    writes a Russian letter as \\ansicpg1252 with fonts of \\fcharset204: their
    \\'hh bytes are windows-1251, and read in the document's code page they gave staff
    «Ïðèâåò». The font table is read (\\fN, \\fcharsetN, \\cpgN), and the font in
    use is followed group by group (a "}" restores the one before its "{")."""

    def __init__(self) -> None:
        self.codecs: dict[int, str] = {}
        self.current: int | None = None
        self.saved: list[int | None] = []
        self.table = 0  # > 0: inside the font table, counting its braces
        self.defining: int | None = None
        self.default: int | None = None  # \\deffN: the font of text before any \\fN

    def brace(self, brace: bytes) -> None:
        if brace == b"{":
            self.saved.append(self.current)
        else:
            self.current = self.saved.pop() if self.saved else None
        if self.table:
            self.table += 1 if brace == b"{" else -1

    def word(self, word: bytes, number: bytes | None) -> bool:
        """Take a control word of fonts (True), inside the font table any at all."""
        if word == b"fonttbl":
            self.table = 1
        elif word == b"deff" and number:
            self.default = int(number)
        elif word == b"f" and number:
            if self.table:
                self.defining = int(number)
            else:
                self.current = int(number)
        elif self.table and number and self.defining is not None:
            if word == b"fcharset" and int(number) in _CHARSETS:
                self.codecs[self.defining] = _CHARSETS[int(number)]
            elif word == b"cpg":
                self.codecs[self.defining] = codec(int(number))
        return bool(self.table) or word in (b"f", b"deff")

    def codepage(self, document: str) -> str:
        """The code page of the font in use, else the document's."""
        font = self.current if self.current is not None else self.default
        return self.codecs.get(font, document) if font is not None else document


def rtf_to_text(rtf: bytes) -> str:
    """The words of an RTF document (Outlook's own, or its wrapping of an HTML body)."""
    out: list[str] = []
    codepage = "cp1252"
    fonts = _Fonts()
    skip_depth = 0  # > 0: inside a skipped group, counting its braces
    pending_skip = 0  # characters after \uN that stand for it in the code page
    uc = 1
    star = False
    for word, number, hexbyte, symbol, brace, text in (m.groups() for m in _TOKEN.finditer(rtf)):
        if brace:
            if skip_depth:
                skip_depth += 1 if brace == b"{" else -1
            fonts.brace(brace)
            star = False
            continue
        if skip_depth or fonts.table:
            if word is not None and not skip_depth:
                fonts.word(word, number)
            continue
        if symbol == b"*":
            star = True
            continue
        if word is not None:
            if not star and fonts.word(word, number):
                continue
            if star or word in _SKIPPED:
                skip_depth, star = 1, False
            elif word == b"ansicpg" and number:
                codepage = codec(int(number))
            elif word == b"uc" and number:
                uc = max(0, int(number))  # a negative count would eat every later word
            elif word == b"u" and number:
                out.append(chr(int(number) % 65536))
                pending_skip = uc
            elif word in _WORDS:
                out.append(_WORDS[word])
            continue
        if pending_skip and (hexbyte or text):
            pending_skip -= 1
            if text and len(text) > 1:
                out.append(text[1:].decode("latin-1"))
            continue
        if hexbyte:
            out.append(_decode(bytes([int(hexbyte, 16)]), fonts.codepage(codepage)))
        elif symbol:
            out.append(_SYMBOLS.get(symbol, ""))
        elif text:
            out.append(_decode(text, fonts.codepage(codepage)))
    # \uN gives UTF-16 units: an emoji comes as a surrogate pair, joined here; a lone
    # surrogate (no character) becomes U+FFFD, so the text can be stored as UTF-8.
    text = "".join(out).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    # NUL is no character of a text: Outlook pads its RTF with one after the last "}"
    text = text.replace("\0", "")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# Windows code pages whose number is no Python codec's "cpN" (Exchange writes Russian
# HTML as KOI8-R: PR_INTERNET_CPID 20866); the rest, 1251 or 866 among them, are.
_CODECS = {
    20866: "koi8_r", 21866: "koi8_u", 20127: "ascii", 65001: "utf-8", 1200: "utf-16-le",
    1201: "utf-16-be", 10000: "mac_roman", 10007: "mac_cyrillic", 50220: "iso2022_jp",
    50221: "iso2022_jp", 50222: "iso2022_jp", 51932: "euc_jp", 51949: "euc_kr",
    54936: "gb18030", 28603: "iso8859_13", 28605: "iso8859_15",
    **{28590 + n: f"iso8859_{n}" for n in range(1, 10)},
}  # fmt: skip


def codec(codepage: int) -> str:
    """The Python codec of a Windows code page number (as TNEF and RTF give it)."""
    return _CODECS.get(codepage, f"cp{codepage}")


def _decode(data: bytes, codepage: str) -> str:
    try:
        return data.decode(codepage, "replace")
    except LookupError:
        return data.decode("cp1252", "replace")


def rtf_html(rtf: bytes) -> str:
    """The HTML an RTF body wraps, or "" for RTF of its own. Outlook writing HTML keeps it
    in the RTF ([MS-OXRTFEX], "\\fromhtml1"): tags in {\\*\\htmltagN ...} groups, text
    between them, and an RTF rendering of both between \\htmlrtf and \\htmlrtf0, left
    out here (read as words, it gave staff an image's "cid:image003.jpg@01D2..." name)."""
    if b"\\fromhtml" not in rtf[:4096]:
        return ""
    out: list[str] = []
    codepage, uc, pending = "cp1252", 1, 0
    depth = skip_at = tag_at = 0  # where a skipped group or an HTML tag's group opened
    hidden = star = False  # hidden: inside \htmlrtf ... \htmlrtf0
    for word, number, hexbyte, symbol, brace, text in (m.groups() for m in _TOKEN.finditer(rtf)):
        if brace:
            depth += 1 if brace == b"{" else -1
            skip_at = skip_at if depth >= skip_at else 0
            tag_at, star = (tag_at if depth >= tag_at else 0), False
            continue
        if skip_at or symbol == b"*":
            star = star or symbol == b"*"
            continue
        if word == b"htmltag" and star:
            tag_at, star = depth, False
        elif word is not None and (star or word in _SKIPPED):
            skip_at, star = depth, False
        elif word == b"htmlrtf":
            hidden = number != b"0"
        elif word == b"ansicpg" and number:
            codepage = codec(int(number))
        elif word == b"uc" and number:
            uc = max(0, int(number))
        elif hidden and not tag_at:
            continue
        elif word == b"u" and number:
            out.append(chr(int(number) % 65536))
            pending = uc
        elif word is not None:
            out.append(_WORDS.get(word, ""))
        elif pending and (hexbyte or text):
            pending -= 1
            out.append(text[1:].decode("latin-1") if text and len(text) > 1 else "")
        elif hexbyte or text:
            out.append(_decode(bytes([int(hexbyte, 16)]) if hexbyte else text, codepage))
        elif symbol:
            out.append(_SYMBOLS.get(symbol, ""))
    html = "".join(out).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return html.replace("\0", "")
