"""`maild fsck` checks the attachment files the tickets name (there, and of the
content their name says) and tells a ticket message's damaged spool copy from mail
in no ticket. Through the real CLI, on real files."""

from __future__ import annotations

import hashlib
import shutil
import struct
import zlib

import pytest

from tests.helpers import make_mail


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


PNG = (  # a whole 16x16 picture: kept as the customer's file
    b"\x89PNG\r\n\x1a\n"
    + _chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
    + _chunk(b"IDAT", zlib.compress(b"".join(b"\x00" + b"\xff\x00\x00" * 16 for _ in range(16))))
    + _chunk(b"IEND", b"")
)
SHA = hashlib.sha256(PNG).hexdigest()


def _stored(desk, msgid: str) -> tuple[str, object]:
    mail = make_mail(msgid=msgid, attachments=[("act.png", "image/png", PNG)])
    tid = desk.ingest_tid(mail)
    path = desk.root / "data" / "attachments" / SHA[:2] / SHA
    assert path.read_bytes() == PNG
    return tid, path


def _copy(desk, msgid: str):
    cur = desk.root / "data" / "spool" / "cur"
    (copy,) = [p for p in cur.iterdir() if msgid.encode() in p.read_bytes()]
    return copy


def test_a_changed_file_is_named_and_restored_from_its_spool_copy(desk):
    tid, path = _stored(desk, "<act@c.example>")
    path.write_bytes(b"tampered")
    rel = f"attachments/{SHA[:2]}/{SHA}"
    got = hashlib.sha256(b"tampered").hexdigest()[:12]
    line = (
        f"{rel}: the file 'act.png' of <act@c.example> in {tid} is changed (its bytes hash "
        f"to {got}…): the support site hands out these bytes"
    )
    r = desk.run("fsck")
    assert r.code == 1 and r.out.splitlines()[0] == line, r.out
    assert desk.run("fsck", "--quick").code == 0  # there: --quick reads no content

    r = desk.run("fsck", "--repair")
    assert r.code == 0 and f"fixed: {rel}: restored from its message's spool copy" in r.out
    assert path.read_bytes() == PNG
    kept = list((desk.root / "data" / "lost+found" / "attachments").rglob("*"))
    assert any(p.is_file() and p.read_bytes() == b"tampered" for p in kept)
    assert desk.run("fsck").code == 0


def test_repair_puts_back_the_part_whose_bytes_are_the_files(desk):
    """A mail of two pictures, the second's file changed: --repair puts back the part
    that hashes to the file's name, not the first part of the mail."""
    blue = PNG.replace(
        _chunk(b"IDAT", zlib.compress(b"".join(b"\x00" + b"\xff\x00\x00" * 16 for _ in range(16)))),
        _chunk(b"IDAT", zlib.compress(b"".join(b"\x00" + b"\x00\x00\xff" * 16 for _ in range(16)))),
    )
    mail = make_mail(
        msgid="<two@c.example>",
        attachments=[("red.png", "image/png", PNG), ("blue.png", "image/png", blue)],
    )
    desk.ingest_tid(mail)
    sha = hashlib.sha256(blue).hexdigest()
    path = desk.root / "data" / "attachments" / sha[:2] / sha
    assert path.read_bytes() == blue != PNG
    path.write_bytes(b"tampered")
    r = desk.run("fsck", "--repair")
    assert r.code == 0 and "restored from its message's spool copy" in r.out, r.out
    assert path.read_bytes() == blue
    assert desk.run("fsck").code == 0


def test_a_file_whose_folder_is_gone_is_restored_with_its_folder(desk):
    """attachments/<ab>/ removed whole (an admin's rm -r): --repair makes the folder
    again and puts the file back from its spool copy, where a write into the missing
    folder failed and left the customer's file gone from the site."""
    _tid, path = _stored(desk, "<folder@c.example>")
    shutil.rmtree(path.parent)
    rel = f"attachments/{SHA[:2]}/{SHA}"
    r = desk.run("fsck", "--repair")
    assert r.code == 0 and f"fixed: {rel}: restored from its message's spool copy" in r.out
    assert path.read_bytes() == PNG
    assert desk.run("fsck").code == 0


