"""An encrypted letter told from an encrypted file: the one rule for what the customer
and staff are told when mail comes encrypted. Pure.

Whether a part is encrypted is domain.attachments' (PGP armour, a p7m whose CMS is no
SignedData). Where it stood is domain.mimeparts' (RawAttachment.letter): in the
letter's own place (the whole body of the mail, the encrypted body of a PGP/MIME
multipart/encrypted, an inline PGP block cut out of the letter's text) or beside a
text, as a file is attached. An encrypted part in the letter's place is the letter
itself: the customer wrote, attached nothing, and support holds no key to read it,
so they are asked for the letter again without encryption, not told that a file of
theirs was refused; staff read that the letter is encrypted, not «(пустое письмо)»
(empty_text, which names the files of a mail that carried only files).
An encrypted file beside a readable text (or in a mail forwarded in it) stays a file
refused as encrypted (unproven.ENCRYPTED_TEXT).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from maild.domain import cms
from maild.domain.attachments import AttachmentDecision
from maild.domain.plural import ru_count

__all__ = ["LETTER", "empty_text", "judged", "letter_scheme"]

LETTER = "encrypted_letter"  # the kind of a decision on the encrypted letter itself
FILE = "encrypted"  # domain.attachments' kind of a file refused as encrypted


def _scheme(decision: AttachmentDecision) -> str:
    """How it was encrypted, as the customer's mail client names it: S/MIME's smime.p7m
    (application/pkcs7-mime), else PGP (PGP/MIME's encrypted.asc, an inline block)."""
    name = decision.filename.lower()
    p7m = decision.content_type in cms.P7M_TYPES or name.endswith(".p7m")
    return "S/MIME" if p7m else "PGP"


def _letter_reason(scheme: str) -> str:
    return (
        f"Письмо пришло зашифрованным ({scheme}): прочесть его служба поддержки не может. "
        "Пришлите, пожалуйста, текст письма без шифрования."
    )


def judged(
    decisions: Sequence[AttachmentDecision], in_letters_place: Sequence[bool]
) -> list[AttachmentDecision]:
    """``decisions`` with each encrypted part that stood in the letter's place
    (``in_letters_place``, one flag per decision) judged as the letter: kind LETTER,
    its reason naming the letter, not a file. Every other decision as it was."""
    return [
        replace(d, kind=LETTER, reason=_letter_reason(_scheme(d)))
        if letter and d.kind == FILE and not d.accepted
        else d
        for d, letter in zip(decisions, in_letters_place, strict=True)
    ]


def letter_scheme(decisions: Iterable[AttachmentDecision]) -> str | None:
    """How the letter itself came encrypted ("PGP" or "S/MIME": a decision judged as
    the letter), or None when it did not."""
    return next((_scheme(d) for d in decisions if d.kind == LETTER), None)


# the files a mail with no text names to staff, each with its verdict; the rest a count
_NAMED_FILES = 5


def empty_text(scheme: str | None, files: Sequence[AttachmentDecision] = ()) -> str:
    """What a mail to staff shows for a letter with no text of its own to read: why
    (encrypted), else what the mail carried, its ``files`` (a log sent as the whole mail,
    a screenshot alone), each accepted or not; «(пустое письмо)» only for a mail with
    nothing in it. Staff read «(пустое письмо)» under a file the desk kept or refused."""
    if scheme is not None:
        return f"(текст не прочитан: письмо зашифровано, {scheme})"
    if not files:
        return "(пустое письмо)"
    named = ", ".join(
        f"{d.filename} — {'принято' if d.accepted else 'не принято'}" for d in files[:_NAMED_FILES]
    )
    if len(files) > _NAMED_FILES:
        named += f" и ещё {ru_count(len(files) - _NAMED_FILES, 'файл', 'файла', 'файлов')}"
    if len(files) == 1:
        return f"(текста в письме нет, только вложение {named})"
    return f"(текста в письме нет, только вложения: {named})"
