"""What each `maild` subcommand does, and how its output looks."""

from __future__ import annotations

import argparse
import email
import email.policy
import logging
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from typing import Any

from maild.adapters.outbound import UNREACHABLE
from maild.app import App
from maild.domain import mergedwait
from maild.domain.addresses import address_of, comparable_address, comparable_domain
from maild.domain.mergedwait import pending as pending_waits
from maild.domain.pending import next_due, pending_due
from maild.domain.records import OutboxEntry
from maild.domain.sender import Group, License
from maild.domain.sla import LEVELS
from maild.domain.spelling import nfkc_dots
from maild.domain.tid import parse_tid
from maild.ingestcmd import cmd_ingest  # noqa: F401 (dispatched by name)
from maild.output import print_json, report
from maild.privileges import describe
from maild.registryinput import group_refusal, license_refusal
from maild.spoolcmd import cmd_spool  # noqa: F401 (dispatched by name)
from maild.status import cmd_status  # noqa: F401 - `maild status` (dispatched by name)
from maild.threadview import print_messages, refused_line
from maild.ticketjson import ticket_json

log = logging.getLogger("maild")
EX_OK, EX_FAIL, EX_USAGE, EX_DATAERR, EX_TEMPFAIL = 0, 1, 64, 65, 75


def cmd_serve(app: App, args: argparse.Namespace) -> int:
    from maild.server import serve

    return serve(app)


def _print_errors(left: list[OutboxEntry]) -> None:
    """Why queued mail is still there: a line per mail, what the relay said of it; but
    one line for all the mails the relay could not be reached for (none at fault)."""
    down: dict[str, list[str]] = {}
    for m in left:
        error = m.get("last_error")
        if error and error.startswith(UNREACHABLE):
            down.setdefault(error, []).append(m["id"])
        elif error:
            print(f"  {m['id']}: {error}")
    for error, ids in down.items():
        print(f"  {ids[0] if len(ids) == 1 else f'{len(ids)} mails'}: {error}")


def cmd_outbox(app: App, args: argparse.Namespace) -> int:
    if args.action == "release":
        return _release(app, args.id, args.json)
    if args.action == "flush":
        from maild.refusals import tell_refused

        try:
            sent, failed = app.outbox.flush(app.config.outbound, app.now())
            refused = tell_refused(app, app.now())  # the ticket's note, staff's notice
            if refused:  # which go now; what failed above waits for its next try
                sent += app.outbox.flush(app.config.outbound, app.now(), force=False)[0]
            left = app.outbox.entries()
        except OSError as e:
            print(f"maild: outbox: {describe(e, app.config.storage_path)}", file=sys.stderr)
            return EX_TEMPFAIL
        if app.outbox.stopped is not None:  # e.g. a full disk: said in one line
            print(f"maild: outbox: {app.outbox.stopped}; sent {sent}", file=sys.stderr)
            return EX_TEMPFAIL
        broken = _say_broken(app)  # no retry sends them
        if args.json:
            print_json(
                {"sent": sent, "failed": failed, "queued": len(left), "refused": len(refused)}
                | {"broken": len(broken)}
            )
        else:
            print(f"sent {sent}, failed {failed}, still queued {len(left) + len(broken)}")
            for m in refused:
                print(f"  {m['id']}: refused for good, not tried again: {m['refused']}")
            _print_errors([m for m in left if not m.get("held")])
            _say_held(left)
        return EX_FAIL if broken else EX_OK if not left else EX_TEMPFAIL
    if args.action == "list":
        rows = app.outbox.sent_entries() if args.sent else app.outbox.entries()
        if not args.sent:  # (not "outbox is empty" alone: that mail waits too)
            _say_broken(app)
        if args.json:
            print_json(rows)
        else:
            for m in rows:
                print(f"{m['id']}  {', '.join(m['to'])}  {m['subject']}{_outcome(m, args.sent)}")
            if not rows:
                print("outbox is empty" if not args.sent else "nothing sent yet")
            _say_held([] if args.sent else rows)
        return EX_OK
    # show
    try:
        raw = app.outbox.raw(args.id)
    except FileNotFoundError:
        print(f"maild: no outgoing message {args.id}", file=sys.stderr)
        return EX_FAIL
    print(format_mail(raw))
    return EX_OK


