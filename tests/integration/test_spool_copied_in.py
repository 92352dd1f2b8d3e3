"""Mail an admin copies into `spool/new` by hand (README, Corrupt files: `mv` a copy
back): a copying tool writes a temporary named with a leading dot and renames it when
whole (rsync: `.KEY.XXXXXX`). A half-written temporary is no mail: `maild serve` would
store the half of it as a ticket. Through the real daemon and CLI, on real files."""

from __future__ import annotations

from tests.helpers import Daemon, make_mail, wait_until

KEY = "1700000000000000000.P1Q1.host"


def stored(desk) -> set[str]:
    """The Message-IDs of the mail the desk's tickets hold."""
    tickets = [desk.ticket(t["tid"]) for t in desk.tickets()]
    return {m["message_id"] for t in tickets for m in t["messages"] if m["direction"] == "in"}


def test_a_copying_tools_temporary_in_spool_new_is_no_mail_until_renamed(desk):
    desk.ingest_tid(make_mail(msgid="<first@client>"))  # (a storage with a spool)
    new = desk.root / "data" / "spool" / "new"
    copied = make_mail(msgid="<copied@client>", body="Письмо, скопированное целиком.\n" * 40)
    temp = new / f".{KEY}.Xy12ab"
    temp.write_bytes(copied[: len(copied) // 2])  # the copy under way
    (new / "1700000000000000001.P1Q2.host").write_bytes(make_mail(msgid="<whole@client>"))
    fsck = desk.run("fsck")
    assert fsck.code == 0 and "; 1 message(s) waiting in spool/new" in fsck.out, fsck.out
    assert desk.run("status", "--json").json()["spool"]["pending"] == 1

    daemon = Daemon(desk).start()
    try:  # serve takes what is in new/ at its start
        assert wait_until(lambda: "<whole@client>" in stored(desk)), stored(desk)
        assert wait_until(lambda: [p.name for p in new.iterdir()] == [temp.name])
        temp.write_bytes(copied)
        temp.rename(new / KEY)  # whole now: rsync's last step
    finally:
        assert daemon.stop() == 0
    daemon = Daemon(desk).start()  # (a rename into new/ is seen at the next rescan)
    try:
        assert wait_until(lambda: "<copied@client>" in stored(desk))
    finally:
        assert daemon.stop() == 0
    assert stored(desk) == {"<first@client>", "<whole@client>", "<copied@client>"}
    [ticket] = [t for t in desk.tickets() if "<copied@client>" in str(desk.ticket(t["tid"]))]
    [message] = [m for m in desk.ticket(ticket["tid"])["messages"] if m["direction"] == "in"]
    assert message["text"].count("Письмо, скопированное целиком.") == 40
