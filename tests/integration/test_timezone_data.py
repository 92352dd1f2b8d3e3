"""maild keeps Moscow time on a system without a time zone database.

Debian 12's minimal images have no /usr/share/zoneinfo (tzdata is no longer a
required package); `zoneinfo` then finds Europe/Moscow only in the `tzdata` package,
one of maild's dependencies. PYTHONTZPATH is zoneinfo's own setting of where the
system's database is: pointed at an empty folder, it is that system.
"""

from __future__ import annotations

from tests.helpers import Desk, Sink


def test_a_system_without_zoneinfo_files_still_runs_on_moscow_time(tmp_path, monkeypatch):
    empty = tmp_path / "no-zoneinfo"
    empty.mkdir()
    monkeypatch.setenv("PYTHONTZPATH", str(empty))
    sink = Sink().start()
    try:
        desk = Desk(tmp_path, sink.port)
        desk.in_process = False  # a new interpreter reads PYTHONTZPATH at its start
        checked = desk.run("check-config")
        assert checked.code == 0, checked.err
        mail = (
            "From: ivan@client.example\r\nTo: support@example.com\r\n"
            "Subject: =?utf-8?b?0J/RgNC+0LHQu9C10LzQsA==?=\r\nMessage-ID: <tz1@client.example>\r\n"
            "\r\nНе работает оплата.\r\n"
        ).encode()
        ingested = desk.run("ingest", input=mail)
        assert ingested.code == 0, ingested.err
        (ticket,) = desk.run("ticket", "list", "--json").json()
        assert ticket["reaction_due"].endswith("+03:00")
    finally:
        sink.stop()
