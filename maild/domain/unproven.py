"""Why a file whose bytes prove no type the rules take is refused, and what the customer
is to send instead (attachments.decide asks when sniff_type knows none). Pure.

A picture or archive of a format no type of the rule's tables is (filerules.TYPES; the
formats filetypes.picture_format and archive_format name: an iPhone's photo, a picture
saved from a site, often named .jpg, 7-Zip's own) is named, and how to send it: its name
or MIME type alone told the customer nothing («назван как JPG, но по содержимому им не
является», «(application/x-7z-compressed)»). Any other file (a PDF, a log, Outlook's
.msg) is named by its type in words (filetypes.type_name) and asked for packed in a ZIP
or RAR, which carries it: no reason named a way to send it.

Each refusal comes with its words for several files refused alike (`alike`, naming
none): a confirmation lists them in one line (domain.refusedlines).
"""

from __future__ import annotations

from typing import NamedTuple

from maild.domain import cms
from maild.domain.filerules import (
    ALLOWED_TEXT,
    CONVERT_FILES_TEXT,
    CONVERT_TEXT,
    PACK_FILES_TEXT,
    PACK_TEXT,
    TYPES,
)
from maild.domain.filetypes import NBSP, archive_format, picture_format, type_name

__all__ = [
    "CONVERT_TEXT",
    "ENCRYPTED_TEXT",
    "REPACK_TEXT",
    "UNREADABLE_P7M_TEXT",
    "Refusal",
    "claim_words",
    "claimed",
    "unproven",
]


class Refusal(NamedTuple):
    reason: str  # Russian, for the customer, the file named
    kind: str  # AttachmentDecision.kind
    alike: str | None = None  # the reason of several refused so, naming none; None: alone


# What a name or a declared type claims the file to be (its word, filerules.NAMES):
# only the types the rule names count (filerules.TYPES), a TIFF declared as image/tiff
# is honestly "other", not a disguise.
_CLAIMED_BY_EXTENSION = {e: spec.name for spec in TYPES.values() for e in spec.extensions}
_CLAIMED_BY_TYPE = {
    declared: spec.name for kind, spec in TYPES.items() for declared in (kind, *spec.aliases)
}

# ALLOWED_TEXT, PACK_TEXT, CONVERT_TEXT: the rule in words, filerules.py's
REPACK_TEXT = PACK_FILES_TEXT  # an archive of another format: its files packed again
# An encrypted letter (S/MIME, PGP/MIME, inline PGP): support holds no customer's key.
ENCRYPTED_TEXT = (
    "зашифрован (S/MIME или PGP): прочесть его служба поддержки не может. "
    "Пришлите, пожалуйста, текст и файлы без шифрования."
)
# An S/MIME p7m that is neither encrypted nor a SignedData that reads (domain.cms): cut
# short on the way, or garbage. A signed letter that reads is no file (domain.smime).
UNREADABLE_P7M_TEXT = (
    "(письмо или файл с электронной подписью S/MIME) прочесть не удалось: он повреждён "
    "или пришёл не полностью. Пришлите его, пожалуйста, ещё раз."
)


def unproven(
    name: str, declared: str | None, data: bytes, content_type: str, accept_other: bool
) -> Refusal | None:
    """Why a file of no type the rules know is refused, or None when other types are
    welcome (``accept_other``: a staff answer's files). A disguise is refused even then."""
    known = _known_format(data)
    claim = claim_words(name, declared)
    if claim is not None:
        really = f": это {known[0]}" if known else ""
        return Refusal(
            f"Файл{NBSP}«{name}» {claim}, но по содержимому им не является{really}. "
            + ALLOWED_TEXT
            + (f" {known[1]}" if known else ""),
            "mislabelled",
        )
    if accept_other:
        return None
    if _encrypted(name, declared, data):
        return Refusal(f"Файл{NBSP}«{name}» {ENCRYPTED_TEXT}", "encrypted")
    if _unreadable_p7m(name, declared, data):
        return Refusal(f"Файл{NBSP}«{name}» {UNREADABLE_P7M_TEXT}", "corrupt")
    # any other file an archive carries as it is: the customer is asked to pack it
    what, advice, advice_alike = known or (type_name(content_type, name), PACK_TEXT, REPACK_TEXT)
    return Refusal(
        f"Файл{NBSP}«{name}» ({what}) не принят. {ALLOWED_TEXT} {advice}",
        "other",
        f"Эти файлы ({what}) не приняты. {ALLOWED_TEXT} {advice_alike}",
    )


def _known_format(data: bytes) -> tuple[str, str, str] | None:
    """(what the file is, what to send instead, and of several) for a picture or
    archive the bytes prove to be of a format the rules do not take."""
    if picture := picture_format(data):
        return f"изображение {picture}", CONVERT_TEXT, CONVERT_FILES_TEXT
    if packed := archive_format(data):
        return f"архив {packed}", REPACK_TEXT, REPACK_TEXT
    return None


def claimed(filename: str, declared: str | None) -> str | None:
    """The type of the rules a file's name (its extension), else its declared type,
    says it is («JPG»), or None."""
    extension = filename[filename.rfind(".") :].lower() if "." in filename else ""
    return _CLAIMED_BY_EXTENSION.get(extension) or _CLAIMED_BY_TYPE.get(declared or "")


def claim_words(filename: str, declared: str | None) -> str | None:
    """What the file was claimed to be, as the customer's line says it: «назван как JPG»
    by its name's extension, «отправлен как JPG» by its declared type alone (a file named
    «screen» was named no JPG: its mail program sent it as one); None when nothing claims."""
    claim = claimed(filename, declared)
    if claim is None:
        return None
    extension = filename[filename.rfind(".") :].lower() if "." in filename else ""
    return f"{'назван' if extension in _CLAIMED_BY_EXTENSION else 'отправлен'} как {claim}"


def _p7m(name: str, declared: str | None) -> bool:
    return declared in cms.P7M_TYPES or (
        declared in (None, "application/octet-stream") and name.lower().endswith(".p7m")
    )


def _encrypted(name: str, declared: str | None, data: bytes) -> bool:
    """Sent encrypted: PGP, or an S/MIME p7m that holds no SignedData (smime-type is
    not trusted: a signed letter said to be signed is not encrypted, and the bytes tell)."""
    if _p7m(name, declared):
        return cms.kind(data) == cms.ENCRYPTED
    return declared == "application/pgp-encrypted" or data[:64].lstrip().startswith(
        b"-----BEGIN PGP MESSAGE"
    )


def _unreadable_p7m(name: str, declared: str | None, data: bytes) -> bool:
    """An S/MIME p7m, not encrypted, whose SignedData cannot be read."""
    if not _p7m(name, declared):
        return False
    try:
        cms.signed_content(data)
    except cms.NoContent:  # a signature or certificates alone: judged by its type
        return False
    except cms.CmsError:
        return True
    return False  # a file signed on its own (договор.pdf.p7m): judged by its type