def _release(app: App, mail_id: str | None, as_json: bool) -> int:
    """`maild outbox release ID|--all`: held mail (adapters/outhold.py) goes;
    --json: `{"released": [IDS]}`."""
    from maild.adapters.outhold import release

    with app.store.locked():  # two at once: each mail released by one of them
        released, found = release(app.outbox, mail_id)
    if not found:
        print(f"maild: no queued outgoing message {mail_id}", file=sys.stderr)
        return EX_FAIL
    if mail_id is not None and not released:
        line = f"{mail_id} is not held: it goes with the next pass"
    else:
        line = f"released {len(released)}: sent by maild serve's next pass (or maild outbox flush)"
    report(as_json, {"released": released}, line)
    return EX_OK


def _say_held(rows: list[OutboxEntry]) -> None:
    """The line that names the mail held since a restore, and what sends it."""
    from maild.adapters.outhold import RELEASE, held

    if kept := held(rows):
        print(f"{len(kept)} held since the restore of the backup of {kept[0]['held']}, not"
              f" sent (the old desk may have sent them): {RELEASE} sends them")  # fmt: skip


def _say_broken(app: App) -> list[str]:
    """Name on stderr the queue files the last listing found broken, without a record
    or with their mail cut (the command's own line: the daemon's sender logs them);
    returns their paths."""
    for path, why in app.outbox.broken.items():
        print(f"maild: outbox: {path}: {why}, cannot be sent (see maild fsck)", file=sys.stderr)
    return list(app.outbox.broken)


def _outcome(m: OutboxEntry, sent: bool) -> str:
    """A queued mail's last error; for a sent one only how many tries it took (its
    last error is of a try before the one that worked)."""
    if not sent and m.get("held"):
        return "  (held since a restore: maild outbox release)"
    if not sent:
        return f"  ({m['last_error']})" if m.get("last_error") else ""
    if m.get("withdrawn"):  # sent/ keeps it, but it never went
        return f"  (withdrawn, not sent: {m['withdrawn']})"
    if m.get("refused"):  # neither did this one: the relay refused the address
        return f"  (refused by the relay, not sent: {m['refused']})"
    return f"  (sent after {m['attempts']} tries)" if m["attempts"] > 1 else ""


