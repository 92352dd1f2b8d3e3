"""The jinja2 sandbox an admin's template overrides (`[templates] path`) are rendered
in: no Python beyond the values maild gives (`"".__class__` and the like are refused:
jinja's SandboxedEnvironment), and a cap on what one expression may build and on the
text made, so that an override cannot make a 30 MB mail or spin for ever on
`"x" * 1000000`, and a limit on the time one render takes (MAX_SECONDS): loops nested
over values within the caps (literal lists, `[0] * 10000`) call nothing the sandbox
could count. Whatever it refuses is an override failing: the mail is made from the
shipped template (render.Renderer, overrides.Fallback).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

import jinja2
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from maild import deadline, renderfilters
from maild.adapters.cache import MADE_BY, TemplateCache

# Items (characters of a string, elements of a list) one `*` may build: a separator
# line needs dozens; the audit's `"x" * 1000000` looped over is what this stops.
MAX_REPEAT = 10_000
# Characters of an override's text, and items one `+`, filter or method call may
# build: ten times the longest text maild gives a template (a customer's text,
# longtext.MAX_MAILED_TEXT), a hundred times a long mail.
MAX_OUTPUT = 1_000_000
MAX_BITS = 10_000  # an int `**` may make (2 ** 10 ** 9 would take hours)
# Wall-clock seconds one override may take to render (maild's own render in
# milliseconds): nested loops over literals went on for minutes, with the store's lock
# held and all mail waiting. Held where the render runs in a main thread (deadline.py).
MAX_SECONDS = 2.0
# the width and precision of a %-format's conversion (`*`: taken from the values),
# and the spec of a str.format field, after its colon
_PERCENT = re.compile(r"%[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?")
_FIELD = re.compile(r"\{[^{}]*:([^{}]*)\}")
_NESTED = re.compile(r"\{[^{}]*:[^{}]*\{")
_SEQUENCES = (str, list, tuple)
FORMATS = ("format", "format_map")


class Sandbox(SandboxedEnvironment):
    """A SandboxedEnvironment that refuses (SecurityError) to build values over the
    caps above: `*`, `+`, `**` and `%` are checked before they run; numbers over
    MAX_REPEAT given to a filter or a method (`|center(N)`, `.ljust(N)`), and their
    results over MAX_OUTPUT, are refused too."""

    intercepted_binops = frozenset({"*", "+", "**", "%"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            _repeat(left, right)
        elif operator == "+" and isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            _built(len(left) + len(right), "+")
        elif operator == "**":
            _power(left, right)
        elif operator == "%" and isinstance(left, str):
            _percent(left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        # (jinja's own signature: a keyword argument named `self` or `obj` passes through)
        # str.format's arguments are values (a size in bytes), its widths in the text
        owner = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)
        if isinstance(owner, str) and getattr(__obj, "__name__", None) in FORMATS:
            if any(_wide(spec) for spec in _FIELD.findall(owner)):
                raise SecurityError(f"a format field wider than {MAX_REPEAT} characters")
            if _NESTED.search(owner):  # "{:>{}}": a width given among the values
                _numbers(args, kwargs)
        else:
            _numbers(args, kwargs)
        return _checked(super().call(__context, __obj, *args, **kwargs), "a method")


def sandbox(**options: Any) -> Sandbox:
    """The Sandbox with maild's block and whitespace rules and filters, as
    renderfilters.environment makes the plain one."""
    env = renderfilters.environment(cls=Sandbox, **options)
    assert isinstance(env, Sandbox)
    for name, f in list(env.filters.items()):
        env.filters[name] = _bounded(name, f)
    return env


def apart(compiled: jinja2.BytecodeCache | None) -> jinja2.BytecodeCache | None:
    """The Sandbox's own cache of compiled templates beside `compiled`: its code for a
    file differs from the plain Environment's (calls and the operators above go
    through the sandbox), and jinja names an entry by the file alone; named by this
    module's code too (a change of `intercepted_binops`: new entries)."""
    if isinstance(compiled, TemplateCache):
        return TemplateCache(compiled.directory, "sandbox_", (*MADE_BY, __name__))
    return None


class TooLong(SecurityError):
    """An override's render stopped at MAX_SECONDS."""

    def __init__(self) -> None:
        super().__init__(
            f"the template took longer than {MAX_SECONDS:g} seconds to make (loops within "
            "loops?) and was stopped"
        )


def rendered(template: jinja2.Template, ctx: dict[str, Any]) -> str:
    """The text of `template`, made piece by piece and stopped once it passes
    MAX_OUTPUT (SecurityError): an override in a loop fills no memory; and once it
    has taken MAX_SECONDS (TooLong, where deadline.limited can hold it)."""
    return deadline.limited(MAX_SECONDS, lambda: _pieces(template, ctx), TooLong)


def _pieces(template: jinja2.Template, ctx: dict[str, Any]) -> str:
    out: list[str] = []
    size = 0
    pieces: Iterator[str] = template.generate(**ctx)
    for piece in pieces:
        size += len(piece)
        if size > MAX_OUTPUT:
            raise SecurityError(f"the text made is longer than {MAX_OUTPUT} characters")
        out.append(piece)
    return "".join(out)


def _bounded(name: str, f: Callable[..., Any]) -> Callable[..., Any]:
    """Filter `f` with its arguments and result checked (not its value: `size` is
    given a file's size in bytes). Keeps jinja's pass_context and the like."""
    skip = 2 if getattr(f, "jinja_pass_arg", None) else 1

    @functools.wraps(f)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if name != "format":
            _numbers(args[skip:], kwargs)
        elif len(args) >= skip and isinstance(args[skip - 1], str):  # its values: %-format
            _percent(args[skip - 1], args[skip:] or tuple(kwargs.values()))
        return _checked(f(*args, **kwargs), f"the filter {name}")

    return checked


def _repeat(left: Any, right: Any) -> None:
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, _SEQUENCES) and isinstance(times, int) and len(seq) * times > MAX_REPEAT:
            raise SecurityError(f"a repeat longer than {MAX_REPEAT} items ({len(seq)} * {times})")


def _built(size: int, how: str) -> None:
    if size > MAX_OUTPUT:
        raise SecurityError(f"{how} would make {size} items, over {MAX_OUTPUT}")


def _power(base: Any, exponent: Any) -> None:
    ints = isinstance(base, int) and isinstance(exponent, int)
    if ints and exponent > 0 and exponent * (abs(base).bit_length() - 1) > MAX_BITS:
        raise SecurityError(f"a power over {MAX_BITS} bits")


def _percent(form: str, args: Any) -> None:
    """`form % args` when no width or precision in `form` passes MAX_REPEAT (a `*`
    width takes it from `args`); the values themselves may be any size."""
    specs = _PERCENT.findall(form)
    if any(_wide(width + " " + precision) for width, precision in specs):
        raise SecurityError(f"a %-format wider than {MAX_REPEAT} characters")
    if any("*" in width + precision for width, precision in specs):
        _numbers(args if isinstance(args, tuple) else (args,), {})


def _wide(spec: str) -> bool:
    """Whether a number in a format spec passes MAX_REPEAT."""
    return any(int(n) > MAX_REPEAT for n in re.findall(r"\d+", spec))


def _numbers(args: Any, kwargs: dict[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_REPEAT:
            raise SecurityError(f"a number over {MAX_REPEAT} given to a filter or method")


def _checked(result: Any, what: str) -> Any:
    if isinstance(result, _SEQUENCES) and len(result) > MAX_OUTPUT:
        raise SecurityError(f"{what} made {len(result)} items, over {MAX_OUTPUT}")
    return result
