"""Files Outlook Express sends uuencoded in the text (its «uuencode» option), through
`maild ingest` and a real relay (Sink): they are the mail's files, judged as attached
ones (a bare BMP refused, the customer told so; a PNG kept), and staff read the
customer's words without pages of uuencode lines."""

from __future__ import annotations

from tests.unit.test_attachments import bmp_bytes, png_bytes
from tests.unit.test_uufiles import uu

CUSTOMER = "ivan@shop-example.ru"
STAFF = "anna@example.com"
TYPED = "Здравствуйте! Не работает оплата, скриншоты прилагаю."


def outlook_express(body: str) -> bytes:
    head = (
        "From: =?windows-1251?B?yOLg7SDP5fLw7uI=?= <ivan@shop-example.ru>\r\n"
        "To: support@example.com\r\nSubject: =?windows-1251?B?0erw6O347vL7?=\r\n"
        "Date: Sun, 06 Dec 2026 10:15:00 +0300\r\nMessage-ID: <uu-oe@client.example>\r\n"
        "MIME-Version: 1.0\r\nX-Mailer: Microsoft Outlook Express 6.00.2900.5512\r\n"
        'Content-Type: text/plain; charset="windows-1251"\r\n'
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return head.encode() + body.replace("\n", "\r\n").encode("cp1251")


def test_uuencoded_files_in_a_cp1251_text_are_the_mails_files(desk, sink):
    bmp, png = bmp_bytes(30, 20), png_bytes(4, 4)
    body = f"{TYPED}\n\n" + uu("screen.bmp", bmp, backtick=False) + "\n" + uu("shot.png", png)
    tid = desk.ingest_tid(outlook_express(body + "\nС уважением, Иван\n"))
    desk.flush()
    sink.wait_for(3)
    [message] = [m for m in desk.ticket(tid)["messages"] if m["direction"] == "in"]
    files = [
        (f["filename"], f["content_type"], f["size"], f["accepted"]) for f in message["attachments"]
    ]
    assert files == [
        ("screen.bmp", "image/bmp", len(bmp), False),
        ("shot.png", "image/png", len(png), True),
    ]
    assert message["attachments"][0]["reason"].startswith("Файлы BMP принимаются только в архиве")
    text = message["text"]
    assert TYPED in text and "С уважением, Иван" in text
    assert "begin" not in text and "end" not in text.split() and "M" not in text
    [conf] = sink.to(CUSTOMER)
    refused = " ".join(conf.text.split("Некоторые вложения не приняты:", 1)[1].split())
    assert refused.startswith(
        "- screen.bmp: Файлы BMP принимаются только в архиве ZIP или RAR: упакуйте файл "
        "архиватором и пришлите снова."
    )
    assert "shot.png" not in conf.text
    [notice] = sink.to(STAFF)
    assert TYPED in notice.text and "begin 644" not in notice.text
    assert "shot.png (image/png" in notice.text
