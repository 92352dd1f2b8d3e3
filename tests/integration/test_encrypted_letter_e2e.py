"""A letter sent encrypted as a whole: PGP/MIME (multipart/encrypted), S/MIME enveloped
data at the root (smime.p7m), an inline PGP MESSAGE block in the text. Support holds
no customer's key. The customer, who attached nothing, was told «Некоторые вложения
не приняты: encrypted.asc …» (or smime.p7m), as if a file of theirs had been refused,
and staff read «(пустое письмо)» beside a refused file. Now the customer is told the
letter came encrypted and asked for its text again without encryption, and staff that
the letter is encrypted and the customer was asked. An encrypted file attached beside a
readable text is still a file refused as encrypted. Through `maild ingest` to a real
aiosmtpd relay, with armour made by a real gpg (tests/data/pgp) and CMS by openssl."""

from __future__ import annotations

import email.policy
import json
from email.message import EmailMessage

import pytest

from maild.domain.filerules import mail_words
from tests.helpers import Desk, Sink
from tests.integration.test_inline_pgp_e2e import ENCRYPTED, FOOTER, inline_mail
from tests.integration.test_staff_e2e import open_ticket
from tests.smime import Smime, p7m_part

CUSTOMER = "ivan@shop-example.ru"
STAFF = ("anna@example.com", "boris@example.com")
LETTER = "Здравствуйте! После обновления до 7.0 не оформляется заказ.\r\n"


def pgp_mime(**headers: str) -> bytes:
    """A letter as Thunderbird and Enigmail send it with PGP/MIME: the version part and
    the armour (gpg's) as encrypted.asc in a multipart/encrypted, nothing else."""
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (
        f"From: Иван Петров <{CUSTOMER}>\r\nTo: support@example.com\r\n{head}"
        "Date: Wed, 25 Nov 2026 12:20:00 +0300\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="E"\r\n'
        "\r\nThis is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n"
        "--E\r\nContent-Type: application/pgp-encrypted\r\n"
        "Content-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n\r\n"
        '--E\r\nContent-Type: application/octet-stream; name="encrypted.asc"\r\n'
        "Content-Description: OpenPGP encrypted message\r\n"
        'Content-Disposition: inline; filename="encrypted.asc"\r\n\r\n'
        + ENCRYPTED.replace("\n", "\r\n")
        + "\r\n--E--\r\n"
    ).encode("utf-8")


def smime_enveloped(smime: Smime) -> bytes:
    """Outlook's encrypted letter: the whole mail one smime.p7m of openssl's
    EnvelopedData, holding the letter's text."""
    letter = b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + LETTER.encode()
    part = p7m_part(smime.encrypt(letter)).replace("signed-data", "enveloped-data")
    return (
        f"From: Иван Петров <{CUSTOMER}>\r\nTo: support@example.com\r\n"
        "Subject: Sealed\r\nMessage-ID: <sealed-letter@shop-example.ru>\r\nMIME-Version: 1.0\r\n"
        + part
    ).encode("utf-8")


def _new_ticket(desk: Desk, raw: bytes) -> str:
    r = desk.run("ingest", "-", "--json", input=raw)
    assert r.code == 0, r.err
    desk.flush()
    return json.loads(r.out)["tid"]


def flat(text: str) -> str:
    return " ".join(text.split())


def asked_to_resend(sink: Sink, tid: str, scheme: str, *, part: str, subject: str) -> None:
    """The customer's mail asks for the letter again, unencrypted, naming no refused file."""
    [mail] = [m for m in sink.to(CUSTOMER) if subject in m.subject]
    assert f"[TID#{tid}]" in mail.subject
    text = flat(mail.text)
    assert (
        f"Ваше письмо пришло зашифрованным ({scheme}): прочесть его служба поддержки не может"
        in text
    )
    assert "ещё раз без шифрования ответом на это письмо" in text
    # files as usual, by the file rule (domain/filerules.py): «скриншоты в форматах JPG,
    # GIF или PNG, скриншоты BMP — в архиве ZIP или RAR»
    assert f"Файлы прикладывайте как обычно: {mail_words()['usual']}." in text
    assert "вложения не приняты" not in text and part not in text, mail.text


def staff_told(sink: Sink, tid: str, scheme: str, *, asked: str, text: str, subject: str) -> None:
    """Each staff member reads that the letter is encrypted, whose, and that the customer
    was asked; the text block says why it holds no text, never «(пустое письмо)»."""
    for address in STAFF:
        [notice] = [m for m in sink.to(address) if subject in m.subject]
        assert f"[TID#{tid}]" in notice.subject
        told = flat(notice.text)
        assert f"Письмо от {CUSTOMER} пришло зашифрованным ({scheme})" in told, notice.text
        assert f"{asked} клиента попросили прислать текст ещё раз без шифрования" in told
        assert f"----- {text} ----- (текст не прочитан: письмо зашифровано, {scheme})" in told
        assert "(пустое письмо)" not in told


