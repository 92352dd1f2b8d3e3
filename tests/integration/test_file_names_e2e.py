"""A ZIP member's name with a no-break space, through `maild ingest` and `maild ticket
show --json`: a refused archive names the member's path as the customer's archiver
wrote it; the space was deleted from it («../Скриншотошибки.bmp»)."""

from __future__ import annotations

from tests.helpers import make_mail
from tests.unit.test_attachments import bmp_bytes, zip_bytes

SHOT = "Скриншот\u00a0ошибки"  # a no-break space, as Word keeps it


def test_a_refused_zip_names_its_members_path_with_its_no_break_space(desk):
    raw = make_mail(
        attachments=[
            ("shots.zip", "application/zip", zip_bytes({f"{SHOT}.bmp": bmp_bytes()})),
            ("unsafe.zip", "application/zip", zip_bytes({f"../{SHOT}.bmp": bmp_bytes()})),
        ]
    )
    message = desk.ticket(desk.ingest_tid(raw))["messages"][0]
    shots, unsafe = message["attachments"]
    assert shots["accepted"]  # a BMP goes zipped
    assert not unsafe["accepted"] and f"небезопасным путём («../{SHOT}.bmp»)" in unsafe["reason"]
