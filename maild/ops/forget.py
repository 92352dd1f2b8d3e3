"""`maild forget ADDRESS`: erase a person's data from the store, spool and outbox.

The tickets that mention the address are found by reading the ticket files as
bytes, without the store lock (the address is stored as written, lower-cased where
it is an address field; a case-insensitive byte search finds both). Each one is
then changed under the lock, one ticket per locked section, so the service keeps
taking mail meanwhile. A last locked section reads again the ticket files written
since the first scan began (a ticket the person opened or wrote to meanwhile), and
erases them and the outbox with no mail processed in between. The rules of what is
erased are maild.domain.forget.
"""

from __future__ import annotations

import email.policy
import os
import time
from collections.abc import Callable
from email.parser import BytesHeaderParser

from maild.adapters.durable import names_in
from maild.adapters.outfile import pack, read_record, relength
from maild.adapters.spool import mail_in
from maild.adapters.store.indexes import person_key
from maild.adapters.store.rebuild import ticket_paths
from maild.app import App
from maild.domain.addresses import comparable_address, parseaddr
from maild.domain.forget import (
    ERASED,
    PLACEHOLDER,
    Erasure,
    erase_mail,
    id_head,
    mention,
    scrub_bytes,
    scrub_list_text,
    scrub_listed,
    their_id_heads,
)
from maild.domain.forgetmention import Mention
from maild.domain.forgetnames import names_pattern
from maild.domain.headblock import as_read
from maild.ops import forgetjournal as journal
from maild.ops.forgetheld import backup_copies, erase_held, erase_set_aside
from maild.ops.forgetids import about_them, kept_ids, reindex
from maild.ops.forgetjournal import merge
from maild.ops.forgetmail import scrub_mail
from maild.ops.forgetnamed import known_names, scrub_named
from maild.ops.forgetresult import ForgetResult
from maild.ops.forgetshared import erase_sharing
from maild.ops.retention import remove_unreferenced
from maild.withdrawals import note, withdrawal

# File times come from a clock that ticks coarsely: a file written during the first
# scan may carry a time a little before the scan began.
CLOCK_MARGIN_NS = 1_000_000_000


def _files_holding(app: App, finds: Mention, since_ns: int = 0) -> list[str]:
    """The TIDs whose file may name the person (Mention.in_bytes: any spelling, any
    case), in order (`since_ns`: only files written since then)."""
    found: set[str] = set()
    for tid, path in ticket_paths(app.store):
        try:
            if since_ns and os.stat(path).st_mtime_ns < since_ns:
                continue
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            continue
        if finds.in_bytes(data):
            found.add(tid)
    return sorted(found)