def test_a_missing_file_without_a_spool_copy_is_not_repairable(desk):
    tid, path = _stored(desk, "<gone@c.example>")
    copy = _copy(desk, "<gone@c.example>")
    copy.unlink()
    path.unlink()
    rel = f"attachments/{SHA[:2]}/{SHA}"
    line = (
        f"{rel}: the file 'act.png' of <gone@c.example> in {tid} is missing: the support "
        "site's link to it answers «not found» (not repairable: restore it from a backup)"
    )
    for args in (("fsck",), ("fsck", "--quick"), ("fsck", "--repair")):
        r = desk.run(*args)
        assert r.code == 1 and line in r.out.splitlines(), r.out
        assert not any(x.startswith(f"fixed: {rel}") for x in r.out.splitlines())
    assert not path.exists()


def test_a_file_two_messages_name_is_said_once_and_restored_from_either_copy(desk):
    """A file stored once for two messages (the same picture sent twice) is one line
    that counts the other message; the first message's spool copy gone, --repair
    still puts the file back from the other's copy, rather than send the admin to a
    backup."""
    tid, path = _stored(desk, "<one@c.example>")
    mail = make_mail(
        msgid="<two@c.example>", subject="Ещё раз", attachments=[("act.png", "image/png", PNG)]
    )
    other = desk.ingest_tid(mail)
    assert other != tid
    path.unlink()
    r = desk.run("fsck")
    (line,) = [x for x in r.out.splitlines() if x.startswith(f"attachments/{SHA[:2]}/{SHA}: ")]
    assert r.code == 1 and " (and of 1 more message(s)) is missing" in line, r.out
    named = "<one@c.example>" if "<one@c.example>" in line else "<two@c.example>"
    _copy(desk, named).unlink()  # the copy of the message the line names first
    r = desk.run("fsck", "--repair")
    assert "restored from its message's spool copy" in r.out, r.out
    assert path.read_bytes() == PNG


def test_a_spool_copy_that_cannot_be_read_is_passed_over_for_the_next(desk):
    """A file named by two messages, the first one's spool copy unreadable (here a
    folder in its place: EISDIR, as EACCES or EIO would be): --repair reads the other
    copy and puts the file back, rather than stop at the first and send the admin to
    a backup."""
    tid, path = _stored(desk, "<r1@c.example>")
    mail = make_mail(
        msgid="<r2@c.example>", subject="Снова", attachments=[("act.png", "image/png", PNG)]
    )
    assert desk.ingest_tid(mail) != tid
    path.unlink()
    r = desk.run("fsck")
    (line,) = [x for x in r.out.splitlines() if x.startswith(f"attachments/{SHA[:2]}/{SHA}: ")]
    named = "<r1@c.example>" if "<r1@c.example>" in line else "<r2@c.example>"
    copy = _copy(desk, named)  # the copy of the message the line names first
    copy.unlink()
    copy.mkdir()
    r = desk.run("fsck", "--repair")
    assert "restored from its message's spool copy" in r.out, r.out
    assert path.read_bytes() == PNG


# what took the copy's place: garbage, or a whole mail of someone else's (a stray file,
# a copy of another name): the latter, re-queued, would be a new ticket in serve, mailed
STRAY = make_mail(msgid="<stray@elsewhere.example>", sender="stray@elsewhere.example")


@pytest.mark.parametrize("damage", [b"garbage\n", STRAY], ids=["garbage", "stray mail"])
def test_a_damaged_spool_copy_is_named_and_never_requeued(desk, damage):
    tid = desk.ingest_tid(make_mail(msgid="<b1@c.example>"))
    copy = _copy(desk, "<b1@c.example>")
    copy.write_bytes(damage)
    r = desk.run("fsck", "--repair")
    assert r.code == 1, r.out
    first = r.out.splitlines()[0]
    assert first.startswith(
        f"spool/cur/{copy.name}: the spool copy of <b1@c.example> in {tid} is damaged ("
    ), r.out
    assert first.endswith("in its place; not repairable: restore it from a backup)")
    assert "fixed:" not in r.out
    assert copy.exists() and not list((desk.root / "data" / "spool" / "new").iterdir())


def test_a_directory_in_a_files_place_is_named_and_left(desk):
    tid, path = _stored(desk, "<dir@c.example>")
    path.unlink()
    path.mkdir()
    r = desk.run("fsck", "--repair")
    rel = f"attachments/{SHA[:2]}/{SHA}"
    line = (
        f"{rel}: the file 'act.png' of <dir@c.example> in {tid} cannot be read (Is a "
        "directory): the support site's link to it answers «not found» (not repaired: move "
        "it away)"
    )
    assert r.code == 1 and line in r.out.splitlines(), r.out
    assert path.is_dir()
