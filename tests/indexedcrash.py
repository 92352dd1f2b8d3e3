"""`python -m tests.indexedcrash --config FILE ingest -`: maild killed (os._exit, as
by kill -9) the moment its commit has made a Message-ID index entry visible (renamed it
into index/msgid/), for a test of what a reader without the store lock (the site,
`maild status`) finds then: the index is what tells it the mail is stored."""

from __future__ import annotations

import os

from maild.cli import run

_replace = os.replace


def _replace_then_crash(src, dst, **kw) -> None:
    _replace(src, dst, **kw)
    if "/index/msgid/" in os.fspath(dst):
        os._exit(137)


os.replace = _replace_then_crash  # type: ignore[assignment]
run()
