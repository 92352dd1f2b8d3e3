"""The letter itself encrypted, told from an encrypted file (domain.encrypted): what the
mails about a message say of it (decision.att_ctx), from the parsed mail on."""

from __future__ import annotations

import base64

import pytest

from maild.domain import encrypted as enc
from maild.domain.decide import decide_attachments
from maild.domain.decision import att_ctx
from maild.domain.message import parse
from tests.unit.test_decide import POLICY
from tests.unit.test_inlinepgp import ENCRYPTED

HEAD = "From: Иван <ivan@shop-example.ru>\r\nTo: support@example.com\r\nSubject: x\r\n"
TEXT = "Content-Type: text/plain; charset=utf-8\r\n\r\nЗдравствуйте! Не оформляется заказ.\r\n"
FOOTER = "Content-Type: text/plain; charset=utf-8\r\n\r\nСообщение проверено антивирусом.\r\n"
ARMOUR = ENCRYPTED.replace("\n", "\r\n")
# a CMS EnvelopedData's first bytes: what support cannot read without a key
ENVELOPED = b"0\x82\x05\x00\x06\t*\x86H\x86\xf7\r\x01\x07\x03" + bytes(64)
PGP_MIME = (
    'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="E"\r\n'
    "\r\n--E\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"
    '--E\r\nContent-Type: application/octet-stream; name="encrypted.asc"\r\n\r\n'
    f"{ARMOUR}\r\n--E--\r\n"
)


def p7m(name: str = "smime.p7m") -> str:
    return (
        f'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="{name}"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment; filename="{name}"\r\n\r\n'
        + base64.encodebytes(ENVELOPED).decode().replace("\n", "\r\n")
    )


def mixed(*parts: str) -> str:
    inner = "".join(f"--M\r\n{p}\r\n" for p in parts)
    return f'Content-Type: multipart/mixed; boundary="M"\r\n\r\n{inner}--M--\r\n'


def told(body: str) -> dict:
    msg = parse((HEAD + "MIME-Version: 1.0\r\n" + body).encode())
    return att_ctx(decide_attachments(POLICY, msg))


ASC_FILE = (
    'Content-Type: application/pgp-encrypted; name="report.pdf.asc"\r\n'
    'Content-Disposition: attachment; filename="report.pdf.asc"\r\n\r\n' + ARMOUR
)
LETTERS = {
    "PGP/MIME": (PGP_MIME, "PGP", "encrypted.asc"),
    "S/MIME at the root": (p7m(), "S/MIME", "smime.p7m"),
    # a client that sends smime.p7m under a generic type: its name tells S/MIME
    "S/MIME as application/octet-stream": (
        p7m().replace(
            "application/pkcs7-mime; smime-type=enveloped-data", "application/octet-stream"
        ),
        "S/MIME",
        "smime.p7m",
    ),
    "inline PGP": (
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{ARMOUR}",
        "PGP",
        "encrypted.asc",
    ),
    # a gateway that adds its footer beside the encrypted body
    "PGP/MIME under a footer": (mixed(PGP_MIME, FOOTER), "PGP", "encrypted.asc"),
    "inline PGP over a footer": (
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{ARMOUR}\r\n--\r\nПроверено.\r\n",
        "PGP",
        "encrypted.asc",
    ),
}


@pytest.mark.parametrize("case", LETTERS)
def test_the_letter_itself_encrypted_is_told_as_the_letter_no_file_refused(case: str):
    body, scheme, name = LETTERS[case]
    ctx = told(body)
    assert ctx["encrypted_letter"] == scheme
    assert ctx["refused"] == [] and ctx["refused_more"] == 0  # the customer sent no file
    [kept] = ctx["attachments"]  # staff, the site and the ticket still name it
    assert (kept.filename, kept.accepted, kept.kind) == (name, False, enc.LETTER)
    assert kept.reason.startswith(f"Письмо пришло зашифрованным ({scheme})")
    assert enc.empty_text(scheme) == f"(текст не прочитан: письмо зашифровано, {scheme})"


FILES = {
    "a PGP file beside a text": (mixed(TEXT, ASC_FILE), "report.pdf.asc"),
    "an S/MIME file beside a text": (mixed(TEXT, p7m("договор.pdf.p7m")), "договор.pdf.p7m"),
    "a forwarded encrypted letter beside a text": (
        mixed(
            TEXT, "Content-Type: message/rfc822\r\n\r\n" + HEAD + "MIME-Version: 1.0\r\n" + PGP_MIME
        ),
        "encrypted.asc",
    ),
    # RFC 6532's form of a forward (a mail with UTF-8 headers): forwarded all the same
    "a forwarded encrypted letter as message/global": (
        mixed(
            TEXT, "Content-Type: message/global\r\n\r\n" + HEAD + "MIME-Version: 1.0\r\n" + PGP_MIME
        ),
        "encrypted.asc",
    ),
    "an inline block in a forwarded letter": (
        mixed(
            TEXT,
            "Content-Type: message/rfc822\r\n\r\n"
            + HEAD
            + f"Content-Type: text/plain; charset=utf-8\r\n\r\n{ARMOUR}",
        ),
        "encrypted.asc",
    ),
}


