"""`maild forget` and a mail of theirs released from the quarantine whose Message-ID
holds the address (`<1700000000.ivan@shop.ru>`, as many clients make it): the
ticket and the Message-ID index keep it as `<1700000000.forgotten@invalid>`, but the
release's marker (`quarantine/released/`) kept the id as it came, the address in its
record and a hash of the id for a name."""

from __future__ import annotations

import subprocess

from tests.helpers import make_mail


def test_forget_leaves_no_release_marker_naming_the_address(desk):
    raw = make_mail(
        sender="Иван <ivan@shop.ru>",
        msgid="<1700000000.ivan@shop.ru>",
        headers={"X-Spam-Flag": "YES"},
    )
    desk.sections["spam"] = {"enabled": True}
    desk.write_config()
    assert desk.run("ingest", "-", input=raw).out.startswith("quarantined ")
    [entry] = desk.run("spam", "list", "--json").json()
    assert desk.run("spam", "release", entry["id"]).code == 0
    assert desk.run("forget", "ivan@shop.ru").code == 0
    data = desk.root / "data"
    found = subprocess.run(
        ["grep", "-rli", "ivan@shop.ru", str(data)], capture_output=True, text=True
    )
    assert found.stdout == "", found.stdout  # quarantine/released/<hash of the id>
    [marker] = (data / "quarantine" / "released").iterdir()
    assert "1700000000.forgotten@invalid" in marker.read_text()
    assert desk.run("fsck").code == 0