def format_mail(raw: bytes) -> str:
    """Headers a person cares about, then the decoded text."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    lines = [f"{h}: {msg[h]}" for h in ("From", "To", "Subject", "Date", "Message-ID") if msg[h]]
    body = msg.get_body(("plain",))
    lines += ["", body.get_content() if body else ""]
    return "\n".join(lines).rstrip() + "\n"


def cmd_ticket(app: App, args: argparse.Namespace) -> int:
    if args.action == "list":
        from maild.ops.commands import ticket_list

        return ticket_list(app, args, ticket_json)
    tid = parse_tid(args.tid)
    loaded = app.store.load(tid) if tid is not None else None
    if loaded is None:
        print(f"maild: no ticket {args.tid}", file=sys.stderr)
        return EX_FAIL
    ticket, messages = loaded
    if args.json:
        print_json(ticket_json(ticket, messages))
        return EX_OK
    level = LEVELS[ticket["level"]]
    print(f"[TID#{ticket['tid']}] {ticket['subject']}")
    print(f"status: {ticket['status']}   level: {level.id} ({level.name_ru})")
    print(f"requester: {ticket['requester']}   created: {app.fmt_time(ticket['created_at'])}")
    print(
        f"reaction due: {app.fmt_time(next_due(ticket)) or '-'}   "
        f"first reaction: {app.fmt_time(ticket['first_reaction_at']) or '-'}"
    )
    if waits := pending_waits(ticket):  # the customers merged in wait by their own
        print(f"own deadline: {app.fmt_time(pending_due(ticket)) or '-'}")
        for w in waits:
            print(
                f"  [TID#{w['tid']}] {w.get('requester', '')} ({w['level']}): due "
                f"{app.fmt_time(mergedwait.due(w))}"
            )
    if reason := (ticket.get("identification") or {}).get("reason"):
        print(f"identification: {reason}")
    if ticket.get("critical"):  # #critical; «#critical нет» takes it off
        print("critical: jumps the queue (#critical нет takes the mark off)")
    if ticket.get("refers_to"):  # named by a sender who may not write into it
        print(f"refers to [TID#{ticket['refers_to']}] (sender was not a participant)")
    if own := ticket.get("names_own"):  # the sender's own, its text alone named (textnamed)
        print(f"names [TID#{own}] in its text")
    if ticket.get("participants"):  # who gets the ticket's mail besides the requester
        print(f"participants: {', '.join(ticket['participants'])}")
    if ticket.get("removed"):  # #uncc: they write into it no more (ticket.may_append)
        print(f"removed by staff: {', '.join(ticket['removed'])}")
    for addr, m in (ticket.get("undeliverable") or {}).items():  # no automatic mail to it
        print(refused_line(app, addr, m))
    if ticket.get("merged_into"):
        print(f"merged into [TID#{ticket['merged_into']}]")
    if ticket.get("merged_from"):
        print("merged from " + ", ".join(f"[TID#{t}]" for t in ticket["merged_from"]))
    print_messages(app, messages)
    return EX_OK


def _registry_rows(items: list[License] | list[Group]) -> list[dict[str, Any]]:
    rows = []
    for item in items:
        row = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(item).items()}
        row["until"] = item.until.isoformat() if item.until else None
        rows.append(row)
    return rows


def _print_registry(args: argparse.Namespace, rows: list[dict[str, Any]], members: str) -> None:
    if args.json:
        print_json(rows)
        return
    for r in rows:
        print(
            f"{r.get('key', r.get('name')):<20} {r['level']:<10} until {r['until'] or '-':<10} "
            f"{', '.join(r[members])}  {r.get('name', '') if 'key' in r else ''}".rstrip()
        )
    if not rows:
        print(f"no {args.command}s")


def _say_added(
    args: argparse.Namespace,
    added: dict[str, Any],
    line: str,
    old: list[License] | list[Group],
    today: date,
) -> None:
    """`add` with a key (group name) already registered replaces that entry whole, as a
    renewal does: name what it replaced (an admin adding one address sees those it lost,
    and its `--until`); --json: the entry as `list --json` shows it, and what it replaced
    (null: none). An `--until` already past (a typo of the year) is said."""
    members, option = (
        ("emails", "--email") if args.command == "license" else ("domains", "--domain")
    )
    if args.until is not None:
        line += f", until {args.until}"
        if args.until < today:
            who = f"{args.command} {getattr(args, 'key', args.name)}"  # not `line`: "K:1"
            print(f"maild: warning: {who}: --until {args.until} has passed: its mail gets"
                  " free support (24 h), as after a contract ends", file=sys.stderr)  # fmt: skip
    replaced = _registry_rows(old)
    said = [
        f"  replaced: {row['level']}, {', '.join(row[members])}, until {row['until'] or '-'}"
        f"{', ' + row['name'] if row.get('key') and row.get('name') else ''}"
        f" (to keep one, give it again with {option})"
        for row in replaced
    ]
    report(args.json, {"added": added, "replaced": replaced[0] if replaced else None}, line, *said)


def _routed(address: str) -> str:
    """An address typed for a license, its domain as the mail system routes it: a
    license's (and a group's) entries are compared as stored (domain/sender.identify),
    and «boss@окна。рф» as typed matched no mail from окна.рф."""
    local, at, domain = address.rpartition("@")
    return f"{local}@{nfkc_dots(domain)}" if at else address


def _once(given: tuple[str, ...], key: Callable[[str], str]) -> tuple[str, ...]:
    """Each entry once, as first typed: «окна.рф» and «xn--80atjc.xn--p1ai» (or «A@x.ru»
    and «a@x.ru») are one, as identification compares them."""
    first: dict[str, str] = {}
    for g in given:
        first.setdefault(key(g), g)
    return tuple(first.values())


def cmd_license(app: App, args: argparse.Namespace) -> int:
    if args.action == "remove":
        from maild.ops.commands import registry_remove

        return registry_remove(app, args)
    if args.action == "add":
        refused = license_refusal(args, app.config.support.address)
        if refused:
            print(f"maild: {refused}", file=sys.stderr)
            return EX_USAGE
        emails = tuple(_routed(address_of(e) or "") for e in args.email)
        emails = _once(emails, comparable_address)
        with app.store.locked():
            old = [lic for lic in app.store.registry()[0] if lic.key == args.key]
            app.store.add_license(License(args.key, args.level, emails, args.until, args.name))
        added = _registry_rows([License(args.key, args.level, emails, args.until, args.name)])
        line = f"license {args.key}: {args.level}, {', '.join(emails)}"
        _say_added(args, added[0], line, old, app.now().date())
        return EX_OK
    licenses = app.store.registry()[0]
    if args.expired:
        today = app.now().date()
        licenses = [lic for lic in licenses if lic.until is not None and lic.until < today]
    _print_registry(args, _registry_rows(licenses), "emails")
    return EX_OK


def cmd_group(app: App, args: argparse.Namespace) -> int:
    if args.action == "remove":
        from maild.ops.commands import registry_remove

        return registry_remove(app, args)
    if args.action == "add":
        refused = group_refusal(args)
        if refused:
            print(f"maild: {refused}", file=sys.stderr)
            return EX_USAGE
        domains = tuple(nfkc_dots(d.strip().lower().lstrip("@")) for d in args.domain)
        domains = _once(domains, comparable_domain)
        with app.store.locked():
            old = [grp for grp in app.store.registry()[1] if grp.name == args.name]
            app.store.add_group(Group(args.name, args.level, domains, args.until))
        added = _registry_rows([Group(args.name, args.level, domains, args.until)])
        line = f"group {args.name}: {args.level}, {', '.join(domains)}"
        _say_added(args, added[0], line, old, app.now().date())
        return EX_OK
    _print_registry(args, _registry_rows(app.store.registry()[1]), "domains")
    return EX_OK


def cmd_report(app: App, args: argparse.Namespace) -> int:
    from maild.report import format_sla, sla_report

    if args.since and args.until and args.since > args.until:  # swapped: no period at all
        print(
            f"maild: report sla: --since {args.since} is after --until {args.until}",
            file=sys.stderr,
        )
        return EX_USAGE
    data = sla_report(app, args.since, args.until)
    if args.json:
        print_json(data)
    else:
        print(format_sla(app, data))
    return EX_OK


def cmd_answers(app: App, args: argparse.Namespace) -> int:
    from maild.answers_cli import answers_list

    return answers_list(app, args)


def cmd_fsck(app: App, args: argparse.Namespace) -> int:
    from maild.fsckcmd import cmd_fsck

    return cmd_fsck(app, args)


def cmd_jobs(app: App, args: argparse.Namespace) -> int:
    from maild import jobs

    now = args.now.astimezone(app.tz) if args.now else app.now()
    failed: list[str] = []
    result = jobs.run_all(app, now, failed)
    withheld = None
    if args.report and not result["report"]:  # by hand: before its time too
        result["report"] = int(jobs.daily_report(app, now))
        if not result["report"]:  # asked for, not made: say why ("report 0" told nothing)
            withheld = jobs.report_withheld(app, now)
            print(f"maild: jobs run: no report: {withheld}", file=sys.stderr)
    if args.json:
        print_json({**result, "report_withheld": withheld} if args.report else result)
    else:
        print(", ".join(f"{k} {v}" for k, v in result.items()))
    if failed:  # each logged with why; the others ran
        print(f"maild: jobs failed: {', '.join(failed)} (see the log)", file=sys.stderr)
        return EX_TEMPFAIL
    return EX_OK
