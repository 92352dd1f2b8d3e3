"""What the customer and staff are told of files the desk does not take, through
`maild ingest` and a real relay (Sink): a mail attached as a saved .eml is read as the
forward it is; a refused file a ZIP or RAR would carry is asked for packed; no MIME type
is named to a customer; Thunderbird's own public key is no file of the letter; files
refused for one reason are one line; a mail of files alone is no «пустое письмо»."""

from __future__ import annotations

import base64
import email.policy
from email.message import EmailMessage
from pathlib import Path

from tests.helpers import PNG, make_mail
from tests.unit.test_attachments import bmp_bytes

CUSTOMER = "ivan@shop-example.ru"
STAFF = "anna@example.com"
PACK = "Упакуйте, пожалуйста, файл в архив ZIP или RAR и пришлите снова."
REFUSED = "Некоторые вложения не приняты:"


def mails(desk, sink, raw: bytes) -> tuple[str, str, dict]:
    """(the customer's confirmation, the staff notice, the ticket) of one new mail."""
    tid = desk.ingest_tid(raw)
    desk.flush()
    sink.wait_for(3)
    [conf] = sink.to(CUSTOMER)
    [notice] = sink.to(STAFF)
    text = [m.text.replace("\r\n", "\n") for m in (conf, notice)]
    return text[0], text[1], desk.ticket(tid)


def one_line(text: str) -> str:
    return " ".join(text.split())


def saved_complaint() -> bytes:
    """A mail as Outlook or Thunderbird saves it to a file: a cp1251 text and a PNG."""
    inner = EmailMessage()
    inner["From"] = "Покупатель <buyer@mail.example>"
    inner["To"] = "shop@shop-example.ru"
    inner["Subject"] = "Жалоба на заказ 555"
    inner["Date"] = "Wed, 2 Dec 2026 08:00:00 +0300"
    inner["Message-ID"] = "<complaint-555@mail.example>"
    inner.set_content("Заказ №555 не пришёл уже неделю!", charset="windows-1251")
    inner.add_attachment(PNG, maintype="image", subtype="png", filename="чек.png")
    return inner.as_bytes(policy=email.policy.SMTP)


def test_a_mail_attached_as_a_saved_eml_is_read_as_the_forward_it_is(desk, sink):
    """Typed application/octet-stream (Outlook's drag-and-drop of a saved mail, webmail
    uploads), it was refused «(application/octet-stream) не принят» and never read, though
    sent as message/rfc822 the same mail is read in full."""
    raw = make_mail(
        body="Пересылаю жалобу покупателя, письмо во вложении.",
        attachments=[("Жалоба на заказ.eml", "application/octet-stream", saved_complaint())],
    )
    conf, notice, ticket = mails(desk, sink, raw)
    assert REFUSED not in conf and "Жалоба на заказ.eml" not in conf
    assert "-------- Пересланное сообщение --------" in notice
    assert "От: Покупатель <buyer@mail.example>" in notice
    assert "Тема: Жалоба на заказ 555" in notice
    assert "Заказ №555 не пришёл уже неделю!" in notice
    [files] = [m["attachments"] for m in ticket["messages"] if m["direction"] == "in"]
    assert [(f["filename"], f["accepted"]) for f in files] == [("чек.png", True)]


def test_a_file_named_eml_that_holds_no_mail_stays_a_file(desk, sink):
    raw = make_mail(
        attachments=[("заметки.eml", "application/octet-stream", "просто текст".encode())]
    )
    conf, notice, _ticket = mails(desk, sink, raw)
    assert "Пересланное сообщение" not in notice
    assert REFUSED in conf and "заметки.eml" in conf


def refusals(conf: str) -> str:
    """The confirmation's list of files not taken, as one line."""
    return one_line(conf.split(REFUSED, 1)[1].split("Пожалуйста, сохраняйте", 1)[0])


def test_a_refused_file_a_zip_would_carry_is_asked_for_packed_and_named_in_words(desk, sink):
    """Outlook's drag-and-drop of a mail (.msg), a log, a PDF, a file of no known type:
    refused with no way forward, and named by their MIME type where no table knew it,
    though a ZIP of them is taken."""
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)  # an Outlook .msg's bytes
    raw = make_mail(
        attachments=[
            ("RE: Заказ 1234.msg", "application/vnd.ms-outlook", ole),
            ("error.log", "application/octet-stream", b"ERROR NullReference in Checkout"),
            ("Договор.pdf", "application/pdf", b"%PDF-1.4 ..."),
            ("XXXXnews", "application/octet-stream", bytes(range(256))),
        ]
    )
    conf, _notice, _ticket = mails(desk, sink, raw)
    listed = refusals(conf)
    for name, what in [
        ("RE_ Заказ 1234.msg", "письмо Outlook"),
        ("error.log", "текстовый файл"),
        ("Договор.pdf", "документ PDF"),
        ("XXXXnews", "файл неизвестного типа"),
    ]:
        assert f"Файл «{name}» ({what}) не принят." in listed.replace("\u00a0", " ")
    assert listed.count(PACK) == 4, listed
    assert "application/" not in conf


