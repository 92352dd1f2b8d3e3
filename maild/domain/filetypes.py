"""What a file is and what it may be called: magic bytes, safe file names, sizes in Russian.

Pure: judges bytes and names, never touches disk.
"""

from __future__ import annotations

import re
import unicodedata

from maild.domain.extensions import split_extension
from maild.domain.filerules import BMP, GIF, JPEG, PNG, RAR, TYPES, ZIP
from maild.domain.plural import ru_count

__all__ = [
    "BMP",
    "CALENDAR",
    "GIF",
    "JPEG",
    "MB",
    "PNG",
    "RAR",
    "ZIP",
    "archive_format",
    "cut_short",
    "invitation",
    "numbered",
    "picture_format",
    "sanitize_filename",
    "NBSP",
    "size_text",
    "size_words",
    "sniff_type",
    "type_by_extension",
    "type_name",
]

MB = 1024 * 1024
# a no-break space: a mail's text is wrapped at spaces (jinja's wordwrap, Python's
# textwrap: it breaks at ASCII whitespace only) and a browser's at spaces too, never at
# this one; a refusal puts it between a number and its unit («10 МБ») and between
# «файл» and the file's name, which a wrapped line must not tear apart
NBSP = "\u00a0"

# JPEG ... RAR, the types the rule names, are filerules' (its TYPES tell their names).
# An iCalendar object (RFC 5545 §3.4: it opens with this line), a calendar invitation.
CALENDAR = "text/calendar"
_CALENDAR_START = b"BEGIN:VCALENDAR"
# BITMAPCOREHEADER, OS/2 v2 (16 and 64), BITMAPINFOHEADER and its V2..V5 successors.
_BMP_DIB_SIZES = {12, 16, 40, 52, 56, 64, 108, 124}


def sniff_type(data: bytes) -> str | None:
    """The MIME type the magic bytes prove, or None when they prove nothing we know."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    # PK\x05\x06 is the end record that alone makes up an empty archive.
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return ZIP
    if data.startswith((b"Rar!\x1a\x07\x00", b"Rar!\x1a\x07\x01\x00")):
        return RAR
    if _looks_like_bmp(data):
        return BMP
    if data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper() == _CALENDAR_START:
        return CALENDAR
    return None


# The scheduling method of a calendar object (RFC 5546 §1.4), in its VCALENDAR's own
# properties, before its events.
_METHOD_RE = re.compile(rb"^METHOD[ \t]*:[ \t]*([A-Za-z-]{1,20})", re.MULTILINE | re.IGNORECASE)


def invitation(data: bytes) -> bool:
    """True for a meeting request: a calendar object with a scheduling method (REQUEST,
    CANCEL, COUNTER...), made by the sender's calendar for its recipients, whom it names
    as attendees, the organizer's address with them; PUBLISH (or none) is an event file."""
    if sniff_type(data) != CALENDAR:
        return False
    method = _METHOD_RE.search(data[: 64 * 1024])
    return method is not None and method.group(1).upper() != b"PUBLISH"


# A PNG ends with its IEND chunk: length 0, type IEND (its CRC follows).
_PNG_END = b"\x00\x00\x00\x00IEND"


def cut_short(data: bytes, detected: str | None) -> bool:
    """True when a PNG stops before its end: a screenshot cut short in transfer (a
    mail client or relay that gave up mid-part) that no viewer opens. Only PNG can be
    told so: a JPEG or GIF ends in bytes that may also occur inside, or be followed
    by more (a phone's motion photo appends a video to its JPEG)."""
    return detected == PNG and data.rfind(_PNG_END, 8) == -1


# HEIF's brands (ISO/IEC 23008-12) of an iPhone's photo (HEIC) and of AVIF.
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}