def _erase_outbox(
    app: App, result: ForgetResult, theirs: set[str], quoted: set[tuple[str, str]], dry_run: bool
) -> tuple[int, dict[str, set[str]]]:
    """Outgoing mail (queued or sent) about the person (_about_them): the record keeps
    its id and times (so it is never queued again), recipients (but the staff of a
    notice of their message) and subject are replaced, the message is emptied, and
    queued mail is not sent. Other mail that names the address gets the placeholder
    instead, and so does a file whose first line is no whole record (whose mail it is
    cannot be told; it never goes, and fsck names it); a staff mail of several
    tickets (a list of reminders, escalations or refused mail, the morning digest)
    loses the subject of theirs too (domain.forget.scrub_listed), in a text sent as
    base64 as well. Returns the count, and the Message-IDs of the mail so erased in
    tickets the person did not open, by TID (their records go too: erase_mail)."""
    n, about = 0, dict[str, set[str]]()
    address, pattern = result.address, result.mention
    files = app.store.files()  # the locked section's transaction
    withdrawn = []
    for folder in (app.outbox.queue, app.outbox.sent, app.outbox.refused):
        # a folder or file maild may not read raises (the command fails naming it
        # and the chown): skipped, their mail would stay while the erasure said done
        for path in sorted(folder / n for n in names_in(folder) if n.endswith(".mail")):
            try:
                data = files.read(path)
            except FileNotFoundError:  # sent meanwhile: found in sent/, read after queue/
                continue
            meta = read_record(path.name, data.partition(b"\n")[0])
            if meta is None or not about_them(meta, data, pattern, theirs, quoted):
                scrubbed = _scrub_other(data, result, theirs)
                if scrubbed != data:
                    n += 1
                    if not dry_run:
                        files.put(path, scrubbed)
                continue
            n += 1
            if meta["tid"] and meta["tid"] not in theirs:  # (of no ticket: the site's
                about.setdefault(meta["tid"], set()).add(meta["message_id"])  # link mail)
            if dry_run:
                continue
            to = comparable_address(address) in map(comparable_address, meta["to"])
            # the relay's answers (last_error, refused) name the address too
            said = {k: pattern.sub(PLACEHOLDER, v) for k, v in meta.items() if isinstance(v, str)}
            gone = to or meta["tid"] in theirs
            erased: dict[str, object] = {**said, "to": [PLACEHOLDER] if gone else meta["to"]}
            erased |= {"subject": ERASED, "erased": True}
            if folder == app.outbox.queue:  # never sent now: moved to sent/ as erased,
                # marked as never sent (outbox list --sent would show it as sent)
                if app.outbox.withdraw(path.stem, {**erased, "withdrawn": "erased"}, mail=b""):
                    rcpt = PLACEHOLDER if to else None  # as the thread names it
                    withdrawn.append((meta, withdrawal(app, meta, "erased", rcpt)))
            else:
                files.put(path, pack({**meta, **erased}, b""))
    note(app, withdrawn)  # so its thread does not show it as mail that went
    return n, about


def _scrub_other(data: bytes, result: ForgetResult, theirs: set[str]) -> bytes:
    """An outbox file of other mail, the person scrubbed from its record, headers and
    text: a list of several tickets names theirs too (its line loses the subject),
    and the address gives way to the placeholder; so too in a text sent as base64
    and in headers in encoded words (forgetmail); then their display name, as in the
    ticket the mail quotes (a notice of Petr's «Иван Петров <...> писал:»)."""
    pattern = result.mention

    def named(text: bytes) -> bytes:
        return scrub_bytes(text, pattern) if pattern.in_bytes(text) else text

    def text(part: bytes) -> bytes:  # a text part's content, decoded
        return named(scrub_list_text(part, theirs))

    record, nl, mail = named(scrub_listed(data, theirs)).partition(b"\n")
    scrubbed = scrub_named(scrub_mail(mail, text, pattern, PLACEHOLDER), result.named)
    return relength(record, data.partition(b"\n")[2], scrubbed) + nl + scrubbed  # (length)


def _scrub_incoming(raw: bytes, result: ForgetResult) -> bytes:
    """A raw copy of another's incoming mail (spool/cur, new, bad) without the address:
    as bytes, and where a byte search does not see it, in a base64 or quoted-printable
    text part in the charset it declares and in a header in encoded words
    (forgetmail); then their display name (forgetnamed.scrub_named); the files stay as
    they are."""

    pattern = result.mention

    def text(part: bytes) -> bytes:  # a text part's content, decoded, as UTF-8
        return scrub_bytes(part, pattern) if pattern.in_bytes(part) else part

    scrubbed = scrub_mail(scrub_bytes(raw, pattern), text, pattern, PLACEHOLDER)
    return scrub_named(scrubbed, result.named)


def _spool_copies(app: App, e: Erasure, dry_run: bool, result: ForgetResult) -> tuple[int, int]:
    """Remove the spool copies of erased messages, scrub the address from the kept
    (in their encoded text and headers too: _scrub_incoming): how many were
    removed, and how many kept ones changed (another's mail stays another's)."""
    removed = scrubbed = 0
    for key in e.spool_keys:
        if dry_run:
            removed += app.spool.path(key) is not None
        else:
            removed += app.spool.discard(key)
    for key in e.kept_keys:
        try:
            raw = app.spool.read(key)
        except FileNotFoundError:
            continue
        clean = _scrub_incoming(raw, result)
        if clean != raw:
            scrubbed += 1
            if not dry_run:
                app.spool.rewrite(key, clean)
    return removed, scrubbed


