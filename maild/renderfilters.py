"""The filters maild's mail templates may use, and the jinja2 Environment that has
them (render.Renderer writes mail with it, check-config reads overrides with it)."""

from __future__ import annotations

import shlex
from typing import Any

import jinja2

from maild.domain.errorwords import gloss
from maild.domain.filetypes import size_text
from maild.domain.plural import thousands
from maild.domain.sla import ru_count
from maild.domain.staffquote import theirs, unmarked


def environment(
    cls: type[jinja2.Environment] = jinja2.Environment, **options: Any
) -> jinja2.Environment:
    """An Environment as maild writes mail with: its block and whitespace rules, an
    undefined name an error, no globals, its filters. `options` add the loader and the
    caches; `cls`: sandbox.Sandbox for overrides. check-config compiles overrides with
    it, so a filter maild lacks (`{{ n | plurals(...) }}`) is found there, not in the
    first mail that needs it."""
    env = cls(
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        **options,
    )
    # jinja's default globals: unused, and every render would copy them (bench/FINDINGS.md 22)
    env.globals.clear()
    install(env)  # plural, size, thousands, gloss, shell, unmarked, theirs
    return env


def install(env: jinja2.Environment) -> None:
    """Put the filters into `env`."""
    # {{ n | plural("день", "дня", "дней") }}: "21 день", "2 дня", "11 дней"
    env.filters["plural"] = ru_count
    # {{ a.size | size }}: "62 байта", "45,3 КБ", "20,0 МБ", as the customer is told
    # the same file's size (domain.filetypes.size_text), never 20971593 bytes
    env.filters["size"] = size_text
    env.filters["thousands"] = thousands
    env.filters["gloss"] = gloss  # an error's meaning in Russian, or ""
    # {{ address | shell }} in a command line staff are told to run: an address is the
    # sender's text ("$(rm -rf ~)"@evil.example is a valid one), quoted so a paste into
    # a shell passes it as one argument and runs nothing (a plain one stays as it is)
    env.filters["shell"] = shlex.quote
    # {{ text | unmarked }}: mail no customer wrote, quoted to staff, can hold no
    # customer-text marker line (domain.staffquote.unmarked)
    env.filters["unmarked"] = unmarked
    # {{ text | theirs }}: a customer's text in a notice, no line of it showing as the
    # notice's own customer-text lines (domain.staffquote.theirs)
    env.filters["theirs"] = theirs
