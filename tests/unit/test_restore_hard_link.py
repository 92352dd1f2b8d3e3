"""An archive whose outbox queue holds a hard link (one mail's file under two names):
`maild restore` extracts the queue aside (outbox/.restore-queue) to hold it before it
is in place, so the link's target is moved there with it; a link left pointing at
outbox/queue/ found nothing and the whole restore failed as "damaged"."""

from __future__ import annotations

import io
import json
import tarfile
from datetime import UTC, datetime
from pathlib import Path

from maild.adapters.outfile import pack, unpack
from maild.domain.outboxrecord import outbox_entry
from maild.ops.backup import FORMAT, MANIFEST
from maild.ops.restore import restore

ID = "0123456789abcdef01234567"
CREATED = "2026-12-07T10:00:00+00:00"


def _member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o600
    tar.addfile(info, io.BytesIO(data))


def test_a_hard_link_in_the_queue_is_restored_in_the_queue(tmp_path: Path):
    meta = outbox_entry(
        ID, tid="1234-5678", kind="confirmation",
        headers=("Поддержка <support@example.com>", "support@example.com", "Тема", "<x@e>"),
        to=["ivan@shop.example"], queued_at=datetime(2026, 12, 7, 9, tzinfo=UTC),
    )  # fmt: skip
    mail = pack(meta, b"Subject: x\r\n\r\nbody\r\n")
    archive = tmp_path / "snap.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        _member(tar, MANIFEST, json.dumps({"format": FORMAT, "created_at": CREATED}).encode())
        for folder in ("outbox", "outbox/queue"):
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, 0o700
            tar.addfile(info)
        _member(tar, f"outbox/queue/{ID}.mail", mail)
        link = tarfile.TarInfo("outbox/queue/copy.mail")
        link.type, link.linkname = tarfile.LNKTYPE, f"outbox/queue/{ID}.mail"
        tar.addfile(link)
    target = tmp_path / "restored"
    manifest = restore(archive, target)
    queue = target / "outbox" / "queue"
    assert sorted(p.name for p in queue.iterdir()) == sorted([f"{ID}.mail", "copy.mail"])
    assert not (target / "outbox" / ".restore-queue").exists()
    assert manifest["held"] == 1  # the mail is held; the copy, no record of its name, is not
    path = queue / f"{ID}.mail"
    assert unpack(str(path), path.read_bytes())[0]["held"] == CREATED
    assert (queue / "copy.mail").read_bytes() == mail
