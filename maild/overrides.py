"""An admin's template override (`[templates] path`) that fails when a mail is made
from it: a variable maild does not give that template (renamed in a newer maild, a
typo), a filter given the wrong type, a division by zero, an include of a missing
file, a broken `{% %}`, a file not in UTF-8, or loops that would run on past
sandbox.MAX_SECONDS (sandbox.TooLong: then that template's mail is made from the
shipped one at once for the rest of the process). One admin's file must not stop
the desk, so that mail is made from the shipped template of the same name instead
(render.Renderer asks Fallback), the log says so at ERROR once per template per
process, and a note run/override_failing.NAME.json under the storage ({"since",
"path", "line", "error", "template", "dir", "sha256"}) lets `maild status` name the
file for as long as it stays as it was (an edit, or the file's removal, ends it).
The shipped templates failing is a bug of maild: render.Renderer raises as before.
A saved answer (answers/NAME.txt, `#answer NAME`) of the admin's that fails gives way
to the shipped answer of its name the same way; one only the admin has cannot, so the
staff reply that inserts it is held back and its writer told (answer_text).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import stat
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta

from maild import sandbox, templatefile
from maild.config import ConfigError
from maild.domain.answers import AnswerFailed

log = logging.getLogger("maild.render")

NOTE = "override_failing."  # run/override_failing.<template name>.json
ANSWERS = "answers/"  # saved answers: answers/NAME.txt


class Fallback:
    """The shipped templates alone (`env`), for mail whose override failed; `run`:
    the storage's run/ folder for status notes (None: no notes, as in unit tests)."""

    def __init__(self, override: Path, env: jinja2.Environment, run: Path | None) -> None:
        self.override = override
        self.env = env
        assert isinstance(env.loader, jinja2.FileSystemLoader)  # (render.template_loader)
        self.loader = env.loader
        self.shipped = Path(env.loader.searchpath[0])
        self.run = run
        self.told: set[str] = set()  # templates this process has logged about
        self.touched: dict[str, bool] = {}  # see touches

    def touches(self, name: str) -> bool:
        """Whether `name`, or a template it includes at any depth, is a file of the
        override folder: made in the sandbox then; else the shipped text as it is. One
        that ran out of time (sandbox.TooLong) is the shipped text for the rest of the
        process: each mail would wait MAX_SECONDS for it, the store's lock held."""
        if name not in self.touched:
            self.touched[name] = self._touches(name)
        return self.touched[name]

    def _touches(self, name: str) -> bool:
        todo, seen = [name], set()
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            if os.path.lexists(self.override / n):  # a dangling link too: named
                return True
            try:  # a shipped one: what it includes (a name made at render: any)
                source = self.loader.get_source(self.env, n)[0]
            except jinja2.TemplateNotFound:
                continue
            names = list(meta.find_referenced_templates(self.env.parse(source)))
            if None in names:
                return True
            todo += [n for n in names if n is not None]
        return False

    def failed(self, name: str, error: BaseException, held: bool = False) -> None:
        """`name`'s override failed with `error` (its mail went out from the shipped
        one; `held`: a saved answer of the admin's own, the staff reply held back):
        logged once per template in this process, noted for `maild status`."""
        if isinstance(error, sandbox.TooLong):
            self.touched[name] = False
        if name in self.told:
            return
        self.told.add(name)
        path, line = where(self.override, name, error)
        what = describe(error)
        at = f"line {line}: " if line else ""
        log.error(
            "template override %s: %s%s; %s until the file is mended and maild restarted "
            "(maild check-config and maild status name it meanwhile)",
            path,
            at,
            what,
            _instead(name, held, self.shipped / name),
        )
        if self.run is not None:
            record = {"path": str(path), "line": line, "error": what, "template": name}
            record |= {"held": True} if held else {}
            _note(self.run, path, record | {"dir": str(self.override)})


