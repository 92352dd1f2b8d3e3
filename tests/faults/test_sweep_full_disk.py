"""The daily sweeps on a full disk (a small real ext4 image, loop-mounted): the
address record sweep failed, and so did the mark that it had run today. The log said
it twice, at odds: "failed, tried again tomorrow" and "scheduled job
addresses_removed failed: ...; it runs again at its next time". Unmarked, it does run
again at the next time: one line says so, and once space returns the sweep is done."""

from __future__ import annotations

import logging

from tests.faults.fs import ext4, fill
from tests.helpers import Desk, days_on, make_mail


def test_a_sweep_that_cannot_mark_its_day_is_one_line_and_runs_again(tmp_path, caplog):
    with ext4(tmp_path / "disk.img", tmp_path / "mnt", size_mb=16) as mnt:
        desk = Desk(tmp_path, 1, storage={"path": str(mnt / "data")})
        for n in range(3):
            desk.ingest(make_mail(sender=f"c{n}@shop{n}.example", subject=f"Вопрос {n}"))
        ballast = fill(mnt)
        caplog.set_level(logging.INFO)
        r = desk.run("jobs", "run", "--now", days_on(4))
        assert r.code == 75 and "addresses_removed" in r.err, r.err
        said = [rec.getMessage() for rec in caplog.records if rec.levelno >= logging.ERROR]
        about = [line for line in said if "address record sweep" in line or "addresses_" in line]
        assert len(about) == 1, said
        assert "addresses_removed failed" in about[0] and "runs again at its next time" in about[0]
        assert "No space left on device" in about[0]
        ballast.unlink()
        caplog.clear()
        r = desk.run("jobs", "run", "--now", days_on(4))
        assert r.code == 0, r.err
        assert (mnt / "data" / "run" / "addresses_swept").read_text() != ""
