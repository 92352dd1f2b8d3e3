"""A bare BMP refused, as the customer's confirmation says it: `maild ingest`, a real
aiosmtpd relay takes the mail."""

from __future__ import annotations

from tests.helpers import make_mail
from tests.unit.test_attachments import bmp_bytes

CUSTOMER = "ivan@shop-example.ru"
SHOT = "Скриншот ошибки оформления заказа в личном кабинете.bmp"


def confirmation(desk, sink, files) -> str:
    desk.ingest_tid(make_mail(attachments=files))
    desk.flush()
    [conf] = sink.wait_for(2) and sink.to(CUSTOMER)
    return conf.text.replace("\r\n", "\n")


def test_a_listed_bmp_is_asked_for_zipped_once_in_lines_that_fit(desk, sink):
    """It said so twice: the file's reason («... упакуйте «shot.bmp» архиватором»),
    in a line of 130 characters naming the file again, then a paragraph of its own."""
    text = confirmation(desk, sink, [(SHOT, "image/bmp", bmp_bytes())])
    assert "Скриншоты в формате BMP" not in text
    assert text.count("архиватором") == 1 and text.count(SHOT) == 1
    assert all(len(line) <= 78 for line in text.splitlines()), text
    item = text.split("Некоторые вложения не приняты:\n", 1)[1].split("\n\n", 1)[0]
    first, *rest = item.splitlines()
    assert first.startswith(f"  - {SHOT}: Файлы BMP")
    assert " ".join(item.split()).endswith(
        "принимаются только в архиве ZIP или RAR: упакуйте файл архиватором и пришлите снова."
    )
    assert rest and all(line.startswith("    ") and line[4] != " " for line in rest)


def test_a_bmp_among_the_files_not_listed_still_gets_its_advice(desk, sink):
    """Twenty files refused each for a fault of its own (a line each: files refused
    alike share one), and a bare BMP after them."""
    fake = [(f"снимок-{n:02}.png", "image/png", b"no PNG %d" % n) for n in range(20)]
    text = confirmation(desk, sink, [*fake, ("shot.bmp", "image/bmp", bmp_bytes())])
    assert "shot.bmp" not in text and "и ещё файлов, не принятых по тем же правилам: 1" in text
    assert "Скриншоты в формате BMP, пожалуйста, упакуйте архиватором" in text
