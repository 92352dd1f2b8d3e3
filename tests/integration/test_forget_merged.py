"""maild forget of a person whose ticket was merged with another's: a #merge copies the
merged ticket's records into the ticket that goes on, spool copy and all. Forget
erased the person's own ticket whole and removed the spool copies of its staff mail,
which the other ticket keeps as staff's (its requester is another): `maild fsck` then
found «the spool copy of <...> is missing (not repairable: restore it from a backup)»
for good. Those copies stay, without the address, as another's mail does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import Desk, dead_port, make_mail, staff_reply, stored_text

IVAN = "ivan@shop-example.ru"
OLGA = "olga@other.example"


def _forgotten_whole(desk: Desk, tmp_path: Path, address: str) -> None:
    """`maild forget` of `address` succeeds, `maild fsck` finds the store whole after
    it, and no stored file names the address."""
    r = desk.run("forget", address)
    assert r.code == 0, r.err
    checked = desk.run("fsck")
    assert checked.code == 0, checked.out
    assert address not in stored_text(tmp_path)


@pytest.mark.parametrize("forgotten", [IVAN, OLGA])
def test_forget_after_a_merge_leaves_the_spool_copies_the_other_ticket_keeps(
    tmp_path: Path, forgotten: str
) -> None:
    desk = Desk(tmp_path, dead_port())
    ivan = desk.ingest_tid(make_mail(sender=f"Иван <{IVAN}>", subject="Ошибка оплаты"))
    olga = desk.ingest_tid(make_mail(sender=OLGA, subject="Та же ошибка"))
    quote = f"{IVAN} писал: ошибка оплаты" if forgotten == IVAN else f"{OLGA} писала"
    desk.ingest(staff_reply(ivan, f"Смотрю.\n#assign anna@example.com\n\n> {quote}"))
    # either way: Ivan's ticket into Olga's, or Olga's into Ivan's
    source, target = (ivan, olga) if forgotten == IVAN else (olga, ivan)
    desk.ingest(staff_reply(source, f"#merge {target}", msgid="<merge@example.com>"))
    assert desk.run("fsck").code == 0
    _forgotten_whole(desk, tmp_path, forgotten)


def test_forget_of_the_ticket_another_was_merged_into_leaves_that_ones_spool_copies(
    tmp_path: Path,
) -> None:
    """Olga's ticket merged into Ivan's: Ivan's, erased whole, holds copies of her
    records, whose spool copies her ticket still names; they stay."""
    desk = Desk(tmp_path, dead_port())
    ivan = desk.ingest_tid(make_mail(sender=f"Иван <{IVAN}>", subject="Ошибка оплаты"))
    olga = desk.ingest_tid(make_mail(sender=OLGA, subject="Та же ошибка"))
    desk.ingest(staff_reply(olga, "Смотрю.\n#assign anna@example.com"))
    desk.ingest(staff_reply(olga, f"#merge {ivan}", msgid="<merge@example.com>"))
    assert desk.run("fsck").code == 0
    _forgotten_whole(desk, tmp_path, IVAN)


def test_forget_follows_a_chain_of_merges_to_the_ticket_that_keeps_the_copies(
    tmp_path: Path,
) -> None:
    """Ivan's ticket merged into his second, that one into Olga's: the staff reply of
    the first, in Olga's ticket as staff's mail, keeps its spool copy."""
    desk = Desk(tmp_path, dead_port())
    first = desk.ingest_tid(make_mail(sender=f"Иван <{IVAN}>", subject="Ошибка оплаты"))
    second = desk.ingest_tid(make_mail(sender=IVAN, subject="Снова ошибка"))
    olga = desk.ingest_tid(make_mail(sender=OLGA, subject="Та же ошибка"))
    desk.ingest(staff_reply(first, f"Смотрю.\n#assign anna@example.com\n\n> {IVAN} писал"))
    desk.ingest(staff_reply(first, f"#merge {second}", msgid="<merge1@example.com>"))
    desk.ingest(staff_reply(second, f"#merge {olga}", msgid="<merge2@example.com>"))
    _forgotten_whole(desk, tmp_path, IVAN)