def _erase_ticket(app: App, tid: str, address: str, dry_run: bool, result: ForgetResult) -> None:
    """Erase the person from one ticket (the caller holds the store lock); a ticket
    erased twice (written to again meanwhile) is reported once, with both counts."""
    loaded = app.store.load(tid)
    if loaded is None:
        return
    ticket, messages, erasure = erase_sharing(app, loaded, address, result.named, result.id_heads)
    result.id_heads |= {h for old, _ in erasure.renamed if (h := id_head(old, address))}
    if not erasure.changed:
        return
    earlier = next((e for e in result.tickets if e.tid == tid), None)
    if earlier is None:
        result.tickets.append(erasure)
    elif dry_run:
        return  # the same files, looked at again: nothing new
    else:
        merge(earlier, erasure)
    removed, scrubbed = _spool_copies(app, erasure, dry_run, result)
    result.spool_copies += removed
    result.spool_scrubbed += scrubbed
    if not dry_run:
        app.store.save(ticket, messages)
        reindex(app, erasure.renamed)


def _erase_mail(app: App, tid: str, ids: set[str], dry_run: bool, result: ForgetResult) -> None:
    """The records of maild's mail about the person in a ticket they did not open,
    erased with its outbox files (the caller holds the store lock)."""
    loaded = app.store.load(tid)
    if loaded is None:
        return
    ticket, messages = loaded
    erasure = Erasure(tid)
    messages = erase_mail(messages, ids, result.address, erasure)
    if not erasure.changed:
        return
    earlier = next((e for e in result.tickets if e.tid == tid), None)
    if earlier is None:
        result.tickets.append(erasure)
    else:
        merge(earlier, erasure)
    if not dry_run:
        app.store.save(ticket, messages)


def forget(
    app: App,
    address: str,
    dry_run: bool = False,
    on_wait: Callable[[str], None] = lambda pid: None,
) -> ForgetResult:
    """Erase `address` everywhere; with `dry_run`, only say what would change.
    `on_wait(pid)`: called before waiting for a backup in progress (backup_copies)."""
    address = address.strip().lower()
    result = ForgetResult(address)
    with app.store.locked():  # (a commit a crash cut short is finished first)
        result.tickets = journal.earlier(app, address)  # what a run cut short erased
    finds = mention(address)  # окна.рф, xn--80atjc.xn--p1ai, any case
    scan_began = time.time_ns() - CLOCK_MARGIN_NS
    tids = _files_holding(app, finds)
    _id_heads(app, tids, result)
    result.named = names_pattern(known_names(app, address, tids))
    for tid in tids:
        with app.store.locked():
            _erase_ticket(app, tid, address, dry_run, result)
            erased = next((e for e in result.tickets if e.tid == tid), None)
            if not dry_run and erased is not None:  # in the same commit: for a re-run
                journal.note(app, address, erased)
    # the slow rest before the last pass: mail that comes after it is a new contact's
    swept: set[str] = set()
    result.attachment_files = _attachment_files(app, result, dry_run, swept)
    lics = app.store.registry()[0]
    mine = comparable_address(address)  # its domain as окна.рф or xn--80atjc.xn--p1ai alike
    result.licenses = [lic.key for lic in lics if mine in map(comparable_address, lic.emails)]
    with app.store.locked():
        for tid in _files_holding(app, finds, since_ns=scan_began):
            _erase_ticket(app, tid, address, dry_run, result)
        theirs = {e.tid for e in result.tickets if e.theirs}
        quoted = kept_ids(result.tickets, result.mention)
        result.outbox_mails, about = _erase_outbox(app, result, theirs, quoted, dry_run)
        for tid, ids in about.items():
            _erase_mail(app, tid, ids, dry_run, result)
        if not dry_run:
            app.store.forget_address(address)
            for e in result.tickets:  # (this pass's too: the files below are theirs)
                journal.note(app, address, e)
        result.held = erase_held(app, address, dry_run)
        result.set_aside = erase_set_aside(app, address, dry_run)
        result.waiting = _erase_waiting(app, result, dry_run)
        if not dry_run:  # mail a worker read before this: erased when stored (maild.erased)
            clock = lambda: int(app.now().timestamp() * 1e9)  # noqa: E731
            app.store.mark_erased(person_key(app.reply_secret, address), clock)
    result.attachment_files += _attachment_files(app, result, dry_run, swept)
    result.stages, result.backups = backup_copies(app, dry_run, on_wait)
    if not dry_run:  # last: a run cut short before this finds the files it left
        with app.store.locked():
            journal.done(app, address)
    return result