def _instead(name: str, held: bool, shipped: Path | None) -> str:
    """What maild does meanwhile about the mail made from `name`."""
    answer = name.removeprefix(ANSWERS).removesuffix(".txt")
    if held:
        return f"staff replies with #answer {answer} are held back (their writer is told why)"
    at = f" ({shipped})" if shipped else ""
    if name.startswith(ANSWERS):
        return f"#answer {answer} inserts the shipped answer{at}"
    return f"mail from {name} is made from the shipped template{at}"


def answer_text(
    env: jinja2.Environment, fallback: Fallback | None, dirs: list[Path], name: str, ctx: dict
) -> str:
    """The saved answer answers/`name`.txt rendered. An admin's that fails (also: one
    that cannot be read, or that comes out empty) gives way to the shipped answer of
    that name (Fallback.failed); one only the admin has raises AnswerFailed, which
    holds the staff reply back and tells its writer (domain/answers) rather than crash
    the reply into a ticket of its own. Maild's own answer failing to render is a bug
    of maild: ConfigError, as for a shipped template (`checked`); a disk fault is
    raised as it is (processing pauses, runner.ENV_FAULTS)."""
    file = f"{ANSWERS}{name}.txt"
    path = answer_path(dirs, file)
    try:
        return _answer(env, path, file, ctx)
    except Exception as e:
        if isinstance(e, OSError) and not _the_files(e):
            raise  # the disk's fault, not the text's
        error = e
    ours = fallback is not None and path == fallback.override / file
    if not ours and not isinstance(error, Unreadable | Empty):
        raise ConfigError(f"saved answer {path}: {describe(error)}") from None
    if fallback is None or not ours or not (fallback.shipped / file).is_file():
        if fallback is not None and ours:
            fallback.failed(file, error, held=True)
        at, line = where(path.parent.parent, file, error)
        raise AnswerFailed(str(at), line, describe(error)) from None
    try:
        out = fallback.env.get_template(file).render(**ctx)
    except jinja2.TemplateError as e:
        raise ConfigError(f"saved answer {fallback.shipped / file}: {describe(e)}") from None
    fallback.failed(file, error)
    return out


def answer_problem(env: jinja2.Environment, dirs: list[Path], name: str, ctx: dict) -> str | None:
    """What keeps answers/`name`.txt, as the renderer finds it in `dirs`, from being
    made with `ctx` ("line N: error"), or None (`maild answers list`, `maild
    check-config`; nothing logged or noted)."""
    file = f"{ANSWERS}{name}.txt"
    path = answer_path(dirs, file)
    try:
        _answer(env, path, file, ctx)
    except Exception as e:
        _path, line = where(path.parent.parent, file, e)
        return f"{f'line {line}: ' if line else ''}{describe(e)}"
    return None


def answer_path(dirs: list[Path], file: str) -> Path:
    """The file the renderer takes `file` from: the first of `dirs` that has an entry
    of that name, even one that is no readable file (a dangling link, a directory),
    so that it is named rather than passed over for the next."""
    return next((d / file for d in dirs if os.path.lexists(d / file)), dirs[0] / file)


class Empty(ValueError):
    """A saved answer that comes out as nothing but blank space: a reply with it would
    answer the customer nothing."""

    def __str__(self) -> str:
        return "the saved answer is empty (nothing but blank space)"


class Unreadable(OSError):
    """A saved answer's entry that is no file to read (a dangling link, a directory)."""

    def __str__(self) -> str:
        return f"cannot read it: {self.strerror}"


# errno of an answer file that cannot be read through its own fault (an admin's stale
# link, a directory, a mode): the staff reply is held back, as for a broken text. Any
# other (EIO, EMFILE, ENOMEM...) is the store's: processing pauses until it is mended.
FILE_ERRNOS = frozenset(
    (errno.ENOENT, errno.EISDIR, errno.ELOOP, errno.EACCES, errno.EPERM, errno.ENOTDIR)
)


