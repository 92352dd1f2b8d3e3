"""Command lines that mail tells staff to run (`maild ticket list --requester ...`,
`maild block remove ...`): whatever came from a mail is quoted for the shell
(renderfilters: `shell`), so a line pasted into a shell passes it as one argument
and runs nothing. An address may hold shell syntax: "$(touch x)"@evil.example is one."""

from __future__ import annotations

import shlex

import pytest

from maild.render import Renderer
from tests.unit.test_texts import SUPPORT, TEMPLATES, variants

HOSTILE = '"$(touch /tmp/pwned; echo `id`)"@evil.example'
# what a mail's sender decides, everywhere a template may print it
FROM_MAIL = ("requester", "sender", "blocked", "subject", "key", "id", "address")


def hostile_variants() -> list[dict]:
    out = []
    for ctx in variants():
        ctx = {**ctx, **{k: HOSTILE for k in FROM_MAIL}, "entries": [HOSTILE]}
        out.append(ctx)
    return out


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_command_line_passes_mail_text_as_one_quoted_argument(template):
    renderer = Renderer(SUPPORT)
    for ctx in hostile_variants():
        if template == "web_link.txt":
            ctx = dict(ctx, site_link="https://support.example.com/t/1234-5678.1.x")
        _subject, body = renderer.text(template, ctx)
        for line in body.splitlines():
            line = line.strip()
            if not line.startswith("maild "):
                continue
            words = shlex.split(line)
            unsafe = [w for w in words if ("$(" in w or "`" in w) and w != HOSTILE]
            assert not unsafe, (template, line)


def test_the_shell_filter_quotes_only_what_needs_it():
    env = Renderer(SUPPORT).env
    shell = env.from_string("{{ a | shell }}")
    assert shell.render(a="ivan@shop-example.ru") == "ivan@shop-example.ru"
    assert shlex.split(shell.render(a=HOSTILE)) == [HOSTILE]
    assert shlex.split(shell.render(a="it's")) == ["it's"]
