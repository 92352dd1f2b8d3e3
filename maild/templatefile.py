"""Reading a template file with bounds: an entry of `[templates] path` may be a FIFO
(open blocks for ever), a link to /dev/zero (endless) or to a huge file (read whole
into memory, a MemoryError or the machine's memory gone). Such an entry is no
template: NotText, an override failing (the shipped template makes the mail,
overrides.py), named by `maild check-config` (templatecheck.py)."""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2

# Bytes a template file may have: the longest shipped one has a few kilobytes
MAX_BYTES = 1_000_000


class NotText(ValueError):
    """A template entry that is no regular file, or too big to be a template."""


def read(path: str | Path, limit: int = MAX_BYTES) -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them (NotText else);
    OSError when it cannot be opened. A FIFO is opened without waiting for a writer."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise NotText(f"it is {kind}: a template is a text file")
        chunks, size = [], 0
        while size <= limit and (chunk := os.read(fd, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise NotText(f"it is over {limit} bytes: a template is a text of a few kilobytes")
    return data


class Loader(jinja2.FileSystemLoader):
    """jinja's FileSystemLoader (`dirs` in turn, UTF-8 with or without a BOM) whose
    files are read by `read`: an entry that is there but no template (a directory, a
    FIFO, a dangling link, a link to a huge file) raises NotText rather than being
    passed over in silence for the next folder's, or read without end."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        pieces = jinja2.loaders.split_template_path(template)
        for folder in self.searchpath:
            filename = posixpath.join(folder, *pieces)
            if os.path.lexists(filename):
                break
        else:
            return super().get_source(environment, template)  # TemplateNotFound
        if not os.path.exists(filename):
            raise NotText(f"{template}: it is a link to a missing file")
        try:
            text = read(filename).decode(self.encoding)
        except NotText as e:
            raise NotText(f"{template}: {e}") from None
        mtime = os.path.getmtime(filename)

        def uptodate(*_: Any) -> bool:
            try:
                return os.path.getmtime(filename) == mtime
            except OSError:
                return False

        return text, os.path.normpath(filename), uptodate
