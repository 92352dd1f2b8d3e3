"""`maild check-config` names an override that is empty or opens with text before its
Subject: line: every mail from it would be made from the shipped template."""

from __future__ import annotations

import shutil

import pytest

from maild.render import TEMPLATES
from maild.templatecheck import template_findings

SAID = "does not start with a Subject: line"


@pytest.mark.parametrize("text", ["", "\n", "Здравствуйте!\nSubject: Обращение {{ tid }}\n"])
def test_an_override_without_its_subject_line_first_is_named(tmp_path, text):
    (tmp_path / "confirmation.txt").write_text(text)
    _problems, warnings = template_findings(tmp_path)
    assert [w for w in warnings if SAID in w] == [
        f"{tmp_path / 'confirmation.txt'} {SAID} (a mail's first line is its subject):"
        " its mail is made from the shipped template instead (README, Install)"
    ]


def test_copies_of_the_shipped_templates_and_a_first_tag_are_not_named(tmp_path):
    """Nor is a copy that Notepad saved with a BOM before Subject: (the renderer reads
    past it, so its mail is made from it), nor one that opens with a tag or an
    expression (`{{ }}`: judged on a mail)."""
    for path in TEMPLATES.glob("*.txt"):
        shutil.copy(path, tmp_path / path.name)
    bom = b"\xef\xbb\xbf" + (TEMPLATES / "confirmation.txt").read_bytes()
    (tmp_path / "confirmation.txt").write_bytes(bom)
    (tmp_path / "started.txt").write_text("{% set x = 1 %}Subject: Начато {{ tid }}\n")
    (tmp_path / "resolved.txt").write_text("{{ 'Subject:' }} Решено {{ tid }}\n")
    (tmp_path / "site_link.txt").write_text("")  # a part others include: no Subject
    _problems, warnings = template_findings(tmp_path)
    assert [w for w in warnings if SAID in w] == []