def _the_files(error: OSError) -> bool:
    """Whether `error` is the answer file's own fault (else the disk's)."""
    return isinstance(error, jinja2.TemplateNotFound | Unreadable) or error.errno in FILE_ERRNOS


def _answer(env: jinja2.Environment, path: Path, file: str, ctx: dict) -> str:
    """answers/`file` rendered by `env` once `path` (where the renderer finds it) is
    known to be a regular file, which jinja's loader would otherwise skip for the next
    folder's or call missing; Unreadable or Empty when it is no answer to send."""
    try:
        mode = os.stat(path).st_mode
    except OSError as e:
        if not _the_files(e):
            raise
        why = "a link to a missing file" if path.is_symlink() else (e.strerror or str(e))
        raise Unreadable(e.errno, why) from None
    if not stat.S_ISREG(mode):
        kind = "it is a directory" if stat.S_ISDIR(mode) else "it is not a regular file"
        raise Unreadable(errno.EISDIR if stat.S_ISDIR(mode) else errno.EINVAL, kind)
    try:
        template = env.get_template(file)
        # an admin's in the sandbox (its caps and time limit), maild's own as it is
        out = sandbox.rendered(template, ctx) if env.sandboxed else template.render(**ctx)
    except OSError as e:  # a missing include is the text's error, told as it is
        if isinstance(e, jinja2.TemplateNotFound) or not _the_files(e):
            raise
        raise Unreadable(e.errno, e.strerror or str(e)) from None
    if not out.strip():
        raise Empty
    return out


def made(
    env: jinja2.Environment,
    name: str,
    ctx: dict[str, Any],
    template: jinja2.Template | None = None,
    render: Callable[[jinja2.Template, dict[str, Any]], str] | None = None,
) -> str:
    """`name` rendered (by `render`: sandbox.rendered); its first line must be the Subject."""
    template = template or env.get_template(name)
    out = render(template, ctx) if render else template.render(**ctx)
    if not out.startswith("Subject:"):
        raise ValueError(f"template {name} must start with a Subject: line")
    return out


def checked(env: jinja2.Environment, dirs: list[Path], name: str, ctx: dict[str, Any]) -> str:
    """The text of a template that must work: a shipped one, or any when there are no
    overrides (`dirs`: where `env` looks). One that cannot be read or rendered is the
    config's fault, not the message's (ConfigError: processing pauses and mail waits
    in the spool, see runner.ENV_FAULTS), lest each customer's mail be taken for
    unreadable and stored without its sender."""
    try:
        template = env.get_template(name)
    except UnicodeDecodeError as e:
        raise ConfigError(f"template {_found(dirs, name)}: not UTF-8 text ({e.reason})") from None
    except jinja2.TemplateSyntaxError as e:
        raise ConfigError(f"template {_found(dirs, name)}: line {e.lineno}: {e.message}") from None
    try:
        return made(env, name, ctx, template)
    except jinja2.TemplateError as e:
        what = e.message or type(e).__name__
        raise ConfigError(f"template {_found(dirs, name)}: {what}") from None


def _found(dirs: list[Path], name: str) -> Path:
    """The file `env` read `name` from, for an error's text (looked up only then: a
    render is every message's, an error the config's)."""
    return next((d / name for d in dirs if (d / name).exists()), Path(name))


def where(override: Path, name: str, error: BaseException) -> tuple[Path, int | None]:
    """The override file that failed, and its line when known: the innermost frame of
    a file under `override` (jinja gives each template's frames its file and line), or
    the file a syntax error names; else the override of `name` itself."""
    if isinstance(error, jinja2.TemplateSyntaxError) and error.filename:
        return Path(error.filename), error.lineno
    inside = os.path.normpath(str(override)) + os.sep
    found: tuple[Path, int | None] | None = None
    for frame, line in traceback.walk_tb(error.__traceback__):
        if frame.f_code.co_filename.startswith(inside):
            found = Path(frame.f_code.co_filename), line
    if found:
        return found
    at = None
    if isinstance(error, UnicodeDecodeError) and isinstance(error.object, bytes):
        at = error.object.count(b"\n", 0, error.start) + 1
    return override / name, at


