"""A ticket read when the process has every file it may open open (EMFILE: a flood
of connections to the site) is the machine's passing state, not a file's fault: the
store is unavailable for the moment (StoreUnavailable: what needs it waits, retried),
never CorruptFile, whose words send the admin to `maild fsck`."""

from __future__ import annotations

import subprocess
import sys
import textwrap

READ = textwrap.dedent(
    """
    import errno, os, resource, sys
    from pathlib import Path
    from maild.adapters.store import CorruptFile, Store, StoreUnavailable
    store = Store(Path(sys.argv[1]))
    with store.locked():
        store.save({"tid": "1234-5678", "status": "open", "level": "free",
                    "requester": "ivan@shop-example.ru", "subject": "Счёт",
                    "created_at": "2026-01-01T10:00:00+03:00", "closed_at": None}, [])
    store = Store(Path(sys.argv[1]))  # nothing kept parsed
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    held = []
    try:
        while True:
            held.append(os.open(os.devnull, os.O_RDONLY))
    except OSError as e:
        assert e.errno == errno.EMFILE, e
    for read in (lambda: store.load("1234-5678"), lambda: store.tid_for_msgid("<a@b.example>")):
        try:
            read()
        except StoreUnavailable as e:
            print(type(e).__name__, e)
        else:
            print("read")
    """
)


def test_too_many_open_files_is_unavailable_not_a_corrupt_file(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", READ, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2, done.stdout
    for line in lines:
        assert line.startswith("StoreUnavailable ") and "Too many open files" in line, line
        assert "fsck" not in line
