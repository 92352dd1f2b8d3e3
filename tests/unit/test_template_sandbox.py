"""An admin's override (`[templates] path`) is made in jinja's sandbox with caps on
what it builds (maild/sandbox.py): Python's internals, a huge repeat or text, an
error of any kind when it is made, all give way to the shipped template, with one
ERROR, as any failing override does; an override within bounds reads as before."""

from __future__ import annotations

import logging
import time

import pytest

from maild import sandbox
from maild.adapters.cache import TemplateCache
from maild.domain.answers import AnswerFailed
from maild.render import TEMPLATES, Renderer, template_loader
from maild.renderfilters import environment
from tests.helpers import support_config
from tests.unit.test_texts import variants

SUPPORT = support_config()
SOURCE = (TEMPLATES / "confirmation.txt").read_text()
GREETING = "{% endif %}!\n"  # the greeting line's end: the admin's line goes after it


def override(folder, added: str, name: str = "confirmation.txt") -> None:
    source = (TEMPLATES / name).read_text()
    (folder / name).write_text(source.replace(GREETING, f"{GREETING}{added}\n", 1))


@pytest.mark.parametrize(
    "added, error",
    [
        # Python reached through a string: the audit listed 569 classes in a confirmation
        ('{{ "".__class__.__mro__[1].__subclasses__()|length }}', "'__class__' of 'str' object"),
        ("{{ tid.__class__ }}", "'__class__' of 'str' object is unsafe"),
        ('{{ tid | attr("__class__") }}', "'__class__' of 'str' object is unsafe"),
        # the audit's 30 MB confirmation, and loops over what a repeat builds
        ('{{ "A" * 30000000 }}', "a repeat longer than 10000 items (1 * 30000000)"),
        ('{% for i in "x" * 1000000 %}{% endfor %}', "a repeat longer than 10000"),
        ("{% for i in [0] * 1000000 %}{% endfor %}", "a repeat longer than 10000"),
        ('{{ ("A" * 9000 + "B" * 9000) * 9 }}', "a repeat longer than 10000"),
        # other ways to a big value: a width, a power, a %-format
        ('{% for i in "x" | center(1000000) %}{% endfor %}', "a number over 10000"),
        ('{{ "x".ljust(10000000) }}', "a number over 10000 given to a filter or method"),
        ('{{ "{:>10000000}".format(tid) }}', "a format field wider than 10000"),
        ('{{ "{:>{}}".format(tid, 10000000) }}', "a number over 10000 given"),
        ('{{ "%*s" % (10000000, tid) }}', "a number over 10000 given"),
        ('{{ "%10000000s" % tid }}', "a %-format wider than 10000"),
        ('{{ "%10000000s" | format(tid) }}', "a %-format wider than 10000"),
        ("{{ 2 ** 100000 % 10 }}", "a power over 10000 bits"),
        # each side of each cap: lists joined by `+` (doubled in a few lines, any
        # memory), the number left of `*`, a precision and a negative (left-justified,
        # as wide) width taken from the values
        (
            "{% set a = [0] * 10000 %}" + "{% set a = a + a %}" * 7 + "{{ a | length }}",
            "+ would make 1280000 items, over 1000000",
        ),
        ("{{ (100000 * tid) | length }}", "a repeat longer than 10000 items (9 * 100000)"),
        ('{{ ("%.*f" % (200000, 1.0)) | length }}', "a number over 10000 given"),
        ('{{ ("%*s" % (-200000, tid)) | length }}', "a number over 10000 given"),
        # 2 MB of text from a loop within the caps: stopped once past 1 MB
        ('{% for i in "x" * 10000 %}{{ "y" * 200 }}{% endfor %}', "longer than 1000000 char"),
        # jinja's own globals are none of maild's names (renderfilters.environment): an
        # override sees the values and filters maild gives, no loops or text of its own
        ("{% for i in range(3) %}{{ i }}{% endfor %}", "'range' is undefined"),
        ("{{ lipsum(1) }}", "'lipsum' is undefined"),
    ],
)
def test_an_override_the_sandbox_refuses_gives_way_to_the_shipped_one(
    tmp_path, caplog, added, error
):
    override(tmp_path, added)
    renderer = Renderer(SUPPORT, override=tmp_path, run=tmp_path / "run")
    ctx = variants()[0]
    with caplog.at_level(logging.ERROR):
        made = [renderer.text("confirmation.txt", ctx) for _ in range(2)]
    assert made == [Renderer(SUPPORT).text("confirmation.txt", ctx)] * 2
    [logged] = [x.getMessage() for x in caplog.records]  # once for both mails
    assert logged.startswith(f"template override {tmp_path / 'confirmation.txt'}: ")
    assert error in logged, logged


