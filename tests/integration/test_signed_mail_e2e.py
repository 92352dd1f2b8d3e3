"""Signed mail as Outlook (S/MIME) and Thunderbird (PGP/MIME) send it: multipart/signed,
the letter first, the signature beside it. The signature is the client's, not a file the
customer attached: `maild ingest` keeps the letter and its screenshot, and neither the
ticket nor the confirmation speaks of the signature as a refused file."""

from __future__ import annotations

import base64
import json

import pytest

from tests.data.make_corpus import png
from tests.helpers import Desk, Sink, staff_to
from tests.integration.test_staff_e2e import customer_mails, open_ticket
from tests.smime import Smime, p7m_part

CUSTOMER = "alexey@bank-example.ru"
TEXT = "Добрый день! Обмен с банком завершается ошибкой, скриншот во вложении."


def signed_mail(protocol: str, signature_part: str) -> bytes:
    shot = base64.encodebytes(png()).decode()
    text = base64.encodebytes(TEXT.encode("cp1251")).decode()
    return (
        f"From: Alexey <{CUSTOMER}>\r\n"
        "To: support@example.com\r\n"
        "Subject: =?utf-8?B?" + base64.b64encode("Обмен с банком".encode()).decode() + "?=\r\n"
        "Date: Wed, 25 Nov 2026 12:00:00 +0300\r\n"
        f"Message-ID: <signed-{protocol.replace('/', '-')}@bank-example.ru>\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/signed; protocol="{protocol}"; micalg=sha-256;'
        ' boundary="SIG"\r\n\r\n'
        "This is a signed message in MIME format.\r\n\r\n"
        "--SIG\r\n"
        'Content-Type: multipart/mixed; boundary="MIX"\r\n\r\n'
        "--MIX\r\n"
        'Content-Type: text/plain; charset="windows-1251"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{text}\r\n"
        "--MIX\r\n"
        'Content-Type: image/png; name="error.png"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="error.png"\r\n\r\n'
        f"{shot}\r\n"
        "--MIX--\r\n\r\n"
        "--SIG\r\n"
        f"{signature_part}\r\n"
        "--SIG--\r\n"
    ).encode()


SMIME = (
    'Content-Type: application/pkcs7-signature; name="smime.p7s"\r\n'
    "Content-Transfer-Encoding: base64\r\n"
    'Content-Disposition: attachment; filename="smime.p7s"\r\n\r\n'
    + base64.encodebytes(b"0\x82\x05\x00\x06\t*\x86H\x86\xf7\r\x01\x07\x02" + bytes(64)).decode()
)
PGP = (
    'Content-Type: application/pgp-signature; name="OpenPGP_signature.asc"\r\n'
    "Content-Description: OpenPGP digital signature\r\n"
    'Content-Disposition: attachment; filename="OpenPGP_signature.asc"\r\n\r\n'
    "-----BEGIN PGP SIGNATURE-----\r\n\r\niQEzBAEBCAAdFiEE\r\n=abcd\r\n"
    "-----END PGP SIGNATURE-----\r\n"
)


@pytest.mark.parametrize(
    "protocol, signature",
    [
        ("application/pkcs7-signature", SMIME),
        ("application/x-pkcs7-signature", SMIME.replace("pkcs7", "x-pkcs7", 1)),
        ("application/pgp-signature", PGP),
    ],
)
def test_a_signature_is_not_a_refused_file(desk: Desk, sink: Sink, protocol, signature):
    r = desk.run("ingest", "-", "--json", input=signed_mail(protocol, signature))
    assert r.code == 0, r.err
    tid = json.loads(r.out)["tid"]
    desk.flush()
    [message] = [m for m in desk.ticket(tid)["messages"] if m["kind"] == "customer"]
    assert TEXT in message["text"]
    assert [(a["filename"], a["accepted"]) for a in message["attachments"]] == [("error.png", True)]
    [confirmation] = sink.to(CUSTOMER)
    assert f"[TID#{tid}]" in confirmation.subject
    assert "не принят" not in confirmation.text, confirmation.text
    for notice in sink.to("anna@example.com"):
        assert "отклонено" not in notice.text and TEXT in notice.text


