"""The `maild` command line: parse arguments, load config, call into the app.

Exit codes follow sysexits: 0 ok, 1 not found/failed, 64 usage, 75 temporary
failure (the MTA retries), 78 configuration error. No tracebacks for users.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import date, datetime

from maild import config as config_mod
from maild.adapters.store import CorruptFile, StoreUnavailable
from maild.app import App
from maild.domain.sender import ENTITLED_LEVELS
from maild.domain.ticket import STATUSES

EX_OK, EX_FAIL, EX_USAGE, EX_TEMPFAIL, EX_CONFIG = 0, 1, 64, 75, 78
log = logging.getLogger("maild")


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would exit 2
        self.print_usage(sys.stderr)
        print(f"maild: {message}", file=sys.stderr)
        raise SystemExit(EX_USAGE)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {value!r}") from None


def _datetime(value: str) -> datetime:
    try:
        d = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r}") from None
    if d.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a UTC offset, e.g. {value}+03:00")
    return d


def build_parser() -> Parser:
    p = Parser(prog="maild", description="Email-first support desk daemon.")
    p.add_argument("--config", help="config file (default: $MAILD_CONFIG or /etc/maild/maild.toml)")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    def cmd(name: str, help: str) -> Parser:
        c = sub.add_parser(name, help=help)
        c.add_argument("--config", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        c.add_argument("--json", action="store_true", help="machine-readable output")
        return c

    def group(name: str, help: str) -> argparse._SubParsersAction:
        return sub.add_parser(name, help=help).add_subparsers(
            dest="action", required=True, parser_class=Parser
        )

    def action(parent: argparse._SubParsersAction, name: str, help: str) -> Parser:
        c = parent.add_parser(name, help=help)
        c.add_argument("--config", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        c.add_argument("--json", action="store_true", help="machine-readable output")
        return c

    cmd("serve", "run the daemon")
    c = cmd("ingest", "take one raw message (file or stdin) through the pipeline")
    c.add_argument("file", nargs="?", default="-")
    cmd("check-config", "validate the config and exit")

    ob = group("outbox", "outgoing mail queue")
    action(ob, "flush", "send every queued message now")
    c = action(ob, "list", "queued messages")
    c.add_argument("--sent", action="store_true", help="list sent mail instead")
    action(ob, "show", "print one queued or sent message").add_argument("id")

    tk = group("ticket", "tickets")
    c = action(tk, "list", "tickets, oldest first (critical ones first)")
    c.add_argument("--status", choices=STATUSES)
    action(tk, "show", "one ticket with its messages").add_argument("tid")

    lic = group("license", "licenses")
    c = action(lic, "add", "register a license")
    c.add_argument("--key", required=True)
    c.add_argument("--level", required=True, choices=ENTITLED_LEVELS)
    c.add_argument("--email", required=True, action="append")
    c.add_argument("--until", type=_date)
    c.add_argument("--name", default="")
    action(lic, "list", "licenses")

    grp = group("group", "commercial customer groups")
    c = action(grp, "add", "register a group by mail domain")
    c.add_argument("--name", required=True)
    c.add_argument("--level", required=True, choices=ENTITLED_LEVELS)
    c.add_argument("--domain", required=True, action="append")
    c.add_argument("--until", type=_date)
    action(grp, "list", "groups")

    c = action(group("jobs", "scheduled work"), "run", "run the periodic jobs once")
    c.add_argument("--now", type=_datetime, help="pretend it is this time (ISO 8601 with offset)")
    c.add_argument("--report", action="store_true", help="also the daily SLA report to the head")

    c = cmd("fsck", "check the store against the spool; --repair rebuilds what is derived")
    c.add_argument("--repair", action="store_true", help="fix what can be fixed")

    c = action(group("report", "reports"), "sla", "reaction-time compliance per level")
    c.add_argument("--since", type=_date)
    c.add_argument("--until", type=_date)
    return p


def _load_app(args: argparse.Namespace) -> App:
    path = args.config or os.environ.get("MAILD_CONFIG") or config_mod.DEFAULT_PATH
    return App(config_mod.load(path))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="maild: %(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    # aiosmtpd logs every SMTP command at INFO; keep its warnings only
    quiet = logging.DEBUG if args.verbose else logging.WARNING
    logging.getLogger("mail.log").setLevel(quiet)
    logging.getLogger("apscheduler").setLevel(quiet)
    try:
        app = _load_app(args)
    except config_mod.ConfigError as e:
        print(f"maild: config error: {e}", file=sys.stderr)
        return EX_CONFIG
    except OSError as e:
        print(f"maild: storage unavailable, try again later: {e}", file=sys.stderr)
        return EX_TEMPFAIL
    try:
        return dispatch(app, args)
    except config_mod.ConfigError as e:
        print(f"maild: config error: {e}", file=sys.stderr)
        return EX_CONFIG
    except UsageError as e:
        print(f"maild: {e}", file=sys.stderr)
        return EX_USAGE
    except StoreUnavailable as e:  # a corrupt file (CorruptFile) says so and names it
        print(f"maild: store unavailable: {e}", file=sys.stderr)
        return EX_FAIL if isinstance(e, CorruptFile) else EX_TEMPFAIL
    except KeyboardInterrupt:
        return EX_FAIL
    except BrokenPipeError:
        return EX_OK


def dispatch(app: App, args: argparse.Namespace) -> int:
    from maild import commands

    handler = getattr(commands, f"cmd_{args.command.replace('-', '_')}")
    return handler(app, args)


if __name__ == "__main__":
    sys.exit(main())