class Attachment:
    """A value maild could give a template whose method meets a missing file."""

    def preview(self) -> str:
        raise FileNotFoundError(2, "No such file or directory", "/var/lib/maild/x")


def test_any_error_of_an_override_falls_back_an_os_error_too(tmp_path, caplog):
    """Before, an OSError from an override's render was taken for a disk fault of the
    store: processing paused and every mail waited in the spool."""
    override(tmp_path, "{{ thing.preview() }}")
    renderer = Renderer(SUPPORT, override=tmp_path)
    ctx = variants()[0] | {"thing": Attachment()}
    assert renderer.text("confirmation.txt", ctx) == Renderer(SUPPORT).text("confirmation.txt", ctx)
    [logged] = [x.getMessage() for x in caplog.records if x.levelno == logging.ERROR]
    assert "FileNotFoundError: [Errno 2] No such file or directory" in logged


# every filter maild gives templates (renderfilters.install) and jinja's own, as an
# admin writes them: the override's text comes out as it would outside the sandbox
WITHIN = (
    '[{{ 21 | plural("день", "дня", "дней") }}] [{{ 20971593 | size }}] '
    '[{{ 1234567 | thousands }}] [{{ "Connection refused" | gloss }}] '
    '[{{ "a b@x" | shell }}] [{{ "-" * 30 }}] [{{ "%-6s|" | format(tid) }}] '
    '[{{ "%d" % 123456789 }}] [{{ "{:>5}".format(7) }}] [{{ 2 ** 64 }}] [{{ [1] + [2] }}] '
    '[{{ tid.upper() }}] [{{ "abc" | center(9) }}] [{{ text | truncate(4, true, "", 0) }}] '
    "[{{ attachments | map(attribute='filename') | join(', ') }}]"
)


def test_an_override_within_bounds_is_made_as_before(tmp_path, caplog):
    override(tmp_path, f"ОК {WITHIN}")
    renderer = Renderer(SUPPORT, override=tmp_path, run=tmp_path / "run")
    ctx = variants()[0]
    with caplog.at_level(logging.INFO):
        _, body = renderer.text("confirmation.txt", ctx)
    [line] = [x for x in body.splitlines() if x.startswith("ОК ")]
    names = ", ".join(a["filename"] for a in ctx["attachments"])
    assert line == (
        f"ОК [21 день] [20,0 МБ] [1\xa0234\xa0567] [почтовый сервер не принимает соединения "
        f"(не запущен?)] ['a b@x'] [{'-' * 30}] [{ctx['tid']}|] [123456789] [    7] "
        f"[18446744073709551616] [[1, 2]] [{ctx['tid'].upper()}] [   abc   ] [Прив] [{names}]"
    )
    assert not caplog.records and not (tmp_path / "run").exists()


def test_an_overrides_indented_block_tags_leave_no_spaces_in_the_mail(tmp_path):
    """An admin indents the tags of nested blocks as code is indented: the lines of the
    tags leave nothing in the mail, their indent neither (lstrip_blocks, trim_blocks),
    so no line of the text is pushed right by a tag above it."""
    override(tmp_path, "  {% if tid %}\n    {% if tid %}\nОК\n    {% endif %}\n  {% endif %}\nДа")
    _, body = Renderer(SUPPORT, override=tmp_path).text("confirmation.txt", variants()[0])
    lines = body.splitlines()
    assert lines[lines.index("ОК") + 1] == "Да"