PGP_ENCRYPTED = (
    "From: Misha <misha@linux-example.ru>\r\n"
    "To: support@example.com\r\n"
    "Subject: ...\r\n"
    "Date: Wed, 25 Nov 2026 12:20:00 +0300\r\n"
    "Message-ID: <pgp-encrypted@linux-example.ru>\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="E"\r\n'
    "\r\n"
    "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n"
    "--E\r\n"
    "Content-Type: application/pgp-encrypted\r\n"
    "Content-Description: PGP/MIME version identification\r\n\r\n"
    "Version: 1\r\n\r\n"
    "--E\r\n"
    'Content-Type: application/octet-stream; name="encrypted.asc"\r\n'
    "Content-Description: OpenPGP encrypted message\r\n"
    'Content-Disposition: inline; filename="encrypted.asc"\r\n\r\n'
    "-----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA1234567890ABCDEF\r\n=wxyz\r\n"
    "-----END PGP MESSAGE-----\r\n\r\n"
    "--E--\r\n"
)
SMIME_ENCRYPTED = (
    "From: Alexey <alexey@bank-example.ru>\r\n"
    "To: support@example.com\r\n"
    "Subject: =?utf-8?B?" + base64.b64encode("Обмен с банком".encode()).decode() + "?=\r\n"
    "Date: Wed, 25 Nov 2026 12:30:00 +0300\r\n"
    "Message-ID: <smime-encrypted@bank-example.ru>\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"\r\n'
    "Content-Transfer-Encoding: base64\r\n"
    'Content-Disposition: attachment; filename="smime.p7m"\r\n\r\n'
    + base64.encodebytes(b"0\x82\x05\x00\x06\t*\x86H\x86\xf7\r\x01\x07\x03" + bytes(64)).decode()
)


@pytest.mark.parametrize(
    "raw, customer, part",
    [
        (PGP_ENCRYPTED, "misha@linux-example.ru", "encrypted.asc"),
        (SMIME_ENCRYPTED, "alexey@bank-example.ru", "smime.p7m"),
    ],
)
def test_an_encrypted_mail_is_asked_again_unencrypted(desk: Desk, sink: Sink, raw, customer, part):
    """Support holds no customer's key: the confirmation says the letter came encrypted
    and asks for it without encryption, instead of refusing «attachment» (PGP/MIME's
    "Version: 1" part) and the letter itself as files of a type not accepted."""
    r = desk.run("ingest", "-", "--json", input=raw.encode())
    assert r.code == 0, r.err
    tid = json.loads(r.out)["tid"]
    desk.flush()
    [message] = [m for m in desk.ticket(tid)["messages"] if m["kind"] == "customer"]
    assert [a["filename"] for a in message["attachments"]] == [part]  # kept, for the spool
    [confirmation] = sink.to(customer)
    assert f"[TID#{tid}]" in confirmation.subject
    text = " ".join(confirmation.text.split())
    assert "зашифрован" in text and "без шифрования" in text, confirmation.text
    assert "Принимаются скриншоты" not in text and "«attachment»" not in text


# -- S/MIME opaque-signed: the letter inside smime.p7m (application/pkcs7-mime) --------
# Outlook with clear-text signing off, and CryptoPro setups, sign the whole letter into
# one CMS SignedData: nothing is encrypted, no key is needed to read it. It was taken
# for an encrypted file: the ticket's text empty, the screenshot lost, the customer told
# «smime.p7m зашифрован», and a staff answer and its #close never sent.


def _letter(text: str, *files: tuple[str, str, bytes]) -> bytes:
    """The MIME entity a client signs: the text (cp1251, base64) and the files."""
    parts = [
        'Content-Type: text/plain; charset="windows-1251"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(text.encode("cp1251")).decode().replace("\n", "\r\n")
    ]
    for name, ctype, data in files:
        parts.append(
            f'Content-Type: {ctype}; name="{name}"\r\nContent-Transfer-Encoding: base64\r\n'
            f'Content-Disposition: attachment; filename="{name}"\r\n\r\n'
            + base64.encodebytes(data).decode().replace("\n", "\r\n")
        )
    body = "".join(f"--MIX\r\n{p}\r\n" for p in parts) + "--MIX--\r\n"
    return ('Content-Type: multipart/mixed; boundary="MIX"\r\n\r\n' + body).encode()