def test_an_outlook_item_in_a_winmail_dat_it_cannot_read_is_asked_for_packed(desk, sink):
    """A distribution list attached in Outlook's winmail.dat stays a file: it was refused
    «(application/octet-stream) не принят», with no way forward."""
    tnef = (Path(__file__).parent.parent / "data/tnef/outlook-item-attached.dat").read_bytes()
    raw = make_mail(attachments=[("winmail.dat", "application/ms-tnef", tnef)])
    conf, notice, _ticket = mails(desk, sink, raw)
    listed = refusals(conf).replace("\u00a0", " ")
    assert "Файл «XXXXnews» (письмо Outlook) не принят." in listed and PACK in listed
    assert "application/" not in conf
    assert "XXXXnews (application/vnd.ms-outlook" in notice  # staff see its MIME type


def test_a_log_sent_inline_from_an_iphone_is_asked_for_packed(desk, sink):
    raw = (
        "From: Иван <ivan@shop-example.ru>\r\nTo: support@example.com\r\n"
        "Subject: log\r\nMessage-ID: <iphone-log@shop-example.ru>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="M"\r\n\r\n'
        "--M\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nПрикладываю лог.\r\n"
        '--M\r\nContent-Type: text/plain; charset=utf-8; name="error.log"\r\n'
        'Content-Disposition: inline; filename="error.log"\r\n\r\n'
        "2026-12-03 10:00 ERROR NullReference in Checkout\r\n"
        "--M\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\r\nОтправлено с iPhone\r\n"
        "--M--\r\n"
    ).encode()
    conf, _notice, _ticket = mails(desk, sink, raw)
    listed = refusals(conf).replace("\u00a0", " ")
    assert "Файл «error.log» (текстовый файл) не принят." in listed and PACK in listed


def thunderbird_signed(key_type: str = "application/pgp-keys") -> bytes:
    """Thunderbird's PGP/MIME signed mail with «Attach my public key» on: its key
    (OpenPGP_0x….asc) beside the text and the screenshot, its signature after them."""
    return (
        "From: Петр <petr@example.org>\r\nTo: support@example.com\r\n"
        "Subject: Не приходят письма\r\nDate: Thu, 3 Dec 2026 10:00:00 +0300\r\n"
        "Message-ID: <tb-signed-1@example.org>\r\nMIME-Version: 1.0\r\n"
        "User-Agent: Mozilla Thunderbird\r\n"
        "Content-Type: multipart/signed; micalg=pgp-sha256;\r\n"
        ' protocol="application/pgp-signature"; boundary="sig1"\r\n\r\n'
        "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\r\n"
        '--sig1\r\nContent-Type: multipart/mixed; boundary="mix1"\r\n\r\n'
        "--mix1\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
        "Не приходят письма о заказах. Скриншот во вложении.\r\n"
        '--mix1\r\nContent-Type: image/png; name="screen.png"\r\n'
        'Content-Disposition: attachment; filename="screen.png"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode(PNG).decode()
        + f'\r\n--mix1\r\nContent-Type: {key_type}; name="OpenPGP_0xABCDEF.asc"\r\n'
        'Content-Disposition: attachment; filename="OpenPGP_0xABCDEF.asc"\r\n\r\n'
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\r\n\r\nxsBNBGF\r\n"
        "-----END PGP PUBLIC KEY BLOCK-----\r\n\r\n--mix1--\r\n\r\n"
        '--sig1\r\nContent-Type: application/pgp-signature; name="OpenPGP_signature.asc"\r\n'
        'Content-Disposition: attachment; filename="OpenPGP_signature.asc"\r\n\r\n'
        "-----BEGIN PGP SIGNATURE-----\r\n\r\nwsF5BAABCAAjFiEE\r\n"
        "-----END PGP SIGNATURE-----\r\n\r\n--sig1--\r\n"
    ).encode()