def picture_format(data: bytes) -> str | None:
    """The name of a picture format sniff_type does not tell (no type of filerules'
    tables), as people know it, when the bytes prove one; else None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data[4:8] == b"ftyp":
        box = data[8 : min(int.from_bytes(data[:4], "big"), 64)]
        brands = {box[i : i + 4] for i in range(0, len(box), 4)}  # major, version, ...
        if brands & _AVIF_BRANDS:
            return "AVIF"
        if brands & _HEIF_BRANDS:
            return "HEIC"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    return None


# Archives the rules do not take (RAR and ZIP they do), by their magic bytes.
_ARCHIVE_MAGIC = (
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\xfd7zXZ\x00", "XZ"),
    (b"\x1f\x8b", "GZIP"),
    (b"BZh", "BZIP2"),
    (b"MSCF\x00\x00\x00\x00", "CAB"),
)


def archive_format(data: bytes) -> str | None:
    """The name of an archive format the rules do not take (7z, TAR, GZIP...), when the
    bytes prove one; else None."""
    for magic, name in _ARCHIVE_MAGIC:
        if data.startswith(magic):
            return name
    if data[257:262] == b"ustar":
        return "TAR"
    return None


# How a customer knows a file's type, for a refusal: its MIME type (application/pdf,
# application/vnd.ms-outlook) tells most people nothing, and is never named to them.
_WORD, _EXCEL, _POWERPOINT = "документ Word", "таблица Excel", "презентация PowerPoint"
_OOXML = "application/vnd.openxmlformats-officedocument."
_TYPE_NAMES = {
    "application/pdf": "документ PDF",
    "application/msword": _WORD,
    f"{_OOXML}wordprocessingml.document": _WORD,
    "application/rtf": "документ RTF",
    "text/rtf": "документ RTF",
    "application/vnd.ms-excel": _EXCEL,
    f"{_OOXML}spreadsheetml.sheet": _EXCEL,
    "application/vnd.ms-powerpoint": _POWERPOINT,
    f"{_OOXML}presentationml.presentation": _POWERPOINT,
    "application/vnd.oasis.opendocument.text": "документ OpenDocument",
    "application/vnd.oasis.opendocument.spreadsheet": "таблица OpenDocument",
    "application/vnd.ms-outlook": "письмо Outlook",
    "message/rfc822": "письмо",
    "application/ms-tnef": "служебный файл Outlook (winmail.dat)",
    "text/plain": "текстовый файл",
    "text/csv": "таблица CSV",
    "text/html": "страница HTML",
    "application/xml": "файл XML",
    "text/xml": "файл XML",
    "application/json": "файл JSON",
    "application/x-msdownload": "программа",
    "application/x-msdos-program": "программа",
    "application/x-dosexec": "программа",
    "application/x-msi": "установщик программы",
    "application/pkcs7-mime": "файл с электронной подписью",
    "application/x-pkcs7-mime": "файл с электронной подписью",
    "application/pkcs7-signature": "электронная подпись",
    "application/x-pkcs7-signature": "электронная подпись",
    "application/pgp-signature": "подпись PGP",
    "application/pgp-keys": "ключ PGP",
    "application/x-x509-ca-cert": "сертификат",
    "application/pkix-cert": "сертификат",
    "application/x-pkcs12": "сертификат с закрытым ключом",
    "application/x-7z-compressed": "архив 7z",
    "application/gzip": "архив GZIP",
    "application/x-tar": "архив TAR",
}
_TYPE_FAMILIES = {
    "video/": "видео",
    "audio/": "аудиозапись",
    "font/": "шрифт",
    "image/": "изображение",
    "text/": "текстовый файл",
}
UNKNOWN_TYPE = "файл неизвестного типа"

# The type a mail client would give a file by its name, for a file that came without
# one (Outlook before 2007 writes none in a winmail.dat) or as application/octet-stream.
# A fixed table, not the mimetypes module, which reads the machine's /etc/mime.types.
_BY_EXTENSION = {
    "pdf": "application/pdf", "doc": "application/msword", "rtf": "application/rtf",
    "xls": "application/vnd.ms-excel", "ppt": "application/vnd.ms-powerpoint",
    "docx": f"{_OOXML}wordprocessingml.document", "xlsx": f"{_OOXML}spreadsheetml.sheet",
    "pptx": f"{_OOXML}presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "txt": "text/plain", "log": "text/plain", "csv": "text/csv", "htm": "text/html",
    "html": "text/html", "xml": "text/xml", "json": "application/json",
    "eml": "message/rfc822", "msg": "application/vnd.ms-outlook",
    **{e[1:]: kind for kind, spec in TYPES.items() for e in spec.extensions},  # the rule's
    "7z": "application/x-7z-compressed", "gz": "application/gzip", "tar": "application/x-tar",
    "exe": "application/x-msdownload", "msi": "application/x-msi",
    "p7s": "application/pkcs7-signature", "sig": "application/pgp-signature",
    "cer": "application/pkix-cert", "crt": "application/pkix-cert",
    "p12": "application/x-pkcs12", "pfx": "application/x-pkcs12",
    "mp4": "video/mp4", "mov": "video/quicktime", "avi": "video/x-msvideo",
    "mp3": "audio/mpeg", "wav": "audio/wav",
}  # fmt: skip


def type_by_extension(name: str | None) -> str | None:
    """The MIME type a file's name gives it (quick.pdf: application/pdf), or None."""
    _, dot, extension = (name or "").rpartition(".")
    return _BY_EXTENSION.get(extension.lower()) if dot else None


