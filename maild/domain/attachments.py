"""Attachment screening by the regulation's file rule (domain/filerules.py holds it: the
pictures taken as they come, the archives, the pictures taken only inside an archive).

Pure: gets the attachment bytes, judges them by content (magic bytes, domain.filetypes;
ZIP listings, domain.ziparchive), never touches disk.
RAR is recognised by its signature only: the standard library has no RAR reader, so a
RAR archive's contents (BMP inside, nested archives, bombs) are not inspected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from maild.domain.extensions import split_extension
from maild.domain.filerules import (
    ALLOWED_TEXT,
    ARCHIVES,
    BMP_TEXT,
    IMAGES,
    NAMES,
    PASTED_ALIKE_TEXT,
    PASTED_TEXT,
    TYPES,
    UPLOAD_TEXT,
    ZIP,
    ZIPPED_ONLY,
)
from maild.domain.filetypes import (
    CALENDAR,
    MB,
    NBSP,
    cut_short,
    numbered,
    sanitize_filename,
    size_words,
    sniff_type,
    type_by_extension,
)
from maild.domain.unproven import (
    UNREADABLE_P7M_TEXT,
    Refusal,
    claim_words,
    claimed,
    unproven,
)
from maild.domain.ziparchive import inspect_zip

__all__ = [
    "ALLOWED_TEXT",
    "BMP_TEXT",
    "UNREADABLE_P7M_TEXT",
    "UPLOAD_TEXT",
    "AttachmentDecision",
    "AttachmentPolicy",
    "bmp_refused",
    "decide",
    "decide_all",
    "inspect_zip",
    "sanitize_filename",
    "sniff_type",
    "upload_accept",
]


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
    # "image" | "archive" | "bmp" | "calendar" | "other" | "mislabelled" | "empty"
    # | "encrypted" | "corrupt"
    kind: str
    # the reason of several files refused alike, naming none (a confirmation lists them
    # in one line: domain.refusedlines); None: told file by file (a size, a fault its own)
    alike: str | None = None
    # a bare BMP pasted into the text (or sent with no name): its name is none the
    # customer gave it, so the confirmation names it as a picture in the text (as_pasted)
    pasted: bool = False


_IMAGES = frozenset(IMAGES)  # the rule's tables (filerules.py), as sets to look up
_ARCHIVES = frozenset(ARCHIVES)
# the extension a file of a type is given (filerules.TYPES: the first of its type's)
_EXTENSION = {**{kind: spec.extensions[0] for kind, spec in TYPES.items()}, CALENDAR: ".ics"}
# A calendar its bytes prove (an invitation from Outlook, Teams, Google) is kept as the
# other proven types are: no screenshot, but no file the regulation refuses either, it
# is how the sender's client asks for a meeting, and opens in staff's calendar. One
# without a name is named as what it is, not «attachment».
_UNNAMED = {CALENDAR: "invite.ics"}

# Office Open XML (with macros and templates), OpenDocument, EPUB and XPS documents are
# ZIP archives by their bytes and keep their names; a program (.jar, .apk) is named .zip.
_ZIP_DOCUMENTS = (
    ".docx", ".docm", ".dotx", ".dotm", ".xlsx", ".xlsm", ".xltx", ".xltm",
    ".pptx", ".pptm", ".potx", ".ppsx", ".vsdx",
    ".odt", ".ods", ".odp", ".odg", ".ott", ".ots", ".otp", ".epub", ".xps", ".oxps",
)  # fmt: skip
# The extensions a file of a type may keep: an accepted file named otherwise is named by
# its type (_named_as_what_it_is). Every type the rule names has its entry from
# filerules.TYPES: without, a JPEG named shot.bat would stay so.
_KEPT_EXTENSIONS = {
    **{kind: frozenset(spec.extensions) for kind, spec in TYPES.items()},
    ZIP: frozenset((*TYPES[ZIP].extensions, *_ZIP_DOCUMENTS)),
    CALENDAR: frozenset((".ics", ".ical", ".icalendar", ".ifb", ".vcs")),
}
# The types of documents built on a ZIP archive (the Content-Type Office and
# LibreOffice give them): such a file goes on and is listed with its own type, its
# bytes proving only the archive under it (Прайс.xlsx reached the customer as
# application/zip, and opened as an archive); the archive checks still judge it.
_ZIP_DOCUMENT_TYPES = (
    "application/vnd.openxmlformats-officedocument.", "application/vnd.ms-word.",
    "application/vnd.ms-excel.", "application/vnd.ms-powerpoint.", "application/vnd.ms-visio.",
    "application/vnd.oasis.opendocument.", "application/epub+zip",
    "application/vnd.ms-xpsdocument", "application/oxps",
)  # fmt: skip


def _kind(detected: str | None) -> str:
    if detected in _IMAGES:
        return "image"
    if detected in _ARCHIVES:
        return "archive"
    if detected in ZIPPED_ONLY:  # a picture taken only in an archive
        return "bmp"
    return "calendar" if detected == CALENDAR else "other"


def _declared(declared_type: str | None) -> str | None:
    # "image/png; name=x.png" -> "image/png"; junk from the header is not a type.
    value = (declared_type or "").split(";", 1)[0].strip().lower()
    return value if re.fullmatch(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+", value) else None


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
    parts: Iterable[tuple[str | None, str | None, bytes]],
    policy: AttachmentPolicy,
    pasted: Sequence[bool] = (),
) -> list[AttachmentDecision]:
    """Judge a message's attachments in order (filename, declared type, bytes); those
    ``pasted`` flags (a picture the HTML text shows in place, a part with no name)
    refused as bare BMPs are told as pictures in the text (as_pasted).

    Once one would push the message past max_message_bytes, every later acceptable
    attachment is refused too, so the customer gets one clear "send the rest separately".
    Files kept have names of their own (_Names).
    """
    decisions: list[AttachmentDecision] = []
    accepted_bytes = 0
    full = False
    names = _Names()
    for filename, declared_type, data in parts:
        decision, over_total = _decide(filename, declared_type, data, policy, accepted_bytes, full)
        full = full or over_total
        if decision.accepted:
            accepted_bytes += decision.size
            decision = replace(decision, filename=names.own(decision.filename))
        elif len(decisions) < len(pasted) and pasted[len(decisions)]:
            decision = as_pasted(decision)
        decisions.append(decision)
    return decisions


def as_pasted(decision: AttachmentDecision) -> AttachmentDecision:
    """A refused bare BMP the customer pasted into the text (Outlook's HTML names it
    image001.bmp) or sent with no name («attachment.bmp»): refused as a bare BMP is,
    but the customer never attached a file so named. Its reason asks for the picture
    again (filerules.PASTED_TEXT); the confirmation's line names it as a picture in the
    text (refusedlines). Any other refusal stays as it is."""
    if decision.kind != "bmp":
        return decision
    return replace(decision, reason=PASTED_TEXT, alike=PASTED_ALIKE_TEXT, pasted=True)


class _Names:
    """Names of the files kept from one message, each its own: iPhone's Mail names every
    photo it sends «image.jpeg», and staff saving them into one folder (or a ticket's
    list naming them) kept one of five. The second is «image (2).jpeg», as Windows names
    a copy; names differing only in case are the same name on Windows."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.next: dict[str, int] = {}  # a name -> the number its next copy tries

    def own(self, name: str) -> str:
        key = name.casefold()
        candidate, n = name, self.next.get(key, 2)
        while candidate.casefold() in self.taken:
            candidate, n = numbered(name, n), n + 1
        self.next[key] = n
        self.taken.add(candidate.casefold())
        return candidate