def test_the_public_key_thunderbird_attaches_by_itself_is_no_refused_file(desk, sink):
    """Listed under «Некоторые вложения не приняты» («(application/pgp-keys) не
    принят»), though the customer never chose to send it: like its signature beside
    the letter, it is no file of the letter, kept neither (the desk sends no encrypted
    mail)."""
    for n, key_type in enumerate(["application/pgp-keys", "application/octet-stream"]):
        raw = thunderbird_signed(key_type).replace(b"tb-signed-1", f"tb-signed-{n}".encode())
        before = len(sink.received)
        tid = desk.ingest_tid(raw)
        desk.flush()
        sink.wait_for(before + 3)
        [conf] = [m for m in sink.received[before:] if m.rcpt_tos == ["petr@example.org"]]
        [notice] = [m for m in sink.received[before:] if m.rcpt_tos == [STAFF]]
        assert REFUSED not in conf.text and "OpenPGP" not in conf.text
        assert "OpenPGP_0xABCDEF.asc" not in notice.text
        [files] = [m["attachments"] for m in desk.ticket(tid)["messages"] if m["direction"] == "in"]
        assert [f["filename"] for f in files] == ["screen.png"]


def test_files_refused_for_one_reason_are_one_line_naming_them(desk, sink):
    """Fifty bare BMPs had the same reason written twenty times, then «и ещё файлов, не
    принятых по тем же правилам: 30»."""
    bmps = [(f"скрин-{n:02}.bmp", "image/bmp", bmp_bytes()) for n in range(50)]
    pdfs = [(f"счёт-{n}.pdf", "application/pdf", b"%PDF-1.4 ...") for n in range(3)]
    raw = make_mail(attachments=[*bmps, *pdfs, ("договор.pdf", "application/pdf", b"%PDF")])
    conf, _notice, _ticket = mails(desk, sink, raw)
    assert all(len(line) <= 78 for line in conf.splitlines()), conf
    listed = conf.split(REFUSED + "\n", 1)[1].split("\n\n", 1)[0].replace("\u00a0", " ")
    items = [one_line(item) for item in ("\n" + listed).split("\n  - ")[1:]]
    names = ", ".join(f"скрин-{n:02}.bmp" for n in range(10))
    assert items == [
        f"{names} и ещё 40 файлов: Файлы BMP принимаются только в архиве ZIP или RAR: "
        "упакуйте файлы архиватором и пришлите снова.",
        "счёт-0.pdf, счёт-1.pdf, счёт-2.pdf, договор.pdf: Эти файлы (документ PDF) не "
        "приняты. Принимаются скриншоты JPG, GIF, PNG и архивы ZIP, RAR (BMP — только в "
        "архиве). Упакуйте, пожалуйста, файлы в архив ZIP или RAR и пришлите снова.",
    ]
    assert "и ещё файлов, не принятых" not in conf and "Скриншоты в формате BMP" not in conf


def only_a_file(name: str, ctype: str, data: bytes, n: int) -> bytes:
    """A mail whose whole body is one file, no text beside it."""
    m = EmailMessage()
    m["From"], m["To"] = "Иван <ivan@shop-example.ru>", "support@example.com"
    m["Subject"], m["Message-ID"] = "Лог", f"<only-file-{n}@shop-example.ru>"
    m.add_attachment(data, maintype=ctype.split("/")[0], subtype=ctype.split("/")[1], filename=name)
    return m.as_bytes(policy=email.policy.SMTP)


def test_a_mail_of_a_file_alone_is_told_to_staff_by_its_file_not_as_empty(desk, sink):
    """The whole mail one text/plain attachment (log.txt): staff read «(пустое письмо)»
    under the file refused, as under a screenshot kept."""
    cases = [
        ("log.txt", "text/plain", b"Exception in module Catalog at line 42", "не принято"),
        ("shot.png", "image/png", PNG, "принято"),
    ]
    for n, (name, ctype, data, verdict) in enumerate(cases):
        before = len(sink.received)
        desk.ingest_tid(only_a_file(name, ctype, data, n))
        desk.flush()
        sink.wait_for(before + 3)
        [notice] = [m for m in sink.received[before:] if m.rcpt_tos == [STAFF]]
        text = notice.text.replace("\r\n", "\n")
        assert "(пустое письмо)" not in text
        told = text.split("----- текст обращения -----\n", 1)[1].split("\n", 1)[0]
        assert told == f"(текста в письме нет, только вложение {name} — {verdict})"


def test_a_refused_file_is_not_kept(desk):
    """The customer is told a file was not accepted: it is not kept in the storage
    either, only the accepted one is (a refused program stays out of the desk's disk)."""
    refused = b"%PDF-1.4 refused"
    raw = make_mail(
        attachments=[("shot.png", "image/png", PNG), ("счёт.pdf", "application/pdf", refused)]
    )
    desk.ingest(raw)
    kept = [p.read_bytes() for p in (desk.root / "data" / "attachments").rglob("*") if p.is_file()]
    assert kept == [PNG]
