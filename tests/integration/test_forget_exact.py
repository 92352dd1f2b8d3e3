"""`maild forget an@shop.ru` erases An and no one else: Ivan (ivan@shop.ru, whose
address ends with An's) keeps his ticket as it was, byte for byte, and his mail's
copy in the spool; An's own ticket loses An."""

from __future__ import annotations

from pathlib import Path

from maild.app import App
from maild.config import load
from tests.helpers import Desk, dead_port, make_mail


def _ivans(desk: Desk) -> dict[Path, bytes]:
    """The files of the store that hold Ivan's Message-ID (his ticket, his spool copy)."""
    files = (p for p in (desk.root / "data").rglob("*") if p.is_file())
    return {p: p.read_bytes() for p in files if b"1700.ivan@shop.ru" in p.read_bytes()}


def test_forgetting_an_address_leaves_the_one_that_ends_with_it(tmp_path: Path) -> None:
    desk = Desk(tmp_path, dead_port())
    ivan = make_mail(
        sender="Иван <ivan@shop.ru>",
        subject="Заказ 55",
        body="Где мой заказ? Пишите на ivan@shop.ru или IVAN@SHOP.RU.",
        msgid="<1700.ivan@shop.ru>",
        headers={"Cc": "anna@shop.ru, an@shop.russia.com"},
    )
    tid = desk.ingest_tid(ivan)
    theirs = desk.ingest_tid(make_mail(sender="An <an@shop.ru>", subject="Удалите меня"))
    shown = desk.run("ticket", "show", tid, "--json")
    files = _ivans(desk)
    assert shown.code == 0 and len(files) >= 2, files

    forget = desk.run("forget", "an@shop.ru")
    assert forget.code == 0, (forget.out, forget.err)

    again = desk.run("ticket", "show", tid, "--json")
    assert again.out == shown.out
    assert _ivans(desk) == files
    gone = desk.run("ticket", "show", theirs, "--json")
    assert "an@shop.ru" not in gone.out.lower() and "forgotten@invalid" in gone.out


def test_the_index_files_an_id_that_held_the_address_only_as_kept(tmp_path: Path) -> None:
    """Ivan's client made his Message-ID of his address: after forget the index files
    it under the id the ticket keeps (a reply to that still threads), and no entry is
    left under the id he sent: its name, a hash of the id, would confirm a guess."""
    desk = Desk(tmp_path, dead_port())
    tid = desk.ingest_tid(make_mail(sender="ivan@shop.ru", msgid="<1700.ivan@shop.ru>"))
    assert desk.run("forget", "ivan@shop.ru").code == 0
    store = App(load(desk.config)).store
    assert store.tid_for_msgid("<1700.forgotten@invalid>") == tid
    assert store.tid_for_msgid("<1700.ivan@shop.ru>") is None
    assert desk.run("fsck").code == 0
