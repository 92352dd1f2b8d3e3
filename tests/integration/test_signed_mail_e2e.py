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