def describe(error: BaseException) -> str:
    """The error in a line: jinja's own message, else the Python error and its text."""
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8 text ({error.reason}): save the file as UTF-8"
    if isinstance(error, jinja2.TemplateNotFound) and error.message == error.name:
        # jinja's word for a name with `..` in it: the name alone, "line 4: ../x.txt"
        return (
            f"{error.name!r} not found: a template is named by its path in the templates"
            " folders, without '..'"
        )
    if isinstance(error, jinja2.TemplateError) and error.message:
        return error.message
    if isinstance(error, Unreadable | Empty | templatefile.NotText):
        return str(error)  # says it all
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _digest(path: Path) -> str | None:
    """The file's sha256; for an entry that is there but cannot be read (a dangling
    link, a directory) what it is, so that its note lasts as long as it stays so."""
    try:
        return hashlib.sha256(templatefile.read(path)).hexdigest()
    except templatefile.NotText as e:
        return f"unreadable: {e}"
    except OSError as e:
        if not os.path.lexists(path):
            return None
        target = ""
        with contextlib.suppress(OSError):
            target = os.readlink(path)  # a link pointed elsewhere is another fault
        return f"unreadable: {e.strerror} {target}".strip()


def _note(run: Path, path: Path, record: dict[str, Any]) -> None:
    """run/override_failing.NAME.json (answers.NAME.txt for a saved answer), keeping
    `since` of a note of the same file as it is (another process met it first). Best
    effort, as status.note: a note that cannot be written must not stop the mail it is
    about."""
    inside = os.path.relpath(path, record["dir"])  # answers/x.txt apart from x.txt
    name = path.name if inside.startswith("..") else inside.replace(os.sep, ".")
    target = run / f"{NOTE}{name}.json"
    digest = _digest(path)
    old = _read(target)
    same = old and old.get("path") == record["path"] and old.get("sha256") == digest
    since = old["since"] if old and same else datetime.now(UTC).isoformat()
    text = json.dumps(record | {"since": since, "sha256": digest}, ensure_ascii=False)
    tmp = run / f".{target.name}.{os.getpid()}"
    try:
        run.mkdir(exist_ok=True)
        tmp.write_text(text)
        os.replace(tmp, target)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def failing(root: Path, override: str | None) -> list[dict[str, Any]]:
    """The notes of overrides that failed and are still as they were when they did,
    in the override folder the config names now (`override`: templates.path)."""
    if not override:
        return []
    folder = os.path.normpath(str(Path(override).expanduser()))
    try:
        names = sorted(n for n in os.listdir(root / "run") if n.startswith(NOTE))
    except OSError:
        return []
    out = []
    for n in names:
        record = _read(root / "run" / n)
        if not record or os.path.normpath(str(record.get("dir"))) != folder:
            continue
        if record.get("sha256") and _digest(Path(str(record.get("path")))) == record["sha256"]:
            out.append(record)
    return out


def reasons(notes: list[dict[str, Any]] | None, prefix: str = "templates: ") -> list[str]:
    """One line per failing override (`maild status`: degraded, the mail goes;
    `maild check-config`: a warning, lest the service be kept from starting)."""
    out = []
    for r in notes or ():
        at = f"line {r['line']}: " if r.get("line") else ""
        instead = _instead(str(r.get("template")), bool(r.get("held")), None)
        out.append(
            f"{prefix}{r.get('path')} fails ({at}{r.get('error')}; since {r.get('since')}): "
            f"{instead}{'' if r.get('held') else ' instead'}; mend the file, then restart "
            "maild serve"
        )
    return out
