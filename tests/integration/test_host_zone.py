"""What maild names and dates does not depend on the host's own time zone (a VPS in
UTC, a server in New York or at UTC+14): the CLI in a new interpreter under TZ."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.helpers import make_mail


def test_lost_found_copies_are_stamped_in_utc_on_any_host_zone(desk, monkeypatch):
    # Pacific/Kiritimati (UTC+14, no DST) is 14 hours from UTC all year: a stamp in the
    # host's zone, as the copies had, is far from the UTC one (backups' names are UTC)
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    desk.in_process = False  # a new interpreter reads TZ at its start
    tid = desk.ingest_tid(make_mail(sender="a@shop.example", msgid="<torn@c.example>"))
    ticket = desk.root / "data" / "tickets" / tid[:2] / f"{tid}.json"
    ticket.write_bytes(ticket.read_bytes()[:40])  # a torn write

    before = datetime.now(UTC).replace(microsecond=0)
    r = desk.run("fsck", "--repair")
    after = datetime.now(UTC)
    assert "set aside (a copy in lost+found/)" in r.out, r.out + r.err
    (copy,) = (desk.root / "data" / "lost+found" / "tickets" / tid[:2]).iterdir()
    stamp = copy.name.rsplit(".", 1)[1]
    assert stamp.endswith("Z"), copy.name  # says it is UTC
    when = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert before - timedelta(seconds=1) <= when <= after, (stamp, before, after)