def _opaque(smime: Smime, form: str, headers: str, letter: bytes) -> bytes:
    """The signed mail: ``headers`` (From, To, Subject ...), then the p7m as ``form``
    writes it: Outlook's application/pkcs7-mime of DER or of streamed BER, or
    `openssl smime -sign`'s own application/x-pkcs7-mime."""
    if form == "openssl smime":
        return headers.encode() + smime.signed_mail(letter)
    der = smime.sign(letter, ber=form == "BER")
    return (headers + "MIME-Version: 1.0\r\n" + p7m_part(der)).encode()


FORMS = ["DER", "BER", "openssl smime"]


@pytest.mark.parametrize("form", FORMS)
def test_an_opaque_signed_letter_is_read_with_its_screenshot(
    desk: Desk, sink: Sink, smime: Smime, form: str
):
    headers = (
        f"From: Alexey <{CUSTOMER}>\r\nTo: support@example.com\r\nSubject: Opaque\r\n"
        f"Date: Wed, 25 Nov 2026 12:00:00 +0300\r\nMessage-ID: <opaque-{form[:3]}@bank.ru>\r\n"
    )
    raw = _opaque(smime, form, headers, _letter(TEXT, ("error.png", "image/png", png())))
    r = desk.run("ingest", "-", "--json", input=raw)
    assert r.code == 0, r.err
    tid = json.loads(r.out)["tid"]
    desk.flush()
    [message] = [m for m in desk.ticket(tid)["messages"] if m["kind"] == "customer"]
    assert message["text"].strip() == TEXT
    assert [(a["filename"], a["accepted"]) for a in message["attachments"]] == [("error.png", True)]
    [confirmation] = sink.to(CUSTOMER)
    assert f"[TID#{tid}]" in confirmation.subject
    for word in ("не принят", "зашифрован", "p7m", "подпис"):
        assert word not in confirmation.text, confirmation.text
    for notice in sink.to("anna@example.com"):
        assert TEXT in notice.text and "(пустое письмо)" not in notice.text
        assert "p7m" not in notice.text and "не удалось разобрать" not in notice.text
        files = [(p.get_filename(), p.get_content()) for p in notice.msg.iter_attachments()]
        assert files == [("error.png", png())]


@pytest.mark.parametrize("form", FORMS)
def test_an_opaque_signed_staff_answer_is_sent_and_its_close_runs(
    desk: Desk, sink: Sink, smime: Smime, form: str
):
    """The staff member was told «в письме нет текста для клиента, только вложения»,
    and the customer got nothing: the answer, its file and #close were inside smime.p7m."""
    tid, _notice = open_ticket(desk, sink)
    answer = "Иван, добрый день.\r\nОбновите модуль оплаты до 7.0.1.\r\n#close\r\n"
    manual = ("manual.pdf", "application/pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n")
    headers = (
        f"From: Anna <anna@example.com>\r\nTo: {staff_to(tid)}\r\n"
        f"Subject: RE: Новое обращение [TID#{tid}]\r\n"
        f"Message-ID: <answer-{form[:3]}@corp.example>\r\n"
    )
    r = desk.run("ingest", "-", input=_opaque(smime, form, headers, _letter(answer, manual)))
    assert r.code == 0, r.err
    desk.flush()
    assert desk.ticket(tid)["status"] == "closed"
    [sent] = [m for m in customer_mails(sink) if "Обращение зарегистрировано" not in m.subject]
    assert f"[TID#{tid}]" in sent.subject
    assert sent.text.splitlines()[:2] == answer.splitlines()[:2]
    assert "#close" not in sent.text and "завершена, обращение закрыто" in sent.text
    assert [p.get_filename() for p in sent.msg.iter_attachments()] == ["manual.pdf"]
    assert not [m for m in sink.to("anna@example.com") if "не отправлен" in m.subject]


