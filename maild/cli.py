"""The `maild` command line: parse arguments, load config, call into the app.

Exit codes follow sysexits: 0 ok, 1 not found/failed, 64 usage, 65 no message
(`ingest` of an empty input), 71 a listener could not start (`serve`), 75 temporary
failure (the MTA retries), 78 configuration or permission error; `status` 0/1/2
(README, Exit codes). No tracebacks for users.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import logging
import os
import sys
from typing import NoReturn

from maild import cliargs, logsetup, pipeusage, privileges
from maild import config as config_mod
from maild.adapters.layout import StoreRefused
from maild.adapters.store import CorruptFile, StoreUnavailable, lock
from maild.app import App
from maild.domain.sender import ENTITLED_LEVELS
from maild.domain.sla import LEVELS
from maild.domain.ticket import STATUSES
from maild.emptystore import listing_app
from maild.output import OutputUnwritable, readable_output

EX_OK, EX_FAIL, EX_USAGE, EX_TEMPFAIL, EX_CONFIG = 0, 1, 64, 75, 78
log = logging.getLogger("maild")


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    commands: frozenset[str] = frozenset()  # the top parser's commands (build_parser)

    def error(self, message: str) -> NoReturn:  # argparse would exit 2
        self.print_usage(sys.stderr)
        print(f"maild: {message}", file=sys.stderr)
        raise SystemExit(EX_USAGE)


class _Commands:
    """Adds commands to the `maild` parser: `cmd` a command of its own, `group` a
    command with actions (`maild ticket list`), `action` one of a group's actions.
    Every command and action takes --config and -v (after the command as well) and --json."""

    def __init__(self, sub: argparse._SubParsersAction) -> None:
        self.sub = sub

    def cmd(self, name: str, help: str, reads: bool = False) -> Parser:
        return self._common(self.sub.add_parser(name, help=help), reads)

    def group(self, name: str, help: str) -> argparse._SubParsersAction:
        return self.sub.add_parser(name, help=help).add_subparsers(
            dest="action", required=True, parser_class=Parser
        )

    def action(
        self, parent: argparse._SubParsersAction, name: str, help: str, reads: bool = False
    ) -> Parser:
        return self._common(parent.add_parser(name, help=help), reads)

    @staticmethod
    def _common(c: Parser, reads: bool) -> Parser:
        """`reads`: the command only reads the store, so it works on a storage whose
        file system is read-only (privileges.become_storage_owner)."""
        c.add_argument("--config", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        # (`maild status -v` as `maild -v status`)
        c.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                       help=argparse.SUPPRESS)  # fmt: skip
        c.add_argument("--json", action="store_true", help="machine-readable output")
        c.set_defaults(reads_only=reads)
        return c


@functools.cache  # parsing leaves the parser as it was: one per process
def build_parser() -> Parser:
    """The command line's parser. Built once per process: building its ~40
    subparsers costs more than most commands (argparse's gettext look-ups), which a
    process running several commands in turn (the tests) would otherwise pay each time."""
    p = Parser(prog="maild", description="Email-first support desk daemon.")
    p.add_argument("--config", help="config file (default: $MAILD_CONFIG or /etc/maild/maild.toml)")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    cmds = _Commands(p.add_subparsers(dest="command", required=True, parser_class=Parser))
    _daemon_commands(cmds)
    _outbox_commands(cmds)
    _ticket_commands(cmds)
    _registry_commands(cmds)
    _storage_commands(cmds)
    _upkeep_commands(cmds)
    from maild.spamcli import parser_lines

    parser_lines(cmds.group, cmds.action)  # spam, block
    p.commands = frozenset(cmds.sub.choices)
    return p


def _daemon_commands(cmds: _Commands) -> None:
    cmds.cmd("serve", "run the daemon")
    c = cmds.cmd("ingest", "take one raw message (file or stdin) through the pipeline")
    c.add_argument("file", nargs="?", default="-", help="a file, or - for stdin (the default)")
    cmds.cmd("check-config", "validate the config and exit")
    cmds.cmd("status", "health and queue figures; exit 0 healthy, 1 degraded, 2 failing", True)


def _outbox_commands(cmds: _Commands) -> None:
    ob = cmds.group("outbox", "outgoing mail queue")
    cmds.action(ob, "flush", "send every queued message now")
    c = cmds.action(ob, "list", "queued messages", reads=True)
    c.add_argument("--sent", action="store_true", help="list sent mail instead")
    cmds.action(ob, "show", "print one queued or sent message", reads=True).add_argument("id")
    c = cmds.action(ob, "release", "send queued mail held since a restore")
    one = c.add_mutually_exclusive_group(required=True)
    one.add_argument("id", nargs="?", help="one held message")
    one.add_argument("--all", action="store_true", help="every held message")


def _ticket_commands(cmds: _Commands) -> None:
    tk = cmds.group("ticket", "tickets")
    c = cmds.action(tk, "list", "tickets, oldest first (critical ones first)", reads=True)
    c.add_argument("--status", choices=STATUSES)
    c.add_argument("--since", type=cliargs.day, help="created on or after this day")
    c.add_argument("--requester", help="an address, or @domain")
    c.add_argument("--level", choices=LEVELS)
    c.add_argument("--limit", type=cliargs.positive, help="at most this many")
    cmds.action(tk, "show", "one ticket with its messages", reads=True).add_argument("tid")


_EMAIL = "a customer's address (may be repeated: --email a@x.ru --email b@x.ru)"
_DOMAIN = "a mail domain, e.g. shop.ru: its addresses, not its subdomains' (may be repeated)"
_UNTIL = "the last day it holds (none: no end)"


def _registry_commands(cmds: _Commands) -> None:
    """Licenses and customer groups."""
    lic = cmds.group("license", "licenses")
    c = cmds.action(lic, "add", "register a license")
    c.add_argument("--key", required=True, type=str.strip)  # (a spreadsheet's blanks)
    c.add_argument("--level", required=True, choices=ENTITLED_LEVELS)
    c.add_argument("--email", required=True, action="append", help=_EMAIL)
    c.add_argument("--until", type=cliargs.day, metavar="YYYY-MM-DD", help=_UNTIL)
    c.add_argument("--name", default="")
    c = cmds.action(lic, "list", "licenses", reads=True)
    c.add_argument("--expired", action="store_true", help="only those past --until")
    cmds.action(lic, "remove", "remove a license").add_argument("key", type=str.strip)

    grp = cmds.group("group", "commercial customer groups")
    c = cmds.action(grp, "add", "register a group by mail domain")
    c.add_argument("--name", required=True, type=str.strip)
    c.add_argument("--level", required=True, choices=ENTITLED_LEVELS)
    c.add_argument("--domain", required=True, action="append", help=_DOMAIN)
    c.add_argument("--until", type=cliargs.day, metavar="YYYY-MM-DD", help=_UNTIL)
    cmds.action(grp, "list", "groups", reads=True)
    cmds.action(grp, "remove", "remove a group").add_argument("name", type=str.strip)


def _storage_commands(cmds: _Commands) -> None:
    """Whole-storage operations: backup, restore, forget."""
    cmds.cmd("backup", "snapshot the storage into one .tar.gz").add_argument("dest")
    c = cmds.cmd("restore", "rebuild a storage from a backup (no config needed)")
    c.add_argument("archive")
    c.add_argument("--storage", required=True, help="a new or empty directory")
    c.add_argument(
        "--owner",
        help="as root: give the files to this user (default: the owner of --storage, or of"
        " its nearest existing parent while it is missing)",
    )
    c.add_argument("--send-queued", action="store_true", help="send its queued mail on start")
    c = cmds.cmd("forget", "erase a person's messages, attachments and spool copies")
    c.add_argument("address")
    c.add_argument("--dry-run", action="store_true", help="only say what would change")


def _upkeep_commands(cmds: _Commands) -> None:
    """The periodic jobs, shunted mail, saved answers, the store check, reports."""
    c = cmds.action(cmds.group("jobs", "scheduled work"), "run", "run the periodic jobs once")
    c.add_argument(
        "--now", type=cliargs.moment, help="pretend it is this time (ISO 8601 with offset)"
    )
    c.add_argument(
        "--report",
        action="store_true",
        help="the daily SLA report even before schedule.daily_report_time (from then on: anyway)",
    )

    sp = cmds.group("spool", "mail shunted after storage.max_attempts failed processings")
    cmds.action(sp, "list", "shunted messages", reads=True)
    c = cmds.action(sp, "retry", "put shunted mail back to be processed")
    c.add_argument("id", nargs="?", help="a shunted message's id (spool list)")
    c.add_argument("--all", action="store_true", help="every shunted message")

    answers = cmds.group("answers", "saved answers staff insert with #answer NAME")
    cmds.action(answers, "list", "list them", reads=True)

    # (reads only without --repair: _reads_only)
    c = cmds.cmd(
        "fsck", "check the store against the spool; --repair rebuilds what is derived", True
    )
    c.add_argument("--repair", action="store_true", help="fix what can be fixed")
    c.add_argument(
        "--quick", action="store_true", help="attachment files: only that they are there"
    )

    c = cmds.action(
        cmds.group("report", "reports"), "sla", "reaction-time compliance per level", reads=True
    )
    c.add_argument("--since", type=cliargs.day)
    c.add_argument("--until", type=cliargs.day)


def _config_path(args: argparse.Namespace) -> str:
    """The config file, absolute in every line that names it (postfix's pipe runs maild
    in its queue folder: a relative path there names no file the admin can find)."""
    path = args.config or os.environ.get("MAILD_CONFIG") or config_mod.DEFAULT_PATH
    return os.path.abspath(path)


# The commands that may make storage.path a new store: those that take mail or do the
# daemon's work, and the desk's setup before its first mail (not its listings:
# emptystore.py). The others find it missing and say so (a wrong path, a file system
# not mounted yet).
MAKE_STORE = frozenset({"serve", "ingest", "jobs", "license", "group", "block", "answers"})


def _load_app(
    config: config_mod.Config, args: argparse.Namespace, stack: contextlib.ExitStack
) -> App:
    """The storage owner's identity (root never writes there), then the log target,
    then the App (which may create the storage's folders; a listing never does:
    emptystore.py). `stack` holds what the App uses until the command ends."""
    storage = config.storage_path
    if os.path.exists(storage) and not os.path.isdir(storage):  # not "chmod u+rwx" a file
        raise StoreRefused(f"storage.path {storage} is not a directory")
    create = args.command in MAKE_STORE and not args.reads_only
    privileges.become_storage_owner(storage, _reads_only(args), create)
    logsetup.use_target(config.log.target)
    empty = None if create else stack.enter_context(listing_app(config, args.command))
    return empty or App(config, create=create)


def _reads_only(args: argparse.Namespace) -> bool:
    """Whether the command only reads the store (its parser's flag; fsck without --repair)."""
    return args.reads_only and not getattr(args, "repair", False)


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:
        # a typo in an MTA's pipe command (postfix's master.cf): 64 bounces every
        # customer's mail, 75 keeps it queued until the command line is fixed
        given = sys.argv[1:] if argv is None else argv
        if e.code == EX_USAGE and (said := pipeusage.piped(given, build_parser().commands)):
            print(said, file=sys.stderr)
            return EX_TEMPFAIL
        raise
    if getattr(args, "config", None) == "":  # not the default: a variable left empty
        print("maild: --config is empty: give the config file's path", file=sys.stderr)
        return EX_TEMPFAIL if args.command == "ingest" else EX_USAGE
    try:
        with readable_output():
            return _main(args)
    except OutputUnwritable as e:  # not the store's fault, nor a traceback
        print(f"maild: cannot write the output (stdout): {e}", file=sys.stderr)
        return EX_FAIL
    except BrokenPipeError:  # `maild ticket list | head`: what is left goes nowhere
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EX_OK


def run() -> None:
    """The `maild` command (and `python -m maild`): main(), then the process ends.

    Before it ends, every object is frozen out of the garbage collector: its passes
    over all of maild's modules and libraries while the interpreter shuts down would
    be paid by every message an MTA pipes to `maild ingest` (bench/FINDINGS.md 30),
    and they free nothing the kernel does not. What main() opened it has closed;
    exit handlers (logging's flush) and the freeing of everything not in a cycle still
    run."""
    code = main()
    gc.freeze()
    sys.exit(code)


def _main(args: argparse.Namespace) -> int:
    logsetup.configure(args.verbose)
    if args.command == "check-config":  # reads only: no App, nothing created
        from maild.checkconfig import check_config

        return check_config(_config_path(args), args.json)
    if args.command == "restore":  # the storage it makes is not the config's yet
        from maild.ops.commands import cmd_restore

        return cmd_restore(args)
    if args.command != "ingest":
        return _run(args, EX_CONFIG)
    # `maild ingest` is an MTA's pipe transport: any exit but 0 and 75 bounces the
    # customer's mail (and postfix mails stderr back), so everything that is not the
    # message's fault is 75 with one line
    try:
        return _run(args, EX_TEMPFAIL)
    except OutputUnwritable:
        raise
    except Exception as e:
        log.debug("ingest failed", exc_info=True)  # the traceback only with -v
        why = privileges.describe(e) if isinstance(e, OSError) else f"{type(e).__name__}: {e}"
        print(f"maild: ingest failed, try again later: {why}", file=sys.stderr)
        return EX_TEMPFAIL


def _run(args: argparse.Namespace, fail: int) -> int:
    """Load the config and run the command; `fail`: the exit code of a config or
    permission error (75 for ingest, so the MTA keeps the mail; it bounces on 78)."""
    storage = None  # once the config names it: a folder in it of another owner is named
    try:
        with contextlib.ExitStack() as stack:
            config = config_mod.load(_config_path(args))
            storage = config.storage_path
            app = _load_app(config, args, stack)
            # run by hand (not the daemon, not the MTA's pipe): say why it waits
            lock.on_wait = None if args.command in ("serve", "ingest") else _tell_wait
            return dispatch(app, args)
    except StoreRefused as e:  # of the storage.path the config file names: say which
        return _refused(args, f"config error: {_config_path(args)}: {e}", fail)
    except config_mod.ConfigError as e:
        return _refused(args, f"config error: {e}", fail)
    except privileges.WrongUser as e:
        return _refused(args, str(e), fail)
    except UsageError as e:
        print(f"maild: {e}", file=sys.stderr)
        return EX_USAGE
    except StoreUnavailable as e:  # a corrupt file (CorruptFile) says so and names it
        code = EX_FAIL if isinstance(e, CorruptFile) else EX_TEMPFAIL
        return _refused(args, f"store unavailable: {e}", code)
    except KeyboardInterrupt:
        return EX_FAIL
    except BrokenPipeError:
        return EX_OK
    except OSError as e:  # no traceback: what, where, and whether waiting helps
        code = fail if privileges.is_permanent(e) else EX_TEMPFAIL
        return _refused(args, privileges.describe(e, storage), code)


def _tell_wait(who: str, timeout: float) -> None:
    print(f"maild: the store is locked by {who}: waiting for it, up to {timeout:g} s",
          file=sys.stderr, flush=True)  # fmt: skip


def _refused(args: argparse.Namespace, line: str, code: int) -> int:
    """A command refused, or stopped by the store or the file system: one line;
    `status --json` (a monitor's parser) gets it as JSON too, {"config", "error"},
    rather than nothing to parse."""
    print(f"maild: {line}", file=sys.stderr)
    if args.command == "status" and args.json:
        from maild.output import print_json

        print_json({"config": _config_path(args), "error": line})
    return code


def dispatch(app: App, args: argparse.Namespace) -> int:
    from maild import commands, spamcli
    from maild.ops import commands as ops

    name = f"cmd_{args.command.replace('-', '_')}"
    handler = getattr(ops, name, None) or getattr(spamcli, name, None) or getattr(commands, name)
    return handler(app, args)


if __name__ == "__main__":
    run()