def upload_accept(policy: AttachmentPolicy) -> tuple[str, str]:
    """What a file picker offers by these rules (`accept`: extensions and types; ""
    takes any file) and the words that name them ("" with any)."""
    if policy.accept_other_types:
        return "", ""
    images = sorted(_IMAGES)
    extensions = sorted({e for t in images for e in _KEPT_EXTENSIONS[t]})
    extensions += [_EXTENSION[t] for t in ARCHIVES]
    return ",".join(extensions + images), UPLOAD_TEXT


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
    unnamed = _UNNAMED.get(detected or "", "attachment" + _EXTENSION.get(detected or "", ""))
    name = sanitize_filename(filename, unnamed)
    content_type = _zip_document(name, detected, declared) or detected or declared
    content_type = content_type or "application/octet-stream"
    size = len(data)

    def refuse(why: Refusal) -> AttachmentDecision:
        return AttachmentDecision(name, content_type, size, False, *why)

    refusal = _faulty(name, data, detected, declared, kind, policy)
    if refusal is None and detected is None:
        refusal = unproven(name, declared, data, content_type, policy.accept_other_types)
    elif refusal is None and detected == ZIP and (zip_reason := inspect_zip(data, policy)):
        refusal = Refusal(f"Архив{NBSP}«{name}» не принят. {zip_reason}", kind)
    if refusal is not None:
        return refuse(refusal), False
    if message_full or already_accepted_bytes + size > policy.max_message_bytes:
        total = size_words(policy.max_message_bytes)
        return refuse(
            Refusal(
                f"Превышен общий объём вложений одного письма ({total}): "
                f"файл{NBSP}«{name}» не принят, пришлите его отдельным письмом.",
                kind,
                f"Превышен общий объём вложений одного письма ({total}): эти файлы "
                "не приняты, пришлите их отдельным письмом.",
            )
        ), True
    accepted_name = _named_as_what_it_is(name, detected)
    return AttachmentDecision(accepted_name, content_type, size, True, None, kind), False


