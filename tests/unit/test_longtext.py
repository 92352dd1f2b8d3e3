"""domain/longtext.py: a mail to staff shows the start of a long text, the whole goes zipped."""

from __future__ import annotations

import io
import random
import zipfile
from datetime import datetime, timedelta, timezone

import pytest

from maild.domain import longtext
from maild.domain.longtext import (
    MAX_MAILED_TEXT,
    is_zipped_text,
    mailed_text,
    redacted_zip,
    zipped_text,
)

WHEN = datetime(2026, 12, 7, 13, 5, 42, tzinfo=timezone(timedelta(hours=3)))


def test_a_text_up_to_the_limit_is_shown_whole() -> None:
    text = "а" * MAX_MAILED_TEXT
    assert mailed_text(text) == (text, None)


def test_a_longer_text_is_cut_at_a_line_end_and_counted() -> None:
    text = "строка журнала\n" * (MAX_MAILED_TEXT // 10)
    shown, cut = mailed_text(text)
    assert text.startswith(shown) and shown.endswith("журнала")
    assert MAX_MAILED_TEXT - 20 < len(shown) <= MAX_MAILED_TEXT
    assert cut == {"shown": len(shown), "total": len(text)}


def test_one_long_line_is_cut_at_the_limit() -> None:
    shown, cut = mailed_text("ы" * (3 * MAX_MAILED_TEXT))
    assert len(shown) == MAX_MAILED_TEXT and cut["total"] == 3 * MAX_MAILED_TEXT


def test_the_whole_text_unzips_as_it_was() -> None:
    text = "Журнал ошибок\n" * 50_000 + "\udcff"  # an undecodable byte kept as it was read
    name, ctype, data = zipped_text(text, "1234-5678", WHEN)
    assert (name, ctype) == ("текст-обращения-1234-5678.zip", "application/zip")
    assert len(data) < len(text) // 20
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        (inner,) = z.namelist()
        assert inner == "текст-обращения-1234-5678.txt"
        assert z.getinfo(inner).date_time == (2026, 12, 7, 13, 5, 42)  # as the mail came
        assert z.read(inner).decode("utf-8", "surrogatepass") == text


def test_a_text_is_zipped_a_piece_at_a_time_and_given_up_past_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A text whose zip passes MAX_ZIPPED_TEXT gives no zip (the notice leaves it
    out), found before the whole is zipped; one under it unzips as it was, a pair of
    surrogates (undecodable bytes kept as read) split between two pieces included."""
    monkeypatch.setattr(longtext, "_ZIP_PIECE", 1000, raising=False)
    monkeypatch.setattr(longtext, "MAX_ZIPPED_TEXT", 5000)
    text = "ж" * 999 + "\ud83d\ude00" + "журнал\n" * 300 + "\udcff"
    zipped = zipped_text(text, "1234-5678", WHEN)
    assert zipped is not None and len(zipped[2]) <= 5000
    with zipfile.ZipFile(io.BytesIO(zipped[2])) as z:
        assert z.read(z.namelist()[0]).decode("utf-8", "surrogatepass") == text
    noise = "".join(map(chr, random.Random(1).choices(range(32, 1200), k=20_000)))
    assert zipped_text(noise, "1234-5678", WHEN) is None
    assert zipped_text(noise[:1500], "1234-5678", WHEN) is not None  # one piece, under the limit


def test_a_line_end_in_the_first_half_does_not_cut_the_text_short() -> None:
    text = "а" * (MAX_MAILED_TEXT // 3) + "\n" + "б" * MAX_MAILED_TEXT
    shown, _cut = mailed_text(text)
    assert len(shown) == MAX_MAILED_TEXT  # not a third of it


def test_the_zipped_text_is_redacted_as_the_ticket_is() -> None:
    name, ctype, data = zipped_text("x\n" * 10 + "Пароль: S3cretTail\n", "1234-5678", WHEN)
    assert is_zipped_text(name, ctype) and not is_zipped_text("отчёт.zip", ctype)
    redacted = redacted_zip(data)
    assert redacted is not None
    with zipfile.ZipFile(io.BytesIO(redacted)) as z:
        assert z.namelist() == ["текст-обращения-1234-5678.txt"]
        text = z.read(z.namelist()[0]).decode()
    assert text == "x\n" * 10 + "Пароль: [данные доступа удалены]\n"
    assert redacted_zip(redacted) is None  # nothing more to blank
    assert redacted_zip(b"PK not a zip") is None


def test_a_text_whose_zip_passes_the_limit_only_once_closed_gives_no_zip(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One piece the compressor holds until the end: the zip is over MAX_ZIPPED_TEXT only
    once finished, and the notice still carries none (a relay refuses it)."""
    monkeypatch.setattr(longtext, "MAX_ZIPPED_TEXT", 5000)
    noise = "".join(map(chr, random.Random(1).choices(range(32, 1200), k=4000)))
    assert zipped_text(noise, "1234-5678", WHEN) is None
    assert zipped_text(noise[:3000], "1234-5678", WHEN) is not None


def test_only_the_zipped_text_a_notice_carries_is_taken_for_it() -> None:
    """The credentials job rewrites the zipped whole text alone: a customer's file of
    another type or name that a notice carries stays as it was sent."""
    name = "текст-обращения-1234-5678.zip"
    assert is_zipped_text(name, "application/zip")
    assert not is_zipped_text(name, "application/octet-stream")
    assert not is_zipped_text("мой-текст-обращения-1234-5678.zip", "application/zip")
    assert not is_zipped_text("текст-обращения-1234-5678.zip.txt", "application/zip")
    assert not is_zipped_text(None, "application/zip")
