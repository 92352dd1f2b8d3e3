"""installreads.import_dirs: the folders whose listing imports still to come need, so a
command switched from root to the storage's owner says at once that it cannot read them
(not a misleading "No module named ..." later, in the middle of a mail)."""

from __future__ import annotations

import os
import sys
import types

import maild
from maild.installreads import import_dirs


def test_the_folders_imports_will_list_are_the_sys_path_entries_and_packages(monkeypatch):
    """maild's own package folder, the sys.path entry it came from (a checkout, or
    site-packages, where dependencies not imported yet are found) and the standard
    library's; a module read from a zip file names no folder to list (taken for one,
    a zip file the storage's owner may not enter stopped every command root ran)."""
    fake = types.ModuleType("zipped_mod")
    fake.__file__ = "/opt/app/lib.zip/zipped_mod.py"
    monkeypatch.setitem(sys.modules, "zipped_mod", fake)
    dirs = import_dirs()
    package = os.path.dirname(os.path.abspath(maild.__file__))
    assert package in dirs and os.path.dirname(package) in dirs
    assert os.path.dirname(os.__file__) in dirs
    assert "/opt/app/lib.zip" not in dirs