@pytest.mark.parametrize("form", ["pgp-mime", "inline"])
def test_a_pgp_encrypted_letter_is_asked_again_not_refused_as_a_file(
    desk: Desk, sink: Sink, form: str
):
    raw = (
        pgp_mime(Subject="Не оформляется заказ", **{"Message-ID": "<pgp-mime@shop-example.ru>"})
        if form == "pgp-mime"
        else inline_mail(ENCRYPTED)
    )
    tid = _new_ticket(desk, raw)
    asked_to_resend(sink, tid, "PGP", part="encrypted.asc", subject="Обращение зарегистрировано")
    staff_told(
        sink, tid, "PGP", asked="В подтверждении", text="текст обращения", subject="Новое обращение"
    )
    [message] = [m for m in desk.ticket(tid)["messages"] if m["kind"] == "customer"]
    [kept] = message["attachments"]  # the spool keeps the mail; the ticket names it
    assert (kept["filename"], kept["accepted"]) == ("encrypted.asc", False)
    assert kept["reason"].startswith("Письмо пришло зашифрованным (PGP)")


def test_an_smime_encrypted_letter_is_asked_again_not_refused_as_a_file(
    desk: Desk, sink: Sink, smime: Smime
):
    tid = _new_ticket(desk, smime_enveloped(smime))
    asked_to_resend(sink, tid, "S/MIME", part="smime.p7m", subject="Обращение зарегистрировано")
    staff_told(
        sink,
        tid,
        "S/MIME",
        asked="В подтверждении",
        text="текст обращения",
        subject="Новое обращение",
    )


def test_a_gateways_footer_under_an_inline_block_leaves_it_the_letter(desk: Desk, sink: Sink):
    """A mail gateway's line under the block is no text the customer wrote: they are
    still asked for the letter, and staff read the footer as it came."""
    tid = _new_ticket(desk, inline_mail(ENCRYPTED + FOOTER))
    asked_to_resend(sink, tid, "PGP", part="encrypted.asc", subject="Обращение зарегистрировано")
    for address in STAFF:
        [notice] = sink.to(address)
        told = flat(notice.text)
        assert f"Письмо от {CUSTOMER} пришло зашифрованным (PGP)" in told
        assert "Сообщение проверено антивирусом." in told and "(пустое письмо)" not in told


def test_an_encrypted_follow_up_is_asked_again(desk: Desk, sink: Sink):
    """A reply into the ticket, encrypted: the acknowledgement asks for it again, the
    staff notice of the follow-up says it is encrypted."""
    tid, _notice = open_ticket(desk, sink)
    desk.ingest(pgp_mime(Subject=f"Re: [TID#{tid}] Не оформляется заказ"))
    desk.flush()
    asked_to_resend(sink, tid, "PGP", part="encrypted.asc", subject="Письмо добавлено")
    staff_told(
        sink,
        tid,
        "PGP",
        asked="В автоматическом ответе",
        text="текст письма",
        subject="Новое письмо клиента",
    )


def _beside(name: str, ctype: str, data: bytes) -> bytes:
    m = EmailMessage()
    m["From"] = f"Иван Петров <{CUSTOMER}>"
    m["To"] = "support@example.com"
    m["Subject"] = "Отчёт не открывается"
    m["Message-ID"] = "<beside@shop-example.ru>"
    m.set_content(LETTER, charset="utf-8")
    maintype, subtype = ctype.split("/")
    m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return m.as_bytes(policy=email.policy.SMTP)


@pytest.mark.parametrize("scheme", ["PGP", "S/MIME"])
def test_an_encrypted_file_beside_a_readable_text_stays_a_refused_file(
    desk: Desk, sink: Sink, smime: Smime, scheme: str
):
    """Not the letter: the customer wrote a text anyone can read and attached a file
    they encrypted. They are told that file was not taken, as any refused file."""
    if scheme == "PGP":
        name, raw = "отчёт.pdf.asc", _beside("отчёт.pdf.asc", "application/pgp-encrypted",
                                             ENCRYPTED.encode())  # fmt: skip
    else:
        name = "договор.pdf.p7m"
        raw = _beside(name, "application/pkcs7-mime", smime.encrypt(b"%PDF-1.4 ..."))
    tid = _new_ticket(desk, raw)
    [confirmation] = sink.to(CUSTOMER)
    text = flat(confirmation.text)
    assert f"Некоторые вложения не приняты: - {name}: Файл «{name}» зашифрован" in text
    assert "пришло зашифрованным" not in text
    for address in STAFF:
        [notice] = sink.to(address)
        told = flat(notice.text)
        assert f"отклонено — Файл «{name}» зашифрован" in told
        assert "После обновления до 7.0 не оформляется заказ." in told
        assert "пришло зашифрованным" not in told and "письмо зашифровано" not in told
    [message] = [m for m in desk.ticket(tid)["messages"] if m["kind"] == "customer"]
    assert message["text"].strip() == LETTER.strip()