@pytest.mark.parametrize("case", FILES)
def test_an_encrypted_file_beside_the_letter_stays_a_refused_file(case: str):
    body, name = FILES[case]
    ctx = told(body)
    assert ctx["encrypted_letter"] is None
    [refused] = ctx["refused"]
    assert (refused.filename, refused.kind) == (name, "encrypted")
    assert refused.reason.startswith(f"Файл\u00a0«{name}» зашифрован")
    assert enc.empty_text(None) == "(пустое письмо)"


def test_a_staff_reply_may_send_any_file_so_none_is_judged_encrypted():
    """A verified staff member's files are not judged by the customer's types: an
    encrypted.asc there is a file for the customer, no letter asked for again."""
    msg = parse((HEAD + "MIME-Version: 1.0\r\n" + PGP_MIME).encode())
    ctx = att_ctx(decide_attachments(POLICY, msg, staff=True))
    assert ctx["encrypted_letter"] is None and ctx["refused"] == []


def test_a_mail_of_files_alone_is_told_by_its_files_not_as_empty():
    """Staff read «(пустое письмо)» above a log or a screenshot the mail carried."""
    from maild.domain.attachments import AttachmentPolicy, decide_all

    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 8 + b"\x00\x00\x00\x00IEND\xaeB`\x82"
    files = decide_all(
        [("shot.png", "image/png", png)]
        + [(f"log{n}.txt", "text/plain", b"log") for n in range(6)],
        AttachmentPolicy(),
    )
    assert enc.empty_text(None, files[1:2]) == (
        "(текста в письме нет, только вложение log0.txt — не принято)"
    )
    assert enc.empty_text(None, files) == (
        "(текста в письме нет, только вложения: shot.png — принято, log0.txt — не принято, "
        "log1.txt — не принято, log2.txt — не принято, log3.txt — не принято и ещё 2 файла)"
    )
    assert enc.empty_text("PGP", files) == "(текст не прочитан: письмо зашифровано, PGP)"
    assert enc.empty_text(None, []) == "(пустое письмо)"


def test_an_encrypted_p7m_named_in_capitals_is_told_as_encrypted() -> None:
    """A p7m sent as application/octet-stream is known by its name, in any case
    («ДОГОВОР.P7M» from a Windows folder): the customer is told it is encrypted and
    asked for it unencrypted, not asked to pack a file support still could not read."""
    part = p7m("ДОГОВОР.P7M").replace(
        "application/pkcs7-mime; smime-type=enveloped-data;", "application/octet-stream;"
    )
    [refused] = [d for d in told(mixed(TEXT, part))["attachments"] if not d.accepted]
    assert refused.kind == "encrypted" and "зашифрован" in (refused.reason or "")


def test_files_past_the_listed_ones_are_counted_to_the_last() -> None:
    """A mail with 23 screenshots: the mail about it names the first 20 and says how
    many more there are, 3, not one fewer."""
    png = base64.encodebytes(b"\x89PNG\r\n\x1a\n" + bytes(64)).decode().replace("\n", "\r\n")
    shots = [
        f'Content-Type: image/png; name="s{n}.png"\r\nContent-Transfer-Encoding: base64\r\n'
        f'Content-Disposition: attachment; filename="s{n}.png"\r\n\r\n{png}'
        for n in range(23)
    ]
    c = told(mixed(TEXT, *shots))
    assert (len(c["attachments"]), c["attachments_more"]) == (20, 3)


def test_a_refused_file_sent_as_the_whole_mail_is_a_file_not_an_encrypted_letter() -> None:
    """A mail that is one file and no text (a program sent as the mail's whole body)
    stands in the letter's place, but is not encrypted: the customer is told the file
    was refused, not that their letter came encrypted and should be sent again."""
    exe = base64.encodebytes(b"MZ\x90\x00" + bytes(60)).decode().replace("\n", "\r\n")
    body = (
        'Content-Type: application/x-msdownload; name="setup.exe"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment; filename="setup.exe"\r\n\r\n{exe}'
    )
    ctx = told(body)
    assert ctx["encrypted_letter"] is None
    [refused] = ctx["refused"]
    assert refused.filename == "setup.exe" and refused.kind != enc.LETTER
    assert "зашифрован" not in (refused.reason or "")


def test_five_files_are_all_named_with_no_more_counted() -> None:
    """A mail of exactly as many files as are named: each is named, and no «и ещё
    0 файлов» follows them."""
    from maild.domain.attachments import AttachmentPolicy, decide_all

    files = decide_all(
        [(f"log{n}.txt", "text/plain", b"log") for n in range(5)], AttachmentPolicy()
    )
    assert enc.empty_text(None, files) == (
        "(текста в письме нет, только вложения: log0.txt — не принято, log1.txt — не принято, "
        "log2.txt — не принято, log3.txt — не принято, log4.txt — не принято)"
    )
