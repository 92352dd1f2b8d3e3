"""Signed mail as Outlook (S/MIME) and Thunderbird (PGP/MIME) send it: multipart/signed,
the letter first, the signature beside it. The signature is the client's, not a file the
customer attached: `maild ingest` keeps the letter and its screenshot, and neither the
ticket nor the confirmation speaks of the signature as a refused file."""

from __future__ import annotations

import base64
import json

import pytest

from tests.data.make_corpus import png
from tests.helpers import Desk, Sink

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
