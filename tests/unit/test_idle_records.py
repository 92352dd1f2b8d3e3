"""What the daily sweeps may remove: an address record holding nothing but past
times (addressrec.idle), the sent log's lines of mail no longer in sent/
(outlogs.trim_sent_log)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from maild.adapters.outlogs import SENT_LOG, read_sent_log, trim_sent_log
from maild.adapters.store.addressrec import idle

BEFORE = datetime(2026, 12, 1, tzinfo=UTC)
FIELDS = ("auto_replies", "staff_notices", "proven_notices", "reminder_singles")
ONE = ("notices_held", "escalation_listed", "refused_listed")

hours = st.integers(min_value=-500, max_value=500)


@given(
    st.dictionaries(st.sampled_from(FIELDS), st.lists(hours, max_size=4)),
    st.dictionaries(st.sampled_from(ONE), hours),
    st.booleans(),
)
def test_a_record_is_idle_when_every_time_is_before_the_cut(lists, single, first_seen):
    record: dict = {
        k: [(BEFORE + timedelta(hours=h)).isoformat() for h in v] for k, v in lists.items()
    }
    record.update({k: (BEFORE + timedelta(hours=h)).isoformat() for k, h in single.items()})
    hs = [h for v in lists.values() for h in v] + list(single.values())
    if first_seen:
        record["first_seen"] = "2024-01-01"
    assert idle(record, BEFORE) == (not first_seen and all(h < 0 for h in hs))


def test_a_field_maild_does_not_know_keeps_the_record():
    assert idle({}, BEFORE)
    assert not idle({"auto_replies": [], "later_field": 1}, BEFORE)


def test_the_sent_log_keeps_the_lines_of_the_files_kept(tmp_path):
    lines = [f"id{n} 2026-12-0{n}T10:00:00+00:00 1\n" for n in range(1, 6)]
    (tmp_path / SENT_LOG).write_text("".join(lines) + "id9 2026-12-0")  # the last cut
    assert trim_sent_log(tmp_path, {"id2", "id4"}) == 4
    assert set(read_sent_log(tmp_path)) == {"id2", "id4"}
    assert trim_sent_log(tmp_path, {"id2", "id4"}) == 0
    assert trim_sent_log(tmp_path / "none", set()) == 0  # no log: nothing to do


def test_a_sent_log_line_of_a_count_int_refuses_is_skipped_not_the_log(tmp_path):
    """A line edited by hand or damaged to a count of «²» (a digit to isdigit(), not
    to int()) or of 5,000 figures was a traceback of `maild outbox list --sent` and
    of `maild block remove`; it is skipped as a line cut short is."""
    lines = ["a 2026-12-01T10:00:00+00:00 2", "b 2026-12-01T10:00:00+00:00 ²", "c x " + "9" * 5000]
    (tmp_path / SENT_LOG).write_text("\n".join(lines) + "\n")
    assert read_sent_log(tmp_path) == {"a": ("2026-12-01T10:00:00+00:00", 2)}
