"""Inline PGP as Enigmail, Mailvelope and FlowCrypt send it: the armour in the text/plain
body itself, made by a real gpg (tests/data/pgp). A clear-signed letter reached staff,
the site and, for a staff answer, the customer with its armour, its Hash: line, the «- »
escapes and the signature; an encrypted one was taken as text, and the customer was
not asked for it unencrypted. Through `maild ingest` (and `maild serve` for the site),
to a real aiosmtpd relay."""

from __future__ import annotations

import email.policy
import html
import json
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.helpers import Desk, Sink, staff_to
from tests.integration.test_serve import wait_until
from tests.integration.test_staff_e2e import customer_mails, open_ticket
from tests.integration.test_web import mail_in
from tests.unit.test_inlinepgp import STAFF_TYPED, TYPED
from tests.webclient import link_in, request, running_site

PGP = Path(__file__).parent.parent / "data" / "pgp"
SIGNED = (PGP / "customer-clearsigned.asc").read_text()
STAFF_SIGNED = (PGP / "staff-clearsigned.asc").read_text()
ENCRYPTED = (PGP / "customer-encrypted.asc").read_text()
CUSTOMER = "ivan@shop-example.ru"
FOOTER = "\n_______________\nСообщение проверено антивирусом.\n"  # a gateway's, after the block
ARMOUR = (
    "BEGIN PGP", "END PGP", "Hash: SHA256", "- --- begin", "- -- ", "- From 7.0.1", "- - скачайте",
)  # fmt: skip


def inline_mail(text: str, *, sender: str = f"Иван Петров <{CUSTOMER}>", **headers: str) -> bytes:
    """A mail whose text/plain body is ``text`` as written (quoted-printable, as
    Enigmail sends inline PGP)."""
    m = EmailMessage()
    m["From"] = sender
    m["To"] = headers.pop("to", "support@example.com")
    m["Subject"] = headers.pop("subject", "Не оформляется заказ")
    m["Date"] = "Wed, 25 Nov 2026 10:15:00 +0300"
    m["Message-ID"] = headers.pop("msgid", "<inline-pgp@shop-example.ru>")
    m.set_content(text, charset="utf-8", cte="quoted-printable")
    return m.as_bytes(policy=email.policy.SMTP)


def no_armour(text: str) -> None:
    for word in ARMOUR:
        assert word not in text, (word, text)


@pytest.mark.parametrize("footer", ["", FOOTER])
def test_a_clearsigned_letter_is_read_as_typed(desk: Desk, sink: Sink, footer: str):
    r = desk.run("ingest", "-", "--json", input=inline_mail(SIGNED + footer))
    assert r.code == 0, r.err
    tid = json.loads(r.out)["tid"]
    desk.flush()
    [message] = [m for m in desk.ticket(tid)["messages"] if m["kind"] == "customer"]
    assert message["text"].replace("\r\n", "\n") == TYPED + footer
    assert message["attachments"] == []
    for notice in sink.to("anna@example.com"):
        assert f"[TID#{tid}]" in notice.subject
        told = notice.text.replace("\r\n", "\n")
        assert "--- begin ---\nException at line 12\n--- end ---" in told
        assert "From 7.0.1 on" in told
        assert ("проверено антивирусом" in told) == bool(footer)
        no_armour(told)
    [confirmation] = sink.to(CUSTOMER)
    assert "не принят" not in confirmation.text and "зашифрован" not in confirmation.text


def test_a_clearsigned_staff_answer_reaches_the_customer_and_its_close_runs(desk: Desk, sink: Sink):
    """The commands inside the signed text run; the customer gets the text gpg signed,
    its «- » escapes undone, without the armour or the signature."""
    tid, _notice = open_ticket(desk, sink)
    reply = inline_mail(
        STAFF_SIGNED,
        sender="Анна <anna@example.com>",
        to=staff_to(tid),
        subject=f"Re: Новое обращение [TID#{tid}]",
        msgid="<answer-pgp@example.com>",
    )
    desk.ingest(reply)
    desk.flush()
    assert desk.ticket(tid)["status"] == "closed"
    [sent] = [m for m in customer_mails(sink) if "Обращение зарегистрировано" not in m.subject]
    assert f"[TID#{tid}]" in sent.subject
    text = sent.text.replace("\r\n", "\n")
    assert text.startswith(STAFF_TYPED.split("#close")[0]), text
    assert "#close" not in text and "завершена, обращение закрыто" in text
    no_armour(text)
    assert not [m for m in sink.to("anna@example.com") if "не отправлен" in m.subject]


@pytest.mark.parametrize("footer", ["", FOOTER])
def test_an_inline_encrypted_letter_is_asked_again_unencrypted(desk: Desk, sink: Sink, footer: str):
    """As a PGP/MIME or S/MIME encrypted mail: kept as encrypted.asc, the customer asked
    for it without encryption, staff told; the armour is no text of the ticket."""
    r = desk.run("ingest", "-", "--json", input=inline_mail(ENCRYPTED + footer))
    assert r.code == 0, r.err
    tid = json.loads(r.out)["tid"]
    desk.flush()
    [message] = [m for m in desk.ticket(tid)["messages"] if m["kind"] == "customer"]
    assert message["text"].strip() == footer.strip()
    [file] = message["attachments"]
    assert (file["filename"], file["accepted"]) == ("encrypted.asc", False)
    [confirmation] = sink.to(CUSTOMER)
    assert f"[TID#{tid}]" in confirmation.subject
    text = " ".join(confirmation.text.split())
    assert "письмо пришло зашифрованным (PGP)" in text and "без шифрования" in text
    assert "encrypted.asc" not in text  # no file of theirs: the letter itself
    no_armour(confirmation.text)
    notices = sink.to("anna@example.com")
    assert notices
    for notice in notices:
        told = " ".join(notice.text.split())
        assert "encrypted.asc" in told and "отклонено — Письмо пришло зашифрованным (PGP)" in told
        no_armour(notice.text)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    yield from running_site(tmp_path_factory.mktemp("pgp"))


def test_the_site_shows_the_signed_texts_as_typed(site):
    """Mail in over SMTP to `maild serve`, the customer's and staff's signed inline: the
    ticket's page shows both texts, no armour."""
    _desk, daemon, sink, base = site
    mail_in(daemon, inline_mail(SIGNED, msgid="<site-pgp@shop-example.ru>"), CUSTOMER)
    [confirmation] = wait_until(lambda: sink.to(CUSTOMER))
    link = link_in(confirmation.text, base)
    tid = confirmation.subject.split("[TID#", 1)[1].split("]", 1)[0]
    answer = inline_mail(
        STAFF_SIGNED,
        sender="Анна <anna@example.com>",
        to=staff_to(tid),
        subject=f"Re: Новое обращение [TID#{tid}]",
        msgid="<site-answer-pgp@example.com>",
    )
    mail_in(daemon, answer, "anna@example.com", staff_to(tid))
    assert wait_until(lambda: len(sink.to(CUSTOMER)) == 2)
    page = html.unescape(request(link).text)
    for line in ("--- begin ---", "From 7.0.1 on the module", "- скачайте архив"):
        assert line in page, line
    no_armour(page)
