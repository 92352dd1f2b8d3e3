"""`maild fsck` names a ticket message's spool copy cut short (a file truncated on
disk), and `--repair` never rebuilds a ticket from it: serve would store the customer's
text as a MIME fragment and drop the attachments. Through the real CLI, on real files."""

from __future__ import annotations

from tests.helpers import make_mail, serve_until_spool_empty

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def _desk_with_cut_copy(desk) -> tuple[str, object]:
    mail = make_mail(msgid="<q1@client>", attachments=[("s.png", "image/png", PNG)])
    tid = desk.ingest_tid(mail)
    cur = desk.root / "data" / "spool" / "cur"
    (copy,) = [p for p in cur.iterdir() if b"<q1@client>" in p.read_bytes()]
    raw = copy.read_bytes()
    cut = raw.index(b"Content-Type", raw.index(b"\n\n" if b"\n\n" in raw else b"\r\n\r\n"))
    with open(copy, "r+b") as f:  # cut in its first part's header block
        f.truncate(cut + 10)
    return tid, copy


def test_a_cut_copy_is_named_and_left(desk):
    tid, copy = _desk_with_cut_copy(desk)
    line = (
        f"spool/cur/{copy.name}: the spool copy of <q1@client> in {tid} is cut short (its "
        "multipart's close delimiter is missing; not repairable: restore it from a backup)"
    )
    for args in (("fsck",), ("fsck", "--repair")):
        r = desk.run(*args)
        assert r.code == 1 and line in r.out.splitlines(), r.out
        assert "fixed:" not in r.out


def test_a_broken_ticket_is_not_rebuilt_from_a_cut_copy(desk):
    tid, copy = _desk_with_cut_copy(desk)
    (ticket,) = (desk.root / "data" / "tickets").rglob(f"{tid}.json")
    with open(ticket, "r+b") as f:
        f.truncate(100)
    r = desk.run("fsck", "--repair")
    assert r.code == 1, r.out
    line = (
        f"spool/cur/{copy.name}: <q1@client>, in no ticket (the Message-ID index names "
        f"{tid}), is cut short (its multipart's close delimiter is missing; not "
        "repairable: restore it from a backup; if the backup's copy ends the same, its "
        f"sender sent it so: `mv` it to spool/new/{copy.name.split(':')[0]} as the "
        "storage's owner, and serve stores it)"
    )
    assert line in r.out.splitlines(), r.out
    assert not any(x.startswith(f"fixed: spool/cur/{copy.name}") for x in r.out.splitlines())
    assert copy.exists() and not list((desk.root / "data" / "spool" / "new").iterdir())
    r = desk.run("fsck")  # named again until it is restored: never taken for clean
    assert r.code == 1 and line in r.out.splitlines(), r.out


def test_mail_its_sender_never_closed_is_stored_again_as_fsck_says(desk):
    """A multipart its sender sent without the close delimiter looks cut to fsck; with
    its ticket file lost it is in no ticket and never re-queued. Doing what fsck's line
    says (moved back to spool/new) stores it again, its file with it."""
    whole = make_mail(msgid="<q2@client>", attachments=[("s.png", "image/png", PNG)])
    sent = whole[: whole.rstrip().rindex(b"\n--")]  # the close delimiter never sent
    tid = desk.ingest_tid(sent)
    (ticket,) = (desk.root / "data" / "tickets").rglob(f"{tid}.json")
    ticket.unlink()  # (a lost file: fsck names the mail in no ticket)
    r = desk.run("fsck", "--repair")
    [line] = [x for x in r.out.splitlines() if "<q2@client>, in no ticket" in x]
    mv = line[line.index("`mv` it to ") + len("`mv` it to ") :].split(" ")[0]
    (copy,) = [
        p for p in (desk.root / "data" / "spool" / "cur").iterdir() if b"<q2@" in p.read_bytes()
    ]
    copy.rename(desk.root / "data" / mv)
    serve_until_spool_empty(desk, outbox_turn=0)
    [mail] = [m for m in desk.ticket(tid)["messages"] if m["message_id"] == "<q2@client>"]
    assert [a["filename"] for a in mail["attachments"]] == ["s.png"]


def test_a_stored_mail_that_came_unclosed_or_as_random_bytes_is_no_damage(desk):
    """A multipart its sender never closed, or a «mail» of random bytes with no header
    block to speak of (spam), stored as it came: fsck named its spool copy cut short,
    «not repairable: restore it from a backup», at every run, though the backup holds
    the same bytes. The record's digest of the mail as it came tells the two apart: a
    copy cut after it was stored is still named."""
    import random

    whole = make_mail(msgid="<q3@client>", attachments=[("s.png", "image/png", PNG)])
    desk.ingest_tid(whole[: whole.rstrip().rindex(b"\n--")])
    noise = bytes(random.Random(7).randrange(256) for _ in range(5000)).replace(b"\n", b"")
    desk.ingest_tid(b"X-Noise: " + noise)
    r = desk.run("fsck")
    assert r.code == 0 and "cut short" not in r.out, r.out
    tid, copy = _desk_with_cut_copy(desk)  # (and one cut on disk: named as ever)
    r = desk.run("fsck")
    assert r.code == 1 and [x for x in r.out.splitlines() if "cut short" in x] == [
        f"spool/cur/{copy.name}: the spool copy of <q1@client> in {tid} is cut short (its "
        "multipart's close delimiter is missing; not repairable: restore it from a backup)"
    ], r.out
