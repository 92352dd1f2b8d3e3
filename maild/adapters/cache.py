"""A per-user folder of what a `maild` process can work out again but need not:
Russia's days off as the installed `holidays` release gives them, and the templates
compiled by jinja. Each `maild ingest` an MTA starts for a message would otherwise
import every country `holidays` knows and compile its templates again, most of what
it does for a message (bench/FINDINGS.md 31).

Every entry is named by what it was made from: the days by the `holidays` release, the
year and maild's code that works them out (code_mark of domain/calendar.py); a
compiled template by jinja's key (the template's name and a checksum of its source)
under a name of jinja's release and maild's code that sets how it compiles
(renderfilters.py; the sandbox's, sandbox.py too). A change of that code or an
upgrade names new entries and the old ones are no longer read. What is not in the
names is not followed: an edit of `holidays` or jinja in place, keeping its release,
is seen once the folder is deleted. Nothing here can fail a command: a folder that
cannot be made, is not this user's alone, is full or holds a damaged file means
working it out again, as without the folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import pickle
import stat
import tempfile
from collections.abc import Callable
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from jinja2.bccache import Bucket

from maild.domain.calendar import YearDays, ru_year, transfers_known

__all__ = ["TemplateCache", "code_mark", "folder", "russian_days", "russian_transfers"]

T = TypeVar("T")
MADE_BY = ("maild.renderfilters",)  # the Environment's rules (renderfilters.environment)


def folder() -> Path | None:
    """This user's folder in the system's temporary directory (private with systemd's
    PrivateTmp), or None when it cannot be used safely: made by someone else, open to
    others, not a folder. Another user able to write there could plant templates."""
    path = Path(tempfile.gettempdir()) / f"maild-cache-{os.getuid()}"
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        st = path.lstat()
    except OSError:
        return None
    mine = st.st_uid == os.getuid() and stat.S_ISDIR(st.st_mode)
    return path if mine and stat.S_IMODE(st.st_mode) == 0o700 else None


def russian_days(where: Path | None) -> Callable[[int], YearDays]:
    """`domain.calendar.ru_year`, kept in ``where`` between processes."""

    def load(kept: Any) -> YearDays:
        return _dates(kept["days_off"]), _dates(kept["weekend_workdays"])

    def dump(days: YearDays) -> dict[str, list[str]]:
        off, workdays = days
        return {"days_off": sorted(map(str, off)), "weekend_workdays": sorted(map(str, workdays))}

    return _kept_per_year(where, "", ru_year, dump, load)


def russian_transfers(where: Path | None) -> Callable[[int], bool]:
    """`domain.calendar.transfers_known`, kept in ``where`` between processes: `maild
    serve` and `check-config` ask it at start, and `holidays` need not be imported for
    the answer (bench/FINDINGS.md 45)."""

    def load(kept: Any) -> bool:
        if not isinstance(kept, bool):
            raise TypeError(kept)
        return kept

    return _kept_per_year(where, "-transfers", transfers_known, bool, load)


def _kept_per_year(
    where: Path | None,
    suffix: str,
    work_out: Callable[[int], T],
    dump: Callable[[T], Any],
    load: Callable[[Any], T],
) -> Callable[[int], T]:
    """``work_out`` for a year, its answer kept in ``where`` as JSON (``dump``, read
    back by ``load``, which raises on what it cannot take), named by the `holidays`
    release, the code of ``work_out``'s module (code_mark), the year and ``suffix``."""
    if where is None:
        return work_out

    @lru_cache(maxsize=64)
    def answer(year: int) -> T:
        release = _holidays_release()  # on first use: most commands compute no deadline
        code = code_mark(work_out.__module__)
        if release is None or code is None:
            return work_out(year)
        path = where / f"ru-{release}-{code}-{year}{suffix}.json"
        try:
            return load(json.loads(path.read_text(encoding="ascii")))
        except (OSError, ValueError, KeyError, TypeError):
            pass  # none yet, or damaged: work it out and write it again
        value = work_out(year)
        _write_quietly(path, json.dumps(dump(value)).encode())
        return value

    return answer


@cache  # a process imports one release for its whole life; the answer reads every
# installed package's metadata, and each App builds its calendars anew
def _holidays_release() -> str | None:
    """The installed `holidays` release, which names the entries (a new release, new
    entries); None when it was installed without its metadata: nothing to name them by."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("holidays")
    except PackageNotFoundError:
        return None


@cache  # a process runs the code it imported for its whole life
def code_mark(*modules: str) -> str | None:
    """A short name of the code of ``modules`` (imported here when not yet): a hash of
    their files, read once a process (some 50 µs a module); None when a file cannot
    be read: nothing to name an entry by, so none is kept."""
    digest = hashlib.sha256()
    try:
        for name in modules:
            digest.update(Path(str(importlib.import_module(name).__file__)).read_bytes())
    except (OSError, ImportError):
        return None
    return digest.hexdigest()[:16]


def _dates(texts: list[str]) -> frozenset[date]:
    return frozenset(date.fromisoformat(t) for t in texts)


def _write_quietly(path: Path, data: bytes) -> None:
    """Whole or not at all (a reader never sees half a file), and no error: the entry
    is only a saving."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


class TemplateCache(jinja2.FileSystemBytecodeCache):
    """jinja's compiled templates in :func:`folder`; an error reading or writing one
    means compiling it, never a mail left unrendered. Entries are named by jinja's
    release and the code of ``made_by`` (code_mark), as jinja's own key names only the
    template: its compiled code depends on the Environment's rules (its whitespace
    rules, the sandbox's operators), set there; ``kind`` keeps another Environment's
    code apart (sandbox.apart)."""

    def __init__(self, directory: str, kind: str = "", made_by: tuple[str, ...] = MADE_BY) -> None:
        self.code = code_mark(*made_by)
        made = hashlib.sha256(f"{jinja2.__version__} {self.code}".encode()).hexdigest()[:16]
        super().__init__(directory, f"__maild_{kind}{made}_%s.cache")

    def load_bytecode(self, bucket: Bucket) -> None:
        if self.code is None:
            return  # nothing names the code it was compiled by: compiled each time
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
            bucket.reset()  # damaged past jinja's own checks (its magic, the checksum)

    def dump_bytecode(self, bucket: Bucket) -> None:
        if self.code is None:
            return
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass  # not kept: the next process compiles it again
