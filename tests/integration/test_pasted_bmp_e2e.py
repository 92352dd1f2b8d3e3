"""A BMP screenshot pasted into an Outlook HTML letter (cid:image001.bmp), and a BMP
part with no name: the confirmation names each as a picture in the text, not as a
file «image001.bmp» or «attachment.bmp» the customer never attached, and asks for it
as JPG or PNG or in an archive. Real `maild ingest`, real relay."""

from __future__ import annotations

import base64

from tests.helpers import Desk
from tests.unit.test_attachments import bmp_bytes

CUSTOMER = "ivan@shop-example.ru"


def _outlook_mail() -> bytes:
    picture = base64.b64encode(bmp_bytes()).decode()
    html = (
        "<html><body><p class=MsoNormal>Ошибка на странице оплаты:</p>"
        '<p class=MsoNormal><img src="cid:image001.bmp@01DA1234.56789ABC"></p></body></html>'
    )
    return (
        f"From: Иван <{CUSTOMER}>\r\nTo: support@example.com\r\nSubject: Ошибка оплаты\r\n"
        "Date: Wed, 25 Nov 2026 10:15:00 +0300\r\nMessage-ID: <bmp1@shop-example.ru>\r\n"
        "MIME-Version: 1.0\r\nX-Mailer: Microsoft Outlook 16.0\r\n"
        'Content-Type: multipart/mixed; boundary="MM"\r\n\r\n'
        '--MM\r\nContent-Type: multipart/related; boundary="RR"; type="text/html"\r\n\r\n'
        "--RR\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        f"{html}\r\n"
        '--RR\r\nContent-Type: image/bmp; name="image001.bmp"\r\n'
        "Content-ID: <image001.bmp@01DA1234.56789ABC>\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n{picture}\r\n--RR--\r\n"
        "--MM\r\nContent-Type: image/bmp\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        f"{picture}\r\n"
        '--MM\r\nContent-Type: image/bmp; name="shot.bmp"\r\n'
        'Content-Disposition: attachment; filename="shot.bmp"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{picture}\r\n--MM--\r\n"
    ).encode()


def test_a_pasted_and_an_unnamed_bmp_are_told_as_pictures_in_the_text(desk: Desk, sink):
    tid = desk.ingest_tid(_outlook_mail())
    desk.flush()
    [confirmation] = sink.to(CUSTOMER)
    text = " ".join(confirmation.text.split())
    assert "2 картинки, вставленные в текст письма: Изображения BMP принимаются" in text
    assert "вставьте снимки в формате JPG или PNG либо пришлите их файлами в архиве" in text
    assert "image001.bmp" not in text and "attachment.bmp" not in text
    assert "shot.bmp: Файлы BMP принимаются только в архиве ZIP или RAR" in text
    # staff and the ticket still name the files as they came
    names = [a["filename"] for m in desk.ticket(tid)["messages"] for a in m["attachments"]]
    assert names[:3] == ["image001.bmp", "attachment.bmp", "shot.bmp"], names
