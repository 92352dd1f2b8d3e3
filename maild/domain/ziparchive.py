"""ZIP archives judged by their listing: member count, unpacked size, compression
ratio, overlapping members, nesting. Lists, never extracts; pure (bytes in, reason out).
"""

from __future__ import annotations

import io
import posixpath
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Protocol

from maild.domain.filetypes import ZIP, sanitize_filename, size_words, sniff_type
from maild.domain.plural import ru_plural

__all__ = ["ZipLimits", "inspect_zip"]

# A "zip bomb" (compressed too well, or members sharing their packed bytes): the
# customer is told what to do, not what we suspect their archive of
UNCHECKABLE = (
    "Архив сжат необычно сильно, поэтому проверить его нельзя: пришлите, пожалуйста, "
    "файлы без архива или частями."
)


class ZipLimits(Protocol):
    """The limits inspect_zip applies (domain.attachments.AttachmentPolicy has them)."""

    @property
    def max_attachment_bytes(self) -> int: ...
    @property
    def zip_max_total_uncompressed(self) -> int: ...
    @property
    def zip_max_ratio(self) -> float: ...
    @property
    def zip_max_members(self) -> int: ...
    @property
    def zip_max_nesting(self) -> int: ...
    @property
    def zip_ratio_min_uncompressed(self) -> int: ...


@dataclass
class _ZipBudget:
    """Counts shared by an archive and everything nested in it: a bomb may be split up."""

    members: int = 0
    uncompressed: int = 0


def inspect_zip(data: bytes, policy: ZipLimits, depth: int = 0) -> str | None:
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


def _inspect_zip(data: bytes, policy: ZipLimits, depth: int, budget: _ZipBudget) -> _Finding | None:
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
    infos: list[zipfile.ZipInfo], length: int, policy: ZipLimits, budget: _ZipBudget
) -> str | None:
    budget.members += len(infos)
    if budget.members > policy.zip_max_members:
        return (
            f"В архиве слишком много файлов ({budget.members}), "
            f"допустимо не более {policy.zip_max_members}."
        )
    escaping = next((info for info in infos if _escapes(info.filename)), None)
    if escaping is not None:
        return (
            f"В архиве есть файл с небезопасным путём («{_shown_path(escaping)}»): "
            "при распаковке он был бы записан вне папки архива. Упакуйте, пожалуйста, "
            "файлы заново."
        )
    # Declared sizes from the central directory: what an unpacker would produce.
    unpacked = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    budget.uncompressed += unpacked
    if budget.uncompressed > policy.zip_max_total_uncompressed:
        return (
            f"Архив слишком велик в распакованном виде ({size_words(budget.uncompressed)}), "
            f"допустимо не более {size_words(policy.zip_max_total_uncompressed)}."
        )
    # Members sharing compressed data (the overlapping "zip bomb") claim more packed
    # bytes than the archive has; a sound archive never does.
    if packed > length:
        return UNCHECKABLE
    if unpacked >= policy.zip_ratio_min_uncompressed:
        # Against the archive's own length too: headers can lie, len(data) cannot.
        ratio = max(unpacked / max(1, packed), unpacked / max(1, length))
        if ratio > policy.zip_max_ratio:
            return UNCHECKABLE
    return None


def _check_nested(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    policy: ZipLimits,
    depth: int,
    budget: _ZipBudget,
) -> _Finding | None:
    # Encrypted members cannot be read without the password: accepted as they are.
    if _is_link(info) and not info.flag_bits & 0x1:
        return _link_out(archive, info)
    if info.is_dir() or info.flag_bits & 0x1 or info.file_size < 4:
        return None
    try:
        with archive.open(info) as member:
            head = member.read(8)
    except NotImplementedError:
        return None  # a compression method zipfile lacks (Deflate64, PPMd): opaque
    if sniff_type(head) != ZIP:
        return None
    member_name = sanitize_filename(_member_name(info))
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


def _escapes(name: str) -> bool:
    """A member path that unpacks outside the folder it is unpacked in: an absolute
    path, a drive, or a ".." step ("../../etc/passwd"). No archiver writes one of its
    own: zip, 7-Zip, WinRAR and Explorer store relative paths; only a hostile archive
    ("zip slip") or a hand-made one has it, and an old unpacker writes where it says."""
    path = name.replace("\\", "/")
    drive = re.match(r"[A-Za-z]:(/|$)", path) is not None  # «C:/...», not «1:1.png»
    return path.startswith("/") or drive or ".." in path.split("/")


_UNIX = 3  # ZipInfo.create_system of an archive made on Unix or macOS
_LINK_MODE = 0o120000  # S_IFLNK in the high 16 bits of external_attr


def _is_link(info: zipfile.ZipInfo) -> bool:
    return info.create_system == _UNIX and (info.external_attr >> 16) & 0o170000 == _LINK_MODE


def _link_out(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> _Finding | None:
    """A symbolic link (zip -y, macOS's Archive Utility) pointing outside the archive's
    folder: a file an unpacker writes through it after it lands there, as with a ".."
    path. A link within the folder (an app bundle's Versions/Current) is fine."""
    with archive.open(info) as member:
        target = member.read(1024).decode("utf-8", "replace")
    where = posixpath.normpath(posixpath.join(posixpath.dirname(info.filename), target))
    if not _escapes(where):
        return None
    shown = _shown(f"{_member_name(info)} → {target}")[:100]
    return "", (
        f"В архиве есть ссылка с небезопасным путём («{shown}»): при распаковке через неё "
        "файлы были бы записаны вне папки архива. Упакуйте, пожалуйста, файлы заново."
    )


def _shown_path(info: zipfile.ZipInfo) -> str:
    """A member's path for a sentence (_shown), at most 100 characters of it."""
    path = _shown(_member_name(info))
    return path if len(path) <= 100 else path[:99] + "…"


def _shown(text: str) -> str:
    """`text` as written, for a sentence on one line: without the characters
    str.isprintable() refuses (controls, line breaks, bidi overrides) but the spaces.
    It refuses every space but U+0020 too, and «Скриншот\u00a0ошибки.bmp» (a no-break
    space, as Word and the site's fields keep it) was shown as «Скриншотошибки.bmp»."""
    return "".join(c for c in text if c.isprintable() or unicodedata.category(c) == "Zs")


_UTF8_NAME = 0x800  # general purpose flag bit 11: the name is UTF-8


def _member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as its archiver wrote it. Without the UTF-8 flag zipfile reads the
    name as cp437, but Windows Explorer, WinRAR and 7-Zip on a Russian Windows write the
    DOS code page cp866 there, and macOS's Archive Utility writes UTF-8 unflagged:
    «Отчёт.zip» read as cp437 is «ÄΓτ±Γ.zip»."""
    if info.flag_bits & _UTF8_NAME:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:  # not what zipfile's cp437 reading gives: keep it
        return info.filename
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp866")


def _nesting_text(policy: ZipLimits) -> str:
    n = policy.zip_max_nesting  # "не более" asks for the genitive: 1 уровня, 3 уровней
    return (
        "Слишком глубокая вложенность архивов "
        f"(допустимо не более {n} {ru_plural(n, 'уровня', 'уровней', 'уровней')} архив в архиве)."
    )
