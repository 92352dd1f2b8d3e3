"""The admin's `maild` subcommands: backup, restore, forget, registry removal,
ticket listing. cli.py parses; this module does the work and prints."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from maild.adapters.outhold import RELEASE
from maild.adapters.store import StoreUnavailable
from maild.app import App
from maild.ops import listing
from maild.output import print_json, report
from maild.privileges import describe, is_permanent

EX_OK, EX_FAIL, EX_USAGE, EX_TEMPFAIL, EX_CONFIG = 0, 1, 64, 75, 78


def cmd_backup(app: App, args: argparse.Namespace) -> int:
    from maild.ops.backup import BackupError, backup  # (tarfile: not for every command)

    if args.dest.strip() in ("", "-"):  # a script's unset variable; no stdout here
        print(f"maild: backup: DEST is {args.dest!r}: give the archive's file or a folder "
              "for it, e.g. /var/backups/maild/ (an archive is not written to stdout)",
              file=sys.stderr)  # fmt: skip
        return EX_USAGE
    dest = Path(args.dest).expanduser().resolve()
    folder = args.dest.endswith(("/", "/."))  # resolve() drops what says "a folder"
    try:
        snap, dest = backup(app.config.storage_path, dest, app.store.locked, folder=folder)
    except StoreUnavailable as e:
        print(f"maild: backup: {e}; try again later", file=sys.stderr)
        return EX_TEMPFAIL
    except BackupError as e:
        print(f"maild: backup: {e}", file=sys.stderr)
        return EX_FAIL
    except OSError as e:
        if is_permanent(e):  # to cli: a folder the storage's owner may not write is 78
            raise
        # a full disk, where the archive goes or in the storage (the staging folder):
        # not "storage unavailable", which sent the admin to look at the wrong disk
        why = e.strerror or type(e).__name__
        print(
            f"maild: backup: {why}: {e.filename or dest}; no archive written, try again later",
            file=sys.stderr,
        )
        return EX_TEMPFAIL
    figures = {
        "files": snap.files,
        "tickets": snap.tickets,
        "queued": snap.queued,
        "pending": snap.pending,
        "seconds_locked": round(snap.seconds_locked, 3),
        "archive": str(dest),  # DEST may be a directory: the file's name is made here
    }
    if args.json:
        print_json(figures)
    else:
        print(
            f"backup {dest}: {snap.tickets} tickets, "
            f"{snap.queued} queued mail, {snap.pending} spooled unprocessed, "
            f"{snap.files} files (store locked {snap.seconds_locked:.2f} s)"
        )
    return EX_OK


def cmd_restore(args: argparse.Namespace) -> int:
    """Needs no config: the storage it rebuilds is named on the command line."""
    from maild.ops.backup import BackupError
    from maild.ops.restore import OwnerError, restore, root_owned

    # as storage.path must name it: absolute (the config refuses a relative one)
    target = Path(args.storage).expanduser().absolute()
    try:
        manifest = restore(Path(args.archive), target, args.owner, not args.send_queued)
    except OwnerError as e:
        print(f"maild: restore: {e}", file=sys.stderr)
        return EX_CONFIG
    except BackupError as e:
        print(f"maild: restore: {e}", file=sys.stderr)
        return EX_FAIL
    except OSError as e:
        if isinstance(e, PermissionError):  # whose folder refused, and what to do
            print(f"maild: restore: {describe(e)}", file=sys.stderr)
            return EX_CONFIG
        print(f"maild: restore: {e.filename or target}: {e.strerror}", file=sys.stderr)
        return EX_FAIL
    warning = root_owned(target, args.owner)
    if warning:
        print(f"maild: restore: {warning}", file=sys.stderr)
    held = manifest["held"]
    if args.json:
        print_json(manifest | {"release": RELEASE if held else None})
        return EX_OK
    print(
        f"restored {manifest.get('tickets')} tickets, {manifest.get('queued')} queued mail "
        f"from {manifest.get('created_at')} into {target}; with maild serve stopped,"
        " move it to where storage.path points (the shipped unit writes only there:"
        " README, Backup) or set storage.path to it, then start maild serve"
    )
    print(  # the archive cannot know whom (maild keeps no list of them)
        "people erased with maild forget after the backup are in it again, and so is mail"
        " queued to them: run maild forget ADDRESS again for each, before maild serve and"
        " maild outbox release"
    )
    if held:
        print(
            f"{held} queued mail held, not sent: the old desk may have sent it after the"
            f" backup; once you know it did not (its relay was down), send it: {RELEASE}"
        )
    if manifest.get("pending"):
        print(
            f"{manifest['pending']} mails waiting in the spool are processed on start; those"
            " the old desk processed after the backup get a second ticket (staff can #merge)"
        )
    return EX_OK


def cmd_forget(app: App, args: argparse.Namespace) -> int:
    from maild.domain.addresses import address_of
    from maild.ops.forget import forget

    # as copied from a mail client ("Иван <ivan@shop.ru>"); a domain or a typo would
    # erase nobody (or match everyone at the domain) and still say it was done
    address = address_of(args.address)
    if address is None:
        print(f"maild: forget: not an email address: {args.address!r}", file=sys.stderr)
        return EX_USAGE
    own = _desks_own(app, address)
    if own:
        print(f"maild: forget: {address} is {own}: not a person to erase", file=sys.stderr)
        return EX_USAGE

    def waiting(pid: str) -> None:  # the copy it holds goes when it ends: said first
        print(
            f"maild: forget: waiting for the backup in progress (pid {pid}) to finish: its "
            "staging folder in the storage is a copy of the store from before the erasure",
            file=sys.stderr,
            flush=True,
        )

    try:
        result = forget(app, address, dry_run=args.dry_run, on_wait=waiting)
    except StoreUnavailable as e:
        print(f"maild: forget: {e}; nothing more was changed, try again", file=sys.stderr)
        return EX_TEMPFAIL
    if args.json:
        print_json({"dry_run": args.dry_run, **result.as_json()})
        return EX_OK
    verb = "would erase" if args.dry_run else "erased"
    for t in result.tickets:
        print(
            f"[TID#{t.tid}] {verb} {t.messages} message(s), {len(t.attachments)} attachment(s), "
            f"{len(t.spool_keys)} spool cop(ies); address replaced {t.replaced} time(s)"
        )
    print(
        f"{result.address}: {len(result.tickets)} ticket(s); {verb} {result.spool_copies} "
        f"spool cop(ies), {result.attachment_files} attachment file(s), "
        f"{result.outbox_mails} outgoing mail(s)"
        + (" (dry run: nothing changed)" if args.dry_run else "")
    )
    if result.spool_scrubbed:  # others' mail that names them: kept, without the address
        say = "would scrub" if args.dry_run else "scrubbed"
        print(f"{say} the address from {result.spool_scrubbed} kept spool cop(ies) of others' mail")
    if result.waiting:
        print(
            f"{verb} {result.waiting} message(s) waiting in the spool (theirs deleted, "
            "others' without the address)"
        )
    if result.set_aside:
        print(f"{verb} {result.set_aside} cop(ies) that fsck --repair set aside in lost+found/")
    _say_backups(result.stages, result.backups, args.dry_run)
    for key in result.licenses:
        print(
            f"still on license {key}: maild license remove {key}, "
            "or add it again without this address"
        )
    return EX_OK


def _say_backups(stages: int, pids: list[str], dry_run: bool) -> None:
    """Copies of the store that backups made in the storage (forgetheld.backup_copies)."""
    if stages:
        say = "would remove" if dry_run else "removed"
        print(f"{say} {stages} staging folder(s) of backups that did not finish (store copies)")
    for pid in pids:
        print(
            f"{'would wait' if dry_run else 'waited'} for the backup in progress (pid {pid}) "
            "to finish and remove its staging folder; the archive it wrote may hold "
            "this person's data, as earlier backups do"
        )


def _desks_own(app: App, address: str) -> str | None:
    """What makes `address` the desk's own, or None. The support address is on every
    ticket's mail: erased as a person's, every confirmation and notice is emptied and
    the customers' spool copies (sent to it) deleted; staff and head still configured
    are taken off the config first."""
    from maild.domain.ownside import own_side, staff_side
    from maild.domain.replyaddr import is_support_address

    support = app.config.support
    if is_support_address(address, support.address):
        return "the support address"
    if address in staff_side(support.staff):  # in any spelling
        return "in support.staff (take it off the list and restart maild first)"
    if address in own_side((), support.head):
        return "support.head (set another head and restart maild first)"
    return None


def registry_remove(app: App, args: argparse.Namespace) -> int:
    """`license remove KEY` / `group remove NAME`."""
    what = args.command
    name = args.key if what == "license" else args.name
    with app.store.locked():
        gone = app.store.remove_license(name) if what == "license" else app.store.remove_group(name)
    if not gone:
        print(f"maild: no {what} {name}", file=sys.stderr)
        return EX_FAIL
    report(args.json, {"removed": name}, f"{what} {name} removed")
    return EX_OK


def ticket_list(app: App, args: argparse.Namespace, as_json: Any) -> int:
    """`ticket list` with its filters; `as_json` makes the INTERFACE.md shape."""
    requester = (args.requester or "").strip().lower() or None
    f = listing.Filter(args.status, args.since, requester, args.level, args.limit)
    found = listing.rows(app.store, f)
    if args.json:
        listing.print_json(found, app.store, as_json, sys.stdout)
    else:
        listing.print_table(found, listing.TimeFormat(app.tz), sys.stdout)
    return EX_OK
