"""S/MIME opaque-signed mail (RFC 8551 §3.5.2: application/pkcs7-mime or
application/x-pkcs7-mime, smime-type=signed-data, the file smime.p7m): the letter it
signs is read in its place, as a multipart/signed's first part is (domain.mimeparts).
Outlook sends it when clear-text signing is off; CryptoPro setups do too. The
signature is not checked, and is no file of the message.

Works on the email package's compat32 tree (domain.mimeparts.RAW_POLICY), in place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message
from email.policy import Policy

from maild.domain import cms
from maild.domain.forwards import open_encoded_messages
from maild.domain.header_text import filename_of
from maild.domain.mimetree import read_tree
from maild.domain.partread import content_type, payload

__all__ = ["MAX_SIGNED", "Opened", "open_signed"]

# Signed letters opened per message (a signed one inside, a signed mail forwarded): each
# is smaller than the bytes it came in, so the work stays a few times the message's.
MAX_SIGNED = 10
# A letter starts with its MIME header: a field, then Content-Type or MIME-Version among
# the fields before the first empty line (a signed document's bytes, %PDF..., do not).
_FIRST_FIELD = re.compile(rb"[!-9;-~]+[ \t]*:")
_MIME_FIELD = re.compile(rb"(?im)^(?:content-type|mime-version)[ \t]*:")
_HEAD_BYTES = 64 * 1024


@dataclass
class Opened:
    """A tree with its signed letters read in place: see open_signed."""

    root: Message
    problem: str | None = None  # why a p7m part could not be read (for staff)
    # id(letter) -> the mail whose whole body the letter was, for its headers: a mail
    # forwarded as message/rfc822 keeps its От/Дата/Тема/Кому (mimeparts.forwarded_heading)
    mails: dict[int, Message] = field(default_factory=dict)


def open_signed(msg: Message, policy: Policy) -> Opened:
    """The tree with every opaque-signed letter read in place of its p7m part, and, when
    one could not be read, why (for staff; the part then stays a file). The root comes
    back as the letter it signs when ``msg``'s own body is one. A letter that was a
    mail's whole body takes the place of that mail, whose headers the letter lacks:
    they are kept beside the tree (Opened.mails), not copied into the letter, whose
    fields would be rewritten one name at a time (each walks them all)."""
    root, problem, opened = msg, None, 0
    mails: dict[int, Message] = {}
    # (part, the list holding it: None for the root, its index, whether it is a mail's body)
    stack: list[tuple[Message, list | None, int, bool]] = [(msg, None, 0, True)]
    while stack:
        part, siblings, index, body = stack.pop()
        if opened < MAX_SIGNED and _is_p7m(part):
            try:
                letter, why = _letter(part, body, policy)
            except Exception as e:  # as mimeparts.read_body: one part never hides the rest
                letter, why = None, f"unreadable part: {type(e).__name__}: {e}"
            problem = problem or why
            if letter is not None:
                opened += 1
                if body:  # (a letter signed in a letter: the mail around both; popped, as
                    # the outer letter may be freed and its id taken by another object)
                    mails[id(letter)] = mails.pop(id(part), part)
                if siblings is None:
                    root = letter
                else:
                    siblings[index] = letter
                stack.append((letter, siblings, index, body))
                continue
        if not part.is_multipart():
            continue
        children = part.get_payload()
        if not isinstance(children, list):  # (a multipart's payload is its list of parts)
            continue
        mail = content_type(part).startswith("message/")  # its part is a mail's body
        stack.extend(
            (child, children, i, mail)
            for i, child in reversed(list(enumerate(children)))
            if isinstance(child, Message)
        )
    return Opened(root, problem, mails)


def _is_p7m(part: Message) -> bool:
    if part.is_multipart():
        return False
    # whatever its smime-type says: the bytes tell a signed letter from an encrypted one
    ctype = content_type(part)
    if ctype in cms.P7M_TYPES:
        return True
    # a relay or client that did not know the type: "application/octet-stream; name=smime.p7m"
    return ctype == "application/octet-stream" and (filename_of(part) or "").lower().endswith(
        ".p7m"
    )


def _letter(part: Message, body: bool, policy: Policy) -> tuple[Message | None, str | None]:
    """(the letter a p7m part signs, parsed, or None; why it could not be read). An
    encrypted one is left to domain.attachments, which asks for it unencrypted. A
    file signed on its own (договор.pdf.p7m, a CryptoPro signature) signs no MIME
    entity: it stays a file, unless it is a mail's whole body."""
    data = payload(part)
    if cms.kind(data) == cms.ENCRYPTED:
        return None, None
    try:
        content = cms.signed_content(data)
    except cms.NoContent:  # a detached signature, certificates alone: no letter is lost
        return None, None
    except cms.CmsError as e:
        name = filename_of(part) or "smime.p7m"
        return None, f"«{name}» (S/MIME, с электронной подписью) не прочитан: {e}"
    if not body and not _mime_entity(content):
        return None, None
    letter, cut = read_tree(content, policy)
    open_encoded_messages(letter, policy)
    return letter, cut


def _mime_entity(content: bytes) -> bool:
    """Whether the signed bytes start with a MIME header (a letter, not a signed file)."""
    head = content[:_HEAD_BYTES]
    end = re.search(rb"\r?\n\r?\n", head)
    head = head[: end.start()] if end else head
    return _FIRST_FIELD.match(head) is not None and _MIME_FIELD.search(head) is not None
