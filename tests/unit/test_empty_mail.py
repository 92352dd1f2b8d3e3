"""The confirmation of a new ticket asks for a description only of a mail that came with
nothing in it (domain.customer._empty): no subject, no text, no file."""

from __future__ import annotations

from maild.domain.sender import identify
from maild.domain.snapshot import Snapshot
from tests.unit.test_decide import CUSTOMER, NOW, _decide, _msg

PDF = ("Счёт.pdf", "application/pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n")


def _confirmation_says_empty(**kw: object) -> bool:
    ident = identify(CUSTOMER, [], [], NOW.date())
    d = _decide(Snapshot("5555-0001", None, ident, False), _msg(**kw))
    (c,) = [o.context for o in d.outgoing if o.template == "confirmation.txt"]
    return bool(c["empty"])


def test_a_mail_of_a_file_alone_is_no_empty_mail() -> None:
    """A customer who sends only the file (a screenshot, the log, a scanned invoice),
    with no subject and no text, sent something: the confirmation told them «Ваше
    письмо пришло пустым: в нём нет ни темы, ни текста, ни вложений»."""
    assert _confirmation_says_empty(subject="", body="")
    assert not _confirmation_says_empty(subject="", body="", attachments=[PDF])
