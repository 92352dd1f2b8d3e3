"""The filters maild's mail templates may use (render.Renderer installs them)."""

from __future__ import annotations

import shlex

import jinja2

from maild.domain.errorwords import gloss
from maild.domain.filetypes import size_text
from maild.domain.plural import thousands
from maild.domain.sla import ru_count


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
