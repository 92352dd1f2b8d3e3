"""One outbox file: its record carries the mail's length, so a file whose mail was cut
(a disk's damage, a partial restore) is told from a whole one: it was sent cut."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maild.adapters.outfile import folder_records, mail_wrong, pack, relength, unpack

NAME = "0123456789abcdef01234567"
META = {
    "id": NAME,
    "tid": "1234-5678",
    "kind": "confirmation",
    "from": "Поддержка <support@example.com>",
    "sender": "support@example.com",
    "to": ["ivan@shop.example"],
    "subject": "[TID#1234-5678] Обращение принято",
    "message_id": "<x@example.com>",
    "queued_at": "2026-12-06T10:00:00+03:00",
    "attempts": 0,
    "last_error": None,
    "next_try": None,
}
PATH = f"/q/{NAME}.mail"


@given(st.binary(max_size=2000))
def test_a_file_packed_unpacks_to_its_mail(raw):
    meta, mail = unpack(PATH, pack(META, raw))
    assert mail == raw and meta["length"] == len(raw)
    assert unpack(PATH, pack(meta, raw + b"more"))[0]["length"] == len(raw) + 4  # anew


@given(st.binary(min_size=1, max_size=2000), st.data())
def test_a_file_whose_mail_is_cut_is_no_whole_file(raw, data):
    whole = pack(META, raw)
    cut = data.draw(st.integers(whole.index(b"\n") + 1, len(whole) - 1))
    with pytest.raises(ValueError, match="its mail is cut short"):
        unpack(PATH, whole[:cut])
    with pytest.raises(ValueError, match="not the"):
        unpack(PATH, whole + b"\n")
    start = whole.index(b"\n") + 1  # a mail not kept (withdrawn): read as it is
    assert unpack(PATH, whole[:cut], whole=False)[1] == whole[start:cut]


def test_a_file_written_before_the_length_was_kept_is_read_as_it_is():
    old = json.dumps(META).encode() + b"\nSubject: x\n\ntext\n"
    assert unpack(PATH, old) == (META, b"Subject: x\n\ntext\n")
    assert unpack(PATH, old[:-3])[1] == b"Subject: x\n\nte"  # (nothing tells it is cut)


@pytest.mark.parametrize("length", ["12", -1, True, None, 1.5])
def test_a_length_that_no_mail_can_be_is_wrong(length):
    meta = {**META, "length": length}
    if length is None:
        assert mail_wrong(meta, 5) is None  # (JSON null: as no length)
    else:
        assert "no length a mail can be" in (mail_wrong(meta, 5) or "")


def test_a_mail_rewritten_keeps_its_record_giving_its_length():
    raw = b"To: ivan@shop.example\n\ntext\n"
    line = pack(META, raw).partition(b"\n")[0]
    new = raw.replace(b"ivan@shop.example", b"forgotten@invalid")
    assert json.loads(relength(line, raw, new))["length"] == len(new)
    assert relength(line, raw, raw) == line
    cut = raw[:-3]  # the file was cut before: it stays as broken as it was
    assert relength(line, cut, new) == line
    for odd in (json.dumps(META).encode(), b"no json", b"[1]", b"\xff"):
        assert relength(odd, raw, new) == odd  # no length given, no record: as it was


def test_a_record_giving_another_length_than_the_old_mails_is_left_as_it_was():
    """maild forget rewrites a mail to a shorter (or longer) one: only a record that
    gave the old mail's length is given the new one. A file cut short before (its
    record gives more than its mail holds) must stay told apart as cut: given the
    new length it would pass as whole and go to the customer cut; a record with no
    length (written before it was kept) stays without one."""
    raw = b"To: ivan@shop.example\n\ntext\n"
    line = pack(META, raw).partition(b"\n")[0]
    new = raw.replace(b"ivan@shop.example", b"x@invalid")  # shorter
    assert json.loads(relength(line, raw, new))["length"] == len(new)
    cut = raw[:-3]
    assert relength(line, cut, new) == line
    assert mail_wrong(json.loads(relength(line, cut, new)), len(new))  # still cut
    old = json.dumps(META).encode()
    assert relength(old, raw, new) == old


def test_the_queues_listing_names_a_file_whose_mail_is_cut(tmp_path):
    whole = pack(META, b"Subject: x\n\ntext\n")
    (tmp_path / f"{NAME}.mail").write_bytes(whole[:-4])
    other = {**META, "id": "f" * 24}
    (tmp_path / ("f" * 24 + ".mail")).write_bytes(pack(other, b"Subject: y\n\nok\n"))
    broken: dict[str, str] = {}
    mails: dict[str, bytes] = {}
    listed = folder_records(tmp_path, mails, broken)
    assert [m["id"] for m in listed] == ["f" * 24] and list(mails) == ["f" * 24]
    assert broken == {
        f"{tmp_path}/{NAME}.mail": "its mail is cut short (13 of the 17 bytes its record gives)"
    }
    assert len(folder_records(tmp_path)) == 2  # sent/, refused/: listed as they are


def test_what_is_no_mail_file_in_the_queue_is_passed_by_not_named(tmp_path):
    """A write in progress (durable.temp_path: `.<name>.<pid>.<ns>.tmp` beside the
    file, or one a crash left) or an admin's note in the folder is no queued mail:
    the listing names none of them broken, so `status` shows no problem of the
    outbox while a pass writes."""
    data = pack(META, b"Subject: x\n\ntext\n")
    (tmp_path / f"{NAME}.mail").write_bytes(data)
    (tmp_path / f".{NAME}.mail.4242.1234567.tmp").write_bytes(data[:10])
    (tmp_path / "README").write_text("do not touch\n")
    broken: dict[str, str] = {}
    assert [m["id"] for m in folder_records(tmp_path, {}, broken)] == [NAME]
    assert broken == {}


def test_a_file_gone_between_the_listing_and_its_reading_is_passed_by(tmp_path):
    """A mail a pass sent or moved after the folder was listed is gone when it is
    opened (FileNotFoundError: here a link to nothing stands for it): it is neither
    broken nor an error of the listing, and the rest is listed."""
    (tmp_path / f"{NAME}.mail").write_bytes(pack(META, b"Subject: x\n\ntext\n"))
    (tmp_path / ("f" * 24 + ".mail")).symlink_to(tmp_path / "gone")
    broken: dict[str, str] = {}
    assert [m["id"] for m in folder_records(tmp_path, {}, broken)] == [NAME]
    assert broken == {}


def test_a_copy_of_a_queue_file_under_another_name_is_named_not_sent(tmp_path):
    """The sender moves and logs a mail by its record's id: a copy under another
    name (an admin's cp) would go again on every pass. It is listed as broken."""
    data = pack(META, b"Subject: x\n\ntext\n")
    (tmp_path / f"{NAME}.mail").write_bytes(data)
    (tmp_path / "copy.mail").write_bytes(data)
    broken: dict[str, str] = {}
    assert [m["id"] for m in folder_records(tmp_path, {}, broken)] == [NAME]
    assert broken == {f"{tmp_path}/copy.mail": "no record on its first line"}


def test_a_folder_named_as_a_queue_file_holds_back_nothing_else(tmp_path):
    """A directory `x.mail` in the queue (a stray `mkdir`, a restore's leftover) is named
    in `broken`; the listing does not raise IsADirectoryError, so the rest of the queue
    goes."""
    (tmp_path / "stray.mail").mkdir()
    (tmp_path / f"{NAME}.mail").write_bytes(pack(META, b"Subject: x\n\ntext\n"))
    broken: dict[str, str] = {}
    assert [m["id"] for m in folder_records(tmp_path, {}, broken)] == [NAME]
    assert list(broken) == [f"{tmp_path}/stray.mail"]
