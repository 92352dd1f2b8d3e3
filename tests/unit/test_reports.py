"""domain/reports.py: what a delivery report says, as staff read it and as the
failed recipients are found in it (undeliverable.reported)."""

from __future__ import annotations

from maild.domain import undeliverable as ud
from maild.domain.message import parse

# A Russian MTA's report in raw UTF-8 (no encoded words), its blocks set apart by two
# blank lines: a recipient only delayed first, then the one who failed for good.
_STATUS = (
    "Reporting-MTA: dns; mx.shop-example.ru\r\n\r\n\r\n"
    "Final-Recipient: rfc822; olga@shop-example.ru\r\nAction: delayed\r\nStatus: 4.2.2\r\n\r\n\r\n"
    "Final-Recipient: rfc822; ivan@shop-example.ru\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    "Diagnostic-Code: smtp; 550 Ящик не существует\r\n\r\n"
)
_REPORT = (
    "From: MAILER-DAEMON@shop-example.ru\r\nTo: support@example.com\r\nSubject: Undelivered\r\n"
    "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
    ' boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nНе доставлено.\r\n'
    f"--B\r\nContent-Type: message/delivery-status\r\n\r\n{_STATUS}--B--\r\n"
).encode()


def test_a_report_reads_one_block_per_recipient_its_8bit_text_decoded():
    """Each block of the status part its own, one blank line apart and none empty: the
    failed recipient is found in his block, not read as the delayed one's above (one
    block: «olga», «delayed»); his server's Russian words are text, not escaped bytes."""
    status = parse(_REPORT).delivery_status
    assert status == (
        "Reporting-MTA: dns; mx.shop-example.ru\n\n"
        "Final-Recipient: rfc822; olga@shop-example.ru\nAction: delayed\nStatus: 4.2.2\n\n"
        "Final-Recipient: rfc822; ivan@shop-example.ru\nAction: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 Ящик не существует"
    )
    assert ud.reported(status) == {"ivan@shop-example.ru": "550 Ящик не существует"}


def _receipt(original_id: str) -> bytes:
    return (
        "From: ivan@shop-example.ru\r\n"
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="b"\r\n'
        "\r\n--b\r\nContent-Type: text/plain\r\n\r\nПрочитано\r\n"
        "--b\r\nContent-Type: message/disposition-notification\r\n\r\n"
        f"Original-Message-ID: {original_id}\r\nDisposition: manual-action/MDN-sent-manually;"
        " displayed\r\n--b--\r\n"
    ).encode()


def test_a_read_receipt_names_the_mail_read_by_its_id_in_one_form():
    """The id a receipt names, however its client wrote it (folded, a comment after it,
    no angle brackets), is the form our mail's Message-ID is kept in: the receipt finds
    the ticket of the mail read instead of coming as an unknown mail."""
    for written in ("<c1@example.com> (Thunderbird)", "\r\n <c1@example.com>", "c1@example.com"):
        assert parse(_receipt(written)).reported_message_id == "<c1@example.com>", written


def test_a_bounce_names_the_returned_mail_by_its_id_in_one_form():
    """The Message-ID of the headers a bounce returns, folded or with a comment a relay
    added, is read as our mail's id is kept: the bounce finds its ticket."""
    for written in ("<c1@example.com> (relay)", "\r\n <c1@example.com>"):
        raw = _REPORT.replace(
            b"--B--\r\n",
            b"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@example.com\r\n"
            + f"Message-ID: {written}\r\n--B--\r\n".encode(),
        )
        assert parse(raw).reported_message_id == "<c1@example.com>", written
