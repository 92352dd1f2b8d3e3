"""Python imports modules on first use long after start (a charset's codec, the
holidays table), so after a command run as root switches to the storage's owner
(privileges.become_storage_owner) the owner must be able to read where this Python and
maild live: a pyenv or `pip install --user` under /root is not, and every later import
would fail with a misleading "No module named ..."."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def import_dirs() -> list[str]:
    """The directories that imports still to come will list: the standard library's
    and, for every top-level module loaded so far, the sys.path entry it came from
    (site-packages, lib-dynload, maild's checkout) and a package's own directory
    (maild's, encodings', each dependency's). Listing one needs read and search
    permission on it, and search permission on each parent, which os.access checks
    along the way. A few dozen calls: no tree is walked."""
    found = {os.path.dirname(os.__file__): None}
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if "." in name or name == "__main__" or not isinstance(file, str):
            continue
        where = os.path.dirname(os.path.abspath(file))
        if hasattr(module, "__path__"):
            found[where] = None
            where = os.path.dirname(where)
        found[where] = None
    # a module read from a zip file or the like: not a directory to list
    return [d for d in found if os.path.isdir(d)]


def unreadable_install(name: str, unreadable: str, blocked: Path | None) -> str:
    """What a command switched to `name` says when `name` may not list the import
    directory `unreadable` (`blocked`: a folder above it it may not enter, if one is
    why); check-config run as root says it too (ownerreads.python_barred)."""
    why = f" ({name} may not enter {blocked})" if blocked is not None else ""
    return (
        f"{name} cannot read maild's Python installation: {unreadable}{why}; install "
        f"maild where {name} can read it, in a venv "
        f"made by a Python {name} can read (/usr/bin/python3 -m venv /opt/maild, README: "
        f"Install as a service)"
    )