def test_shipped_text_and_the_sandbox_share_no_compiled_code(tmp_path):
    """An override of a file a shipped template includes makes that template in the
    sandbox, whose code for it differs (a method call goes through the sandbox): a
    process without overrides reading the same cache folder must not get that code,
    nor the sandbox code that a maild before it compiled and kept for an override."""
    shipped, ours = tmp_path / "shipped", tmp_path / "ours"
    for folder in (shipped, ours, tmp_path / "cache"):
        folder.mkdir()
    (shipped / "page.txt").write_text('Subject: Тест\n{% include "part.txt" %}{{ tid.upper() }}\n')
    (shipped / "part.txt").write_text("часть\n")
    (ours / "part.txt").write_text("наша часть\n")
    ctx = {"tid": "abcd-1234"}
    for _ in range(2):  # the second time from the cache, both ways round
        kept = TemplateCache(str(tmp_path / "cache"))
        with_ours = Renderer(SUPPORT, shipped, ours, kept).text("page.txt", ctx)
        plain = Renderer(SUPPORT, shipped, compiled=TemplateCache(str(tmp_path / "cache")))
        assert plain.text("page.txt", ctx) == ("Тест", "часть\nABCD-1234\n")
        assert with_ours == ("Тест", "наша часть\nABCD-1234\n")
    # the audit's loop, compiled and kept by a maild without the sandbox
    override(ours, '{% for i in "x" * 1000000 %}{% endfor %}Наша строка.')
    kept = TemplateCache(str(tmp_path / "cache"))
    environment(loader=template_loader([ours]), bytecode_cache=kept).get_template(
        "confirmation.txt"
    )
    _, made = Renderer(SUPPORT, override=ours, compiled=kept).text(
        "confirmation.txt", variants()[0]
    )
    assert "Наша строка." not in made


def test_a_renderer_gone_is_not_kept_by_its_list_of_saved_answers(tmp_path):
    """The saved answers' names are listed once by the renderer that lists them; a cache
    of the class, keyed by renderer, kept every renderer made (a test's, a reloaded
    config's) and its jinja2 environments for good."""
    import gc
    import weakref

    (tmp_path / "answers").mkdir()
    (tmp_path / "answers" / "своё.txt").write_text("Спасибо.\n", encoding="utf-8")
    renderer = Renderer(SUPPORT, override=tmp_path, run=tmp_path / "run")
    assert "своё" in renderer.desk_context()["answer_names"]
    gone = weakref.ref(renderer)
    del renderer
    gc.collect()
    assert gone() is None


# loops over small literals, within every cap: 10^8 empty turns, seconds
LOOPS = '{% for i in "x" * 10000 %}{% for j in "x" * 10000 %}{% endfor %}{% endfor %}'


@pytest.mark.parametrize(
    "text, error",
    [
        ('{% for i in "x" * 10000 %}{{ "y" * 200 }}{% endfor %}', "longer than 1000000 char"),
        (LOOPS, "the template took longer than 0.25 seconds"),
    ],
)
def test_an_admins_own_saved_answer_is_made_in_the_sandbox_too(tmp_path, monkeypatch, text, error):
    """A saved answer of the admin's (answers/NAME.txt, no shipped one of its name) is
    held to the caps on the text made and to the time limit as an override is: else
    2 MB of it go into a staff member's reply to a customer, or the loops run for
    minutes with the store's lock held. It fails instead (the reply held back)."""
    monkeypatch.setattr(sandbox, "MAX_SECONDS", 0.25)
    (tmp_path / "answers").mkdir()
    (tmp_path / "answers" / "mine.txt").write_text(f"Ответ {text}\n")
    renderer = Renderer(SUPPORT, override=tmp_path, run=tmp_path / "run")
    with pytest.raises(AnswerFailed, match=error):
        renderer.answer("mine", variants()[0])


def test_an_override_that_ran_out_of_time_is_the_shipped_text_at_once_after(tmp_path, monkeypatch):
    """Stopped at MAX_SECONDS once, an override is the shipped text for the rest of the
    process: the next mail of that template does not wait MAX_SECONDS for it again
    (in serve's worker, with the store's lock held, each mail would)."""
    monkeypatch.setattr(sandbox, "MAX_SECONDS", 0.5)
    override(tmp_path, LOOPS * 10)  # 10^9 turns: far past the limit each time
    renderer = Renderer(SUPPORT, override=tmp_path, run=tmp_path / "run")
    ctx = variants()[0]
    shipped = Renderer(SUPPORT).text("confirmation.txt", ctx)
    assert renderer.text("confirmation.txt", ctx) == shipped  # stopped at the limit
    start = time.monotonic()
    assert renderer.text("confirmation.txt", ctx) == shipped
    assert time.monotonic() - start < 0.4
