"""What a `maild` process does not pay for at start (bench/FINDINGS.md, 53 and 54): the
modules and patterns only some of its work needs wait for that work. A new process,
as the MTA's `maild ingest` and systemd's `maild serve` start: this one has imported
everything already."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import ROOT

PROBE = """
import re, sys
import maild.cli, maild.server, maild.commands
maild.cli.build_parser()
from maild.domain import htmlbulk, redact
print(" ".join(m for m in ("chardet", "aiosmtpd", "imapclient") if m in sys.modules))
patterns = (redact._LABELLED, htmlbulk._TAG_RE)
print([isinstance(p, re.Pattern) or p._compiled is not None for p in patterns])
"""


def test_a_start_imports_no_chardet_listener_or_imap_and_compiles_no_rare_patterns() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True
    )
    imported, compiled = run.stdout.splitlines()
    assert imported == ""  # undeclared 8-bit text, `serve` with [smtp], with [imap]
    assert compiled == "[False, False]"  # the credentials' redaction, HTML read in bulk


def test_lazy_patterns_match_as_compiled_ones() -> None:
    from maild.domain.htmlbulk import bulk_text
    from maild.domain.redact import redact_credentials

    assert redact_credentials("Логин: admin\nПароль: S3cr3t!") == (
        "Логин: [данные доступа удалены]\nПароль: [данные доступа удалены]",
        2,
    )
    assert bulk_text("<p>a<br>b</p><ul><li>c</li></ul>") == "a\nb\n\n- c"