def _faulty(
    name: str,
    data: bytes,
    detected: str | None,
    declared: str | None,
    kind: str,
    policy: AttachmentPolicy,
) -> Refusal | None:
    """Why a file is refused whatever its type: empty, too big, cut short; or a bare
    BMP (and what else its name or declared type says it is). None when it is none."""
    if not data:
        return Refusal(
            f"Файл{NBSP}«{name}» пуст (0{NBSP}байт): видимо, он не приложился. "
            "Пришлите его, пожалуйста, ещё раз.",
            "empty",
            f"Эти файлы пусты (0{NBSP}байт): видимо, они не приложились. "
            "Пришлите их, пожалуйста, ещё раз.",
        )
    if kind == "bmp":
        # listed after the file's name («shot.bmp: Файлы BMP ...»): it is not said again
        claim, really = claimed(name, declared), NAMES.get(detected or "")
        if claim not in (None, really):  # a BMP named shot.jpg: both are said
            return Refusal(
                f"Файл {claim_words(name, declared)}, но по содержимому это изображение "
                f"{really}. "
                f"{BMP_TEXT}: упакуйте файл архиватором и пришлите снова.",
                kind,
            )
        return Refusal(
            f"{BMP_TEXT}: упакуйте файл архиватором и пришлите снова.",
            kind,
            f"{BMP_TEXT}: упакуйте файлы архиватором и пришлите снова.",
        )
    if len(data) > policy.max_attachment_bytes:
        return Refusal(
            f"Файл{NBSP}«{name}» слишком велик ({size_words(len(data))}): допустимо не более "
            f"{size_words(policy.max_attachment_bytes)} на одно вложение.",
            kind,
        )
    if cut_short(data, detected):
        return Refusal(
            f"Файл{NBSP}«{name}» повреждён: изображение обрывается, не дойдя до конца "
            "(файл передан не полностью). Пришлите его, пожалуйста, ещё раз.",
            "corrupt",
            "Эти файлы повреждены: изображения обрываются, не дойдя до конца (файлы "
            "переданы не полностью). Пришлите их, пожалуйста, ещё раз.",
        )
    return None


def _zip_document(name: str, detected: str | None, declared: str | None) -> str | None:
    """The type of a document built on a ZIP archive named as one (report.docx): the
    one it came with when that is such a document's, else its name's (a client that
    said application/octet-stream); None for any other file."""
    if detected != ZIP or not name.lower().endswith(_ZIP_DOCUMENTS):
        return None
    if declared is not None and declared.startswith(_ZIP_DOCUMENT_TYPES):
        return declared
    return type_by_extension(name)


def _named_as_what_it_is(name: str, detected: str | None) -> str:
    """The name staff save and open a kept file under: its type's extension. A picture
    or archive named otherwise (IMG_0001.HEIC that is a JPEG, a screenshot.jpg that is
    a PNG, or a JPEG named shot.bat or invoice.hta, which Windows would run, as cmd and
    mshta read past a JPEG's bytes to the commands after them) would open in the
    program its name picks. A known extension is replaced; any other ending is a part
    of the name (the seconds of macOS's «Снимок экрана … в 10.15.32») and stays whole,
    the type's extension after it (domain/extensions.py)."""
    kept = _KEPT_EXTENSIONS.get(detected or "")
    if kept is None:
        return name  # a type not proven by its bytes keeps the name it came with
    stem, extension = split_extension(name)
    if extension.lower() in kept:
        return name
    return sanitize_filename(stem + _EXTENSION[detected or ""])