def _id_heads(app: App, tids: list[str], result: ForgetResult) -> None:
    """The heads of the person's Message-IDs made of their address (domain.forget
    id_head), before any ticket is changed: another ticket's mail answers them (its
    In-Reply-To, its spool copy's References); a run cut short renamed some already."""
    kept = (i for e in result.tickets for i in e.message_ids)
    result.id_heads |= {h for i in kept if (h := id_head(i, PLACEHOLDER))}
    for tid in tids:
        with app.store.locked():
            loaded = app.store.load(tid)
        if loaded is not None:
            result.id_heads |= their_id_heads(loaded[1], result.address)


def _attachment_files(app: App, result: ForgetResult, dry_run: bool, swept: set[str]) -> int:
    """Remove erased messages' attachment files no ticket names, but those `swept`."""
    shas = {sha for e in result.tickets for sha in e.attachments} - swept
    swept |= shas
    if not shas:
        return 0
    erased = {e.tid for e in result.tickets} if dry_run else set()
    return remove_unreferenced(app, shas, erased, dry_run)


def _erase_waiting(app: App, result: ForgetResult, dry_run: bool) -> int:
    """Mail that holds the address and waits in the spool: in spool/new (not processed
    yet: `maild serve` stopped, or paused on a fault, or `fsck --repair` re-queued it),
    spool/claimed/<pid> (a worker read it and waits for the lock) and spool/bad
    (shunted). Else the next processing made a ticket of it, with their text and
    address, after the erasure. Theirs is deleted, as it would be erased once stored;
    others' mail loses the address, as the kept spool copies do (also where only its
    decoded text or header shows it)."""
    address = result.address
    n = 0
    top = app.spool.root / "claimed"
    claimed = [top / n for n in sorted(names_in(top)) if n[:1].isdigit()]
    for folder in [app.spool.root / "new", *claimed, app.spool.root / "bad"]:
        try:
            keys = sorted(mail_in(folder))
        except (FileNotFoundError, NotADirectoryError):  # a claimed/ folder given up
            continue
        for key in keys:
            try:
                raw = (folder / key).read_bytes()
            except FileNotFoundError:  # taken by a worker meanwhile
                continue
            theirs = result.mention.in_bytes(raw)  # and from them, either spelling:
            theirs = theirs and comparable_address(_sender(raw)) == comparable_address(address)
            scrubbed = raw if theirs else _scrub_incoming(raw, result)
            if not theirs and scrubbed == raw:
                continue
            n += 1
            if dry_run:
                continue
            if theirs:
                app.spool.files().remove(folder / key)
            else:
                app.spool.files().put(folder / key, scrubbed)
    return n


def _sender(raw: bytes) -> str:
    """The From address of a raw mail, read as the pipeline reads it (headblock.as_read:
    past a stray line break, past a «Subject : hi» line, however long the block)."""
    head = BytesHeaderParser(policy=email.policy.compat32).parsebytes(as_read(raw))
    return parseaddr(str(head.get("from") or ""))[1].lower()
