"""Office and OpenDocument files are ZIP archives by their bytes: through `maild
ingest` and a real relay they reach the customer (a staff answer's) and staff (a
customer's, on the notice) under their own Content-Type, not application/zip, which
a mail client opens as an archive."""

from __future__ import annotations

from tests.helpers import staff_reply
from tests.integration.test_staff_e2e import open_ticket
from tests.unit.test_attachments import zip_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
SHEET = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
TEXT = zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"})


def types_of(mail) -> list[tuple[str, str]]:
    return [(p.get_filename(), p.get_content_type()) for p in mail.msg.iter_attachments()]


def test_a_staff_answers_spreadsheet_reaches_the_customer_as_a_spreadsheet(desk, sink):
    tid, notice = open_ticket(desk, sink)
    before = len(sink.received)
    desk.ingest(
        staff_reply(
            tid,
            "Иван, прайс и инструкцию прилагаю.",
            attachments=[("Прайс.xlsx", XLSX, SHEET), ("инструкция.odt", ODT, TEXT)],
            headers={"In-Reply-To": notice.msg["Message-ID"]},
        )
    )
    desk.flush()
    sink.wait_for(before + 1)
    [answer] = [r for r in sink.to("ivan@shop-example.ru") if "прилагаю" in r.text]
    assert types_of(answer) == [("Прайс.xlsx", XLSX), ("инструкция.odt", ODT)]


def test_a_customers_document_reaches_staff_with_its_type(desk, sink):
    """The customer's Word file, sent by a client that calls it application/octet-stream
    (its name's type then), and an archive renamed .zip: each as what it is."""
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    files = [
        ("отчёт.docx", "application/octet-stream", SHEET),
        ("Прайс.xlsx", XLSX, SHEET),
        ("logs.zip", XLSX, SHEET),  # a .zip is the archive whatever it was called
    ]
    _, notice = open_ticket(desk, sink, attachments=files)
    assert types_of(notice) == [
        ("отчёт.docx", docx),
        ("Прайс.xlsx", XLSX),
        ("logs.zip", "application/zip"),
    ]