def test_a_p7m_cut_short_is_kept_and_told_unreadable(desk: Desk, sink: Sink, smime: Smime):
    """A SignedData cut on the way cannot be read: it stays the file smime.p7m, and is
    called unreadable (not encrypted); staff are told, and the spool keeps the mail."""
    headers = (
        f"From: Alexey <{CUSTOMER}>\r\nTo: support@example.com\r\nSubject: Cut\r\n"
        "Message-ID: <cut@bank.ru>\r\n"
    )
    der = smime.sign(_letter(TEXT, ("error.png", "image/png", png())), ber=True)
    raw = (headers + "MIME-Version: 1.0\r\n" + p7m_part(der[: len(der) // 2])).encode()
    r = desk.run("ingest", "-", "--json", input=raw)
    assert r.code == 0, r.err
    tid = json.loads(r.out)["tid"]
    desk.flush()
    [message] = [m for m in desk.ticket(tid)["messages"] if m["kind"] == "customer"]
    [p7m] = message["attachments"]
    assert (p7m["filename"], p7m["accepted"]) == ("smime.p7m", False)
    assert "прочесть не удалось" in p7m["reason"]
    [confirmation] = sink.to(CUSTOMER)
    text = " ".join(confirmation.text.split())
    assert "прочесть не удалось" in text and "зашифрован" not in text
    [notice] = sink.to("anna@example.com")
    told = " ".join(notice.text.split())
    assert (
        "Письмо не удалось разобрать полностью: «smime.p7m» (S/MIME, с электронной подписью) "
        "не прочитан: данные обрываются. Исходные байты сохранены в спуле" in told
    )


def test_a_real_encrypted_p7m_is_asked_again_unencrypted(desk: Desk, sink: Sink, smime: Smime):
    """openssl's EnvelopedData, its smime-type left out (some clients do): its bytes
    say encrypted, and the customer is asked for the letter without encryption."""
    enveloped = smime.encrypt(_letter(TEXT))
    raw = (
        f"From: Alexey <{CUSTOMER}>\r\nTo: support@example.com\r\nSubject: Sealed\r\n"
        "Message-ID: <sealed@bank.ru>\r\nMIME-Version: 1.0\r\n"
        + p7m_part(enveloped).replace("; smime-type=signed-data", "")
    ).encode()
    r = desk.run("ingest", "-", "--json", input=raw)
    assert r.code == 0, r.err
    desk.flush()
    [confirmation] = sink.to(CUSTOMER)
    text = " ".join(confirmation.text.split())
    assert "письмо пришло зашифрованным (S/MIME)" in text and "без шифрования" in text


@pytest.mark.parametrize("form", FORMS)
def test_an_opaque_signed_mail_forwarded_keeps_its_heading(
    desk: Desk, sink: Sink, smime: Smime, form: str
):
    """A hosting provider's signed mail forwarded as an attachment (message/rfc822):
    its letter was read in place of the whole forwarded mail, headers and all, so
    staff saw the letter under «Пересланное сообщение» with no От/Дата/Тема/Кому."""
    inner = (
        "From: Hoster <noc@hoster.example>\r\nTo: alexey@bank-example.ru\r\n"
        "Date: Tue, 24 Nov 2026 09:00:00 +0300\r\nSubject: Plan works 24.11\r\n"
    )
    forwarded = _opaque(smime, form, inner, _letter("Работы на сервере в 23:00."))
    raw = (
        (
            f"From: Alexey <{CUSTOMER}>\r\nTo: support@example.com\r\nSubject: Fwd: Plan works\r\n"
            f"Message-ID: <fwd-{form[:3]}@bank.ru>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="F"\r\n\r\n--F\r\n'
            "Content-Type: text/plain; charset=utf-8\r\n\r\nПересылаю письмо хостера.\r\n"
            "--F\r\nContent-Type: message/rfc822\r\n\r\n"
        ).encode()
        + forwarded
        + b"\r\n--F--\r\n"
    )
    r = desk.run("ingest", "-", "--json", input=raw)
    assert r.code == 0, r.err
    tid = json.loads(r.out)["tid"]
    desk.flush()
    heading = [
        "От: Hoster <noc@hoster.example>",
        "Дата: Tue, 24 Nov 2026 09:00:00 +0300",
        "Тема: Plan works 24.11",
        "Кому: alexey@bank-example.ru",
    ]
    [message] = [m for m in desk.ticket(tid)["messages"] if m["kind"] == "customer"]
    lines = message["text"].splitlines()
    assert lines[lines.index("-------- Пересланное сообщение --------") + 1 :][:4] == heading
    assert "Работы на сервере в 23:00." in message["text"]
    [notice] = sink.to("anna@example.com")
    assert all(line in notice.text for line in heading) and "p7m" not in notice.text