def type_name(content_type: str, name: str = "") -> str:
    """A file's type as people name it («документ PDF», «видео»): by its MIME type, else
    by its name's extension («файл DWG» for one no table knows), else UNKNOWN_TYPE;
    never the MIME type itself («(application/octet-stream) не принят» told a customer
    nothing)."""
    by_name = type_by_extension(name) or ""
    for ctype in (content_type, by_name):
        if named := _TYPE_NAMES.get(ctype):
            return named
    for ctype in (content_type, by_name):
        if family := next((w for p, w in _TYPE_FAMILIES.items() if ctype.startswith(p)), None):
            return family
    _stem, extension = split_extension(name)  # (a known one: ".tar.gz" whole)
    extension = extension[1:] or name.rpartition(".")[2] * ("." in name.strip("."))
    # a word of letters and digits is an extension people name a file by («DWG», «1CD»)
    plausible = 0 < len(extension) <= 8 and extension.isalnum() and not extension.isdigit()
    return f"файл {extension.upper()}" if plausible else UNKNOWN_TYPE


def _looks_like_bmp(data: bytes) -> bool:
    # "BM" alone starts plenty of text files; require a known DIB header size and a
    # pixel offset past the headers before calling it a bitmap.
    if len(data) < 26 or not data.startswith(b"BM"):
        return False
    pixel_offset = int.from_bytes(data[10:14], "little")
    dib_size = int.from_bytes(data[14:18], "little")
    return dib_size in _BMP_DIB_SIZES and pixel_offset >= 14 + dib_size


_MAX_NAME_CHARS = 150
_MAX_NAME_BYTES = 255  # NAME_MAX of Linux filesystems; 150 Cyrillic letters are 300 bytes
_MAX_EXTENSION_CHARS = 16
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}  # controls, bidi overrides, surrogates
_WINDOWS_FORBIDDEN = str.maketrans({c: "_" for c in '<>:"|?*'})  # staff save on Windows
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)
}


def sanitize_filename(name: str | None, fallback: str = "attachment") -> str:
    """A bare file name safe to show and store: no path, controls, leading dot; never empty."""
    return _clean_name(name or "") or _clean_name(fallback) or "attachment"


def _clean_name(name: str) -> str:
    name = unicodedata.normalize("NFC", name)
    # Both separators: Windows clients send "C:\Users\x\shot.png" as the name.
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        " " if ch.isspace() else ch
        for ch in name
        if unicodedata.category(ch) not in _DROPPED_CATEGORIES or ch.isspace()
    )
    name = re.sub(r" {2,}", " ", name.translate(_WINDOWS_FORBIDDEN))
    # Leading dots hide files and make "..": trailing dots/spaces Windows silently drops.
    name = name.lstrip(". ").rstrip(". ")
    if name.split(".", 1)[0].upper() in _WINDOWS_RESERVED:
        name = "_" + name
    return _truncate(name)


def _truncate(name: str) -> str:
    if len(name) <= _MAX_NAME_CHARS and len(name.encode("utf-8")) <= _MAX_NAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    if not (dot and stem and len(extension) < _MAX_EXTENSION_CHARS):
        stem, extension = name, ""
    else:
        extension = "." + extension
    stem = stem[: _MAX_NAME_CHARS - len(extension)]
    byte_budget = _MAX_NAME_BYTES - len(extension.encode("utf-8"))
    # Cut on bytes without splitting a multi-byte character.
    stem = stem.encode("utf-8")[:byte_budget].decode("utf-8", "ignore").rstrip(". ")
    return stem + extension if stem else extension.lstrip(".")


def numbered(name: str, n: int) -> str:
    """A clean name's n-th copy, as Windows names one: «image (2).jpeg», within the
    same length limits (the stem is cut, never the number or the extension)."""
    stem, dot, extension = name.rpartition(".")
    if not (dot and stem and len(extension) < _MAX_EXTENSION_CHARS):
        stem, extension = name, ""
    suffix = f" ({n})" + (f".{extension}" if extension else "")
    stem = stem[: _MAX_NAME_CHARS - len(suffix)]
    budget = _MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    return stem.encode("utf-8")[:budget].decode("utf-8", "ignore") + suffix


def size_text(n: float) -> str:
    """A size as people read it: bytes, КБ, МБ with one decimal (a Russian comma). The
    unit is chosen after rounding, so a few bytes under 1 MB read «1,0 МБ», not «1024,0 КБ»."""
    if n < 1024:
        return ru_count(int(n), "байт", "байта", "байт")
    value, unit = n / 1024, "КБ"
    if round(value, 1) >= 1024:
        value, unit = n / MB, "МБ"
    text = f"{value:.0f}" if value == int(value) else f"{value:.1f}".replace(".", ",")
    return f"{text} {unit}"


def size_words(n: float) -> str:
    """size_text in a sentence a line may wrap in (a refusal): «10 МБ» with a no-break
    space (NBSP), so the number never ends one line and its unit starts the next."""
    return size_text(n).replace(" ", NBSP)
