"""`maild spam list/show/release/delete` and `maild block add/remove/list`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from maild import guard
from maild.adapters.quarantine import PUBLIC, normalize_entry
from maild.app import App
from maild.domain.decision import Decision
from maild.domain.listreply import HELD as LIST_REPLY
from maild.domain.spam import entry_key
from maild.output import print_json, report
from maild.privileges import describe
from maild.registryinput import hint, is_address, is_domain
from maild.runner import ingest
from maild.snapshot import thread
from maild.unblocked import tell_started

EX_OK, EX_FAIL, EX_USAGE, EX_TEMPFAIL = 0, 1, 64, 75


def cmd_spam(app: App, args: argparse.Namespace) -> int:
    q = app.quarantine
    if args.action == "list":
        rows = [{k: r.get(k) for k in PUBLIC} for r in q.entries()]
        if args.json:
            print_json(rows)
        for r in rows if not args.json else ():
            when = app.fmt_time(r["received_at"])
            print(f"{r['id']}  {when}  {r['from'] or '-'}  {r['subject']}  ({r['reason']})")
        if not rows and not args.json:
            print("the quarantine is empty")
        return EX_OK
    entry = q.get(args.id)
    if entry is None:
        print(f"maild: no quarantined message {args.id}", file=sys.stderr)
        return EX_FAIL
    if args.action == "show":
        if args.json:
            print_json(entry)
            return EX_OK
        for k in ("id", "message_id", "from", "subject", "received_at", "reason"):
            print(f"{k}: {entry.get(k)}")
        print()
        print(entry.get("text") or "")
        return EX_OK
    if args.action == "delete":
        with app.store.locked():
            guard.drop(app, args.id)
        report(args.json, {"deleted": args.id}, f"deleted {args.id}")
        return EX_OK
    return _release(app, args, entry)


def _release(app: App, args: argparse.Namespace, entry: dict[str, Any]) -> int:
    """The message goes through the pipeline as if it had just arrived. A reply to a
    list mail would only come back (it is on no ticket: pipeline._hold), its writer
    told again: it stays, and the admin is told why (exit 1). Mail the pipeline puts
    back in the quarantine (a reply on a ticket still marked #spam or gone) is not
    released either: exit 1, never its quarantine id shown as a TID."""
    qid = entry["id"]
    stays = _stays(app, entry)
    if stays is not None:
        reason, line = stays
        if args.json:
            print_json({"id": qid, "tid": None, "outcome": "kept", "reason": reason})
        print(f"maild: {qid} {line}", file=sys.stderr)
        return EX_FAIL
    raw = app.quarantine.raw(qid)
    with app.store.locked():
        app.quarantine.mark_released(entry["message_id"])
    try:
        _key, decision = ingest(app, raw)
    except OSError as e:
        print(f"maild: cannot spool the message: {describe(e, app.config.storage_path)}",
              file=sys.stderr)  # fmt: skip
        return EX_TEMPFAIL
    back = decision is not None and decision.outcome == "quarantined"  # its tid: the entry
    if not back:
        with app.store.locked():
            _forget_entry(app, entry, decision)
    tid = decision.tid if decision is not None and not back else None
    if args.json:
        print_json({"id": qid, "tid": tid, "outcome": decision.outcome if decision else None})
    elif back and decision is not None:
        again = app.quarantine.get(decision.tid) or {}
        print(
            f"maild: {qid} is back in the quarantine as {decision.tid}: "
            f"{again.get('reason') or 'processed again'}",
            file=sys.stderr,
        )
    else:
        print(f"released {qid}: {decision.outcome if decision else 'pending'} [TID#{tid}]")
    sender = entry.get("from") or ""
    # (#spam blocks it too) every entry that covers it: a domain's covers all its addresses
    covering = app.quarantine.blocks().covering(sender) if sender else []
    if covering:
        by = "" if covering == [sender] else f" by {', '.join(covering)}"
        undo = "; ".join(f"maild block remove {e}" for e in covering)
        print(f"maild: {sender} is still blocked{by}: {undo}", file=sys.stderr)
    return EX_FAIL if back else EX_OK


def _forget_entry(app: App, entry: dict[str, Any], decision: Decision | None) -> None:
    """The released entry goes, and the spool copy it arrived as, unless its ticket
    keeps that one: the release spooled the mail anew, and the ticket keeps the new
    copy. The arrival copy left in spool/cur was mail of the ticket by its Message-ID
    until retention deleted the ticket, then mail in no ticket, which `fsck --repair`
    re-queued: the ticket back, its confirmation sent again. (Still waiting in the
    spool, None, the mail is not stored yet: the arrival copy stays.)"""
    key = entry.get("spool_key")
    if key and decision is not None and all(m.get("spool_key") != key for m in decision.messages):
        guard.drop(app, entry["id"])
    else:
        app.quarantine.delete(entry["id"])


def _stays(app: App, entry: dict[str, Any]) -> tuple[str, str] | None:
    """(the reason, the line for the admin) why ``entry`` is not released now, or None.
    A reply to a list mail is on no ticket. The mail of a ticket staff marked #spam
    comes back in order, the ticket's first mail (Quarantine.of_ticket) first: that one
    brings the ticket back under its TID and its requester; mail released after it is
    processed as it would have been (a stranger's opens a ticket of its own, the
    requester's is appended after the original). Released earlier, a stranger's mail
    would take the ticket's TID and the requester's reply would open the thread."""
    qid = entry["id"]
    if str(entry.get("reason") or "").startswith(LIST_REPLY):
        return "reply to a list mail, on no ticket", (
            "stays in the quarantine: it is a reply to a list mail, on no ticket (staff "
            "write to the address on the line of the ticket they mean); "
            f"maild spam delete {qid} once read"
        )
    # kept with the ticket, or quarantined for itself (a blocked sender) and naming it
    tid = entry.get("tid") or thread(app, app.parse(app.quarantine.raw(qid)), False)
    kept = app.quarantine.of_ticket(tid) if tid and guard.spammed_ticket(app, tid) else []
    if not kept or kept[0]["id"] == qid:
        return None
    first = kept[0]["id"]
    return f"mail of [TID#{tid}] marked #spam: its first mail {first} goes first", (
        f"stays in the quarantine: it is mail of [TID#{tid}] marked #spam, whose mail "
        f"is released in order, the ticket's first mail first: maild spam release {first}"
    )


def cmd_block(app: App, args: argparse.Namespace) -> int:
    q = app.quarantine
    if args.action == "list":
        rows = q.blocklist()
        if args.json:
            print_json(rows)
        else:
            print("\n".join(rows) if rows else "the block list is empty")
        return EX_OK
    entry = normalize_entry(args.entry)
    # (as `license add`/`group add` of one); one listed before this rule can go
    if not _blockable(entry) and not (args.action == "remove" and q.listed(entry)):
        how = hint(args.entry, "block")
        print(f"maild: block {args.action}: not an address or a domain: {args.entry!r}{how}",
              file=sys.stderr)  # fmt: skip
        return EX_USAGE
    own = _desks_own_covered(app, entry) if args.action == "add" else None
    if own:
        print(
            f"maild: block add: {entry} would quarantine the mail of {own}, the desk's own "
            "address: block the spammer's address instead",
            file=sys.stderr,
        )
        return EX_FAIL
    withdrawn = started = 0
    with app.store.locked():
        if args.action == "add":  # listed already, in either spelling of an IDN domain
            listed = q.listed(entry)
            changed = not listed and q.block(entry)
            withdrawn = guard.withdraw_blocked(app, entry)  # (also when listed already)
        else:
            listed = q.unblock(entry)  # as listed; the «работа начата» it held back goes now
            changed = bool(listed)
            started = tell_started(app, entry, app.now()) if changed else 0
    lines = [_changed_line(args.action, entry, listed, changed)]
    if withdrawn:
        lines.append(f"withdrew {withdrawn} queued automatic mail(s) to it: outbox list --sent")
    if started:
        lines.append(f"queued «работа начата» it held back, of {started} ticket(s) in work")
    data = {"entry": entry, "blocked": args.action == "add", "changed": changed, "listed": listed}
    told = {"started": started} if args.action == "remove" else {}  # tickets told
    report(args.json, {**data, "withdrawn": withdrawn, **told}, *lines)
    return EX_OK


def _blockable(entry: str) -> bool:
    """An entry some sender matches (registryinput's rule, as `group add` and `license
    add` have it), in any spelling BlockList reads as one («окна。рф», «example.com.»)."""
    key = entry_key(entry)
    return is_address(key) if "@" in key else is_domain(key)


def _changed_line(action: str, entry: str, listed: list[str], changed: bool) -> str:
    """What `block add/remove` of `entry` did; `listed`: the entries it found listed
    (removed, or in another spelling already there)."""
    if action == "remove" and changed:
        return f"unblocked {', '.join(listed)}"
    if changed:
        return f"blocked {entry}"
    other = [e for e in listed if e != entry]
    return f"{entry}: nothing to change" + (f" (listed as {other[0]})" if other else "")


def _desks_own_covered(app: App, entry: str) -> str | None:
    """The support, staff or head address a new entry would block, or None: blocked,
    staff replies go to the quarantine and never reach a customer."""
    from maild.domain.spam import BlockList

    support = app.config.support
    desks = [support.address, *support.internal]
    return next((a for a in desks if BlockList([entry]).match(a)), None)


def parser_lines(group: Any, action: Any) -> None:
    """The argparse lines of these commands (called from cli.build_parser)."""
    sp = group("spam", "the quarantine of mail judged spam")
    action(sp, "list", "quarantined messages, oldest first", reads=True)
    action(sp, "show", "one message", reads=True).add_argument("id")
    action(sp, "release", "process it as if just arrived").add_argument("id")
    action(sp, "delete", "delete it").add_argument("id")
    bl = group("block", "senders whose mail is quarantined")
    for name in ("add", "remove"):
        action(bl, name, f"{name} an ADDRESS or a DOMAIN").add_argument("entry")
    action(bl, "list", "the block list", reads=True)
