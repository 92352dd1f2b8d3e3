"""The notes under <storage>/run/ that `maild status` reads (maild/runnotes.py)."""

from __future__ import annotations

from maild.runnotes import put, read_note


def test_a_note_that_cannot_be_put_leaves_no_temp_file(tmp_path):
    """A note whose rename fails (here its name is taken by a folder; on a full disk its
    write) stays as it was and leaves no temp file behind in run/, which `maild
    status` and fsck would have to explain."""
    run = tmp_path / "run"
    (run / "ingest.json").mkdir(parents=True)
    put(run, "ingest.json", '{"at": "now"}')
    assert sorted(p.name for p in run.iterdir()) == ["ingest.json"]
    assert (run / "ingest.json").is_dir()


def test_a_note_is_read_back_and_one_of_another_shape_is_none(tmp_path):
    """A note reads back as written; a missing one, one cut short, or a JSON value that
    is no object (a damaged file) reads as None: status then says it has none, rather
    than failing on it."""
    put(tmp_path / "run", "a.json", '{"n": 1}')
    assert read_note(tmp_path, "a.json") == {"n": 1}
    assert read_note(tmp_path, "missing.json") is None
    for text in ('{"n": ', "[1, 2]", '"text"', "7"):
        (tmp_path / "run" / "b.json").write_text(text)
        assert read_note(tmp_path, "b.json") is None, text
