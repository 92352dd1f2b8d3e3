"""Attachment screening by the regulation: screenshots as JPG/GIF/PNG, BMP only in ZIP/RAR.

Pure: gets the attachment bytes, judges them by content (magic bytes), never touches disk.
RAR is recognised by its signature only: the standard library has no RAR reader, so a
RAR archive's contents (BMP inside, nested archives, bombs) are not inspected.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "AttachmentDecision",
    "AttachmentPolicy",
    "bmp_refused",
    "decide",
    "decide_all",
    "inspect_zip",
    "sanitize_filename",
    "sniff_type",
]

MB = 1024 * 1024


@dataclass(frozen=True)
class AttachmentPolicy:
    max_attachment_bytes: int = 10 * MB
    max_message_bytes: int = 25 * MB  # total of all accepted attachments of one message
    accept_other_types: bool = False  # other types refused unless this is true
    zip_max_total_uncompressed: int = 200 * MB  # summed over nested archives too
    zip_max_ratio: float = 100.0  # uncompressed/compressed of the whole archive
    zip_max_members: int = 1000  # summed over nested archives too
    zip_max_nesting: int = 2  # zip inside zip inside zip... deeper is refused
    # The ratio is only a bomb signal for big archives: a zipped BMP screenshot of a
    # mostly blank window deflates far beyond 100x and is exactly what we ask for.
    zip_ratio_min_uncompressed: int = 50 * MB


@dataclass(frozen=True)
class AttachmentDecision:
    filename: str  # sanitised
    content_type: str  # the detected type, falling back to the declared one
    size: int
    accepted: bool
    reason: str | None  # Russian, for the customer; None when accepted
    kind: str  # "image" | "archive" | "bmp" | "other" | "mislabelled" | "empty"


JPEG, PNG, GIF, BMP = "image/jpeg", "image/png", "image/gif", "image/bmp"
ZIP, RAR = "application/zip", "application/vnd.rar"
_IMAGES = {JPEG, PNG, GIF}
_ARCHIVES = {ZIP, RAR}
_EXTENSION = {JPEG: ".jpg", PNG: ".png", GIF: ".gif", BMP: ".bmp", ZIP: ".zip", RAR: ".rar"}

# What a name or a declared type claims the file to be. Only allowed types count: a
# TIFF declared as image/tiff is honestly "other", not a disguise.
_CLAIMED_BY_EXTENSION = {
    ".jpg": "JPG",
    ".jpeg": "JPG",
    ".jpe": "JPG",
    ".png": "PNG",
    ".gif": "GIF",
    ".bmp": "BMP",
    ".zip": "ZIP",
    ".rar": "RAR",
}
_CLAIMED_BY_TYPE = {
    JPEG: "JPG",
    "image/pjpeg": "JPG",
    PNG: "PNG",
    GIF: "GIF",
    BMP: "BMP",
    "image/x-ms-bmp": "BMP",
    ZIP: "ZIP",
    "application/x-zip-compressed": "ZIP",
    RAR: "RAR",
    "application/x-rar-compressed": "RAR",
}

ALLOWED_TEXT = "Принимаются скриншоты JPG, GIF, PNG и архивы ZIP, RAR (BMP — только в архиве)."
BMP_TEXT = "Файлы BMP принимаются только в архиве ZIP или RAR"

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
    return None


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


def _size_text(n: float) -> str:
    if n >= MB:
        value, unit = n / MB, "МБ"
    elif n >= 1024:
        value, unit = n / 1024, "КБ"
    else:
        return f"{int(n)} байт"
    text = f"{value:.0f}" if value == int(value) else f"{value:.1f}".replace(".", ",")
    return f"{text} {unit}"


@dataclass
class _ZipBudget:
    """Counts shared by an archive and everything nested in it: a bomb may be split up."""

    members: int = 0
    uncompressed: int = 0


def inspect_zip(data: bytes, policy: AttachmentPolicy, depth: int = 0) -> str | None:
    """None when the ZIP is fine to keep, else why not (Russian). Lists, never extracts.

    Only archives nested inside are read, each bounded by max_attachment_bytes.
    Encrypted members are fine: their listing is still readable.
    """
    finding = _inspect_zip(data, policy, depth, _ZipBudget())
    if finding is None:
        return None
    where, reason = finding
    if not where:
        return reason
    return f"Вложенный архив «{where}»: {reason[0].lower()}{reason[1:]}"


# (path of the nested archive at fault, "" for the archive itself; the reason)
_Finding = tuple[str, str]


def _inspect_zip(
    data: bytes, policy: AttachmentPolicy, depth: int, budget: _ZipBudget
) -> _Finding | None:
    if depth > policy.zip_max_nesting:
        return "", _nesting_text(policy)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            reason = _check_listing(infos, len(data), policy, budget)
            if reason is not None:
                return "", reason
            for info in infos:
                finding = _check_nested(archive, info, policy, depth, budget)
                if finding is not None:
                    return finding
    except Exception:
        # Hostile bytes reach zipfile here and it fails in many ways (BadZipFile,
        # ValueError, EOFError, zlib.error, struct.error...): all mean "cannot read".
        return "", "Архив ZIP повреждён или не читается."
    return None


def _check_listing(
    infos: list[zipfile.ZipInfo], length: int, policy: AttachmentPolicy, budget: _ZipBudget
) -> str | None:
    budget.members += len(infos)
    if budget.members > policy.zip_max_members:
        return (
            f"В архиве слишком много файлов ({budget.members}), "
            f"допустимо не более {policy.zip_max_members}."
        )
    # Declared sizes from the central directory: what an unpacker would produce.
    unpacked = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    budget.uncompressed += unpacked
    if budget.uncompressed > policy.zip_max_total_uncompressed:
        return (
            f"Архив слишком велик в распакованном виде ({_size_text(budget.uncompressed)}), "
            f"допустимо не более {_size_text(policy.zip_max_total_uncompressed)}."
        )
    # Members sharing compressed data (the overlapping "zip bomb") claim more packed
    # bytes than the archive has; a sound archive never does.
    if packed > length:
        return "Архив устроен подозрительно (записи перекрываются) и похож на zip-бомбу."
    if unpacked >= policy.zip_ratio_min_uncompressed:
        # Against the archive's own length too: headers can lie, len(data) cannot.
        ratio = max(unpacked / max(1, packed), unpacked / max(1, length))
        if ratio > policy.zip_max_ratio:
            return (
                f"Архив подозрительно сильно сжат (в {ratio:.0f} раз, "
                f"допустимо не более {policy.zip_max_ratio:g}) и похож на zip-бомбу."
            )
    return None


def _check_nested(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    policy: AttachmentPolicy,
    depth: int,
    budget: _ZipBudget,
) -> _Finding | None:
    # Encrypted members cannot be read without the password: accepted as they are.
    if info.is_dir() or info.flag_bits & 0x1 or info.file_size < 4:
        return None
    try:
        with archive.open(info) as member:
            head = member.read(8)
    except NotImplementedError:
        return None  # a compression method zipfile lacks (Deflate64, PPMd): opaque
    if sniff_type(head) != ZIP:
        return None
    member_name = sanitize_filename(info.filename)
    if depth + 1 > policy.zip_max_nesting:
        return member_name, _nesting_text(policy)
    if info.file_size > policy.max_attachment_bytes:
        return member_name, "Слишком велик для проверки."
    with archive.open(info) as member:
        # ZipExtFile stops at the declared size anyway; the bound is belt and braces.
        inner = member.read(policy.max_attachment_bytes + 1)
    finding = _inspect_zip(inner, policy, depth + 1, budget)
    if finding is None:
        return None
    where, reason = finding
    return (f"{member_name}/{where}" if where else member_name), reason


def _nesting_text(policy: AttachmentPolicy) -> str:
    return (
        "Слишком глубокая вложенность архивов "
        f"(допустимо не более {policy.zip_max_nesting} уровней архив в архиве)."
    )


def _kind(detected: str | None) -> str:
    if detected in _IMAGES:
        return "image"
    if detected in _ARCHIVES:
        return "archive"
    if detected == BMP:
        return "bmp"
    return "other"


def _declared(declared_type: str | None) -> str | None:
    # "image/png; name=x.png" -> "image/png"; junk from the header is not a type.
    value = (declared_type or "").split(";", 1)[0].strip().lower()
    return value if re.fullmatch(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+", value) else None


def _claim(filename: str, declared: str | None) -> str | None:
    extension = filename[filename.rfind(".") :].lower() if "." in filename else ""
    return _CLAIMED_BY_EXTENSION.get(extension) or _CLAIMED_BY_TYPE.get(declared or "")


def decide(
    filename: str | None,
    declared_type: str | None,
    data: bytes,
    policy: AttachmentPolicy,
    already_accepted_bytes: int = 0,
) -> AttachmentDecision:
    """Judge one attachment by its content; already_accepted_bytes counts its message so far."""
    decision, _ = _decide(filename, declared_type, data, policy, already_accepted_bytes, False)
    return decision


def decide_all(
    parts: Iterable[tuple[str | None, str | None, bytes]], policy: AttachmentPolicy
) -> list[AttachmentDecision]:
    """Judge a message's attachments in order (filename, declared type, bytes).

    Once one would push the message past max_message_bytes, every later acceptable
    attachment is refused too, so the customer gets one clear "send the rest separately".
    """
    decisions: list[AttachmentDecision] = []
    accepted_bytes = 0
    full = False
    for filename, declared_type, data in parts:
        decision, over_total = _decide(filename, declared_type, data, policy, accepted_bytes, full)
        full = full or over_total
        if decision.accepted:
            accepted_bytes += decision.size
        decisions.append(decision)
    return decisions


def bmp_refused(decisions: Iterable[AttachmentDecision]) -> bool:
    """True when a bare BMP was refused: the confirmation then asks to send it zipped."""
    return any(d.kind == "bmp" and not d.accepted for d in decisions)


def _decide(
    filename: str | None,
    declared_type: str | None,
    data: bytes,
    policy: AttachmentPolicy,
    already_accepted_bytes: int,
    message_full: bool,
) -> tuple[AttachmentDecision, bool]:
    detected = sniff_type(data)
    declared = _declared(declared_type)
    kind = _kind(detected)
    name = sanitize_filename(filename, "attachment" + _EXTENSION.get(detected or "", ""))
    content_type = detected or declared or "application/octet-stream"
    size = len(data)

    def refuse(reason: str, refused_kind: str = kind) -> AttachmentDecision:
        return AttachmentDecision(name, content_type, size, False, reason, refused_kind)

    if size == 0:
        return refuse(f"Файл «{name}» пуст.", "empty"), False
    if kind == "bmp":
        return refuse(f"{BMP_TEXT}: упакуйте «{name}» архиватором и пришлите снова."), False
    if size > policy.max_attachment_bytes:
        return refuse(
            f"Файл «{name}» слишком велик ({_size_text(size)}): допустимо не более "
            f"{_size_text(policy.max_attachment_bytes)} на одно вложение."
        ), False
    if detected is None:
        claim = _claim(name, declared)
        if claim is not None:
            # A disguise is refused even when other types are welcome.
            return refuse(
                f"Файл «{name}» назван как {claim}, но по содержимому им не является. "
                + ALLOWED_TEXT,
                "mislabelled",
            ), False
        if not policy.accept_other_types:
            return refuse(f"Файл «{name}» ({content_type}) не принят. " + ALLOWED_TEXT), False
    elif detected == ZIP:
        zip_reason = inspect_zip(data, policy)
        if zip_reason is not None:
            return refuse(f"Архив «{name}» не принят. {zip_reason}"), False
    if message_full or already_accepted_bytes + size > policy.max_message_bytes:
        return refuse(
            f"Превышен общий объём вложений одного письма "
            f"({_size_text(policy.max_message_bytes)}): файл «{name}» не принят, "
            "пришлите его отдельным письмом."
        ), True
    return AttachmentDecision(name, content_type, size, True, None, kind), False
