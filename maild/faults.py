"""The daemon's answer to failures of processing (maild/runner.py tells them apart).

- An error of the environment pauses processing: the batch's mail stays in the
  spool, and processing is tried again after a back-off (1 s, doubling, at most
  BACKOFF_MAX) for as long as the error lasts. The fault is recorded in
  <storage>/run/fault.json ({"since", "error", "path"}; `maild status` shows it)
  and, once it has outlasted one retry, head and staff are told by mail, once per
  fault (the file remembers it across restarts); if even that mail cannot be
  queued, the log says so at ERROR. The file is removed when processing works again.
  It names the daemon's pid: `maild status` reports the fault only while that
  process runs, and a new `maild serve` takes the file over at start (its own first
  try tells whether the fault is still there; `since` and the alert carry over).
- A message that fails by itself (it fails while other messages succeed) has an
  attempt counted; at storage.max_attempts it is shunted to spool/bad/ and head and
  staff are told which one (`maild spool retry KEY` puts it back). When every message
  of a batch fails (several, or one after a batch that failed too), nothing is
  counted: that is the environment again (e.g. a broken registry file).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from maild.adapters.claimers import pid_alive
from maild.adapters.durable import unlink_if_exists, write_atomic
from maild.app import App
from maild.domain.limits import MAX_FAULT_CHARS, cut
from maild.domain.logid import log_time
from maild.domain.recordcheck import fault_note
from maild.outgoing import queue_ticketless
from maild.privileges import describe, said
from maild.runner import BatchResult, mail_of, with_path

log = logging.getLogger("maild.faults")

BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
ALERT_AFTER = 2  # failed tries in a row before head and staff are told (not a blip)


def fault_path(storage: Path) -> Path:
    return storage / "run" / "fault.json"


def read_fault(storage: Path) -> dict[str, Any] | None:
    """The recorded fault of processing, or None when processing works."""
    try:
        return fault_note(json.loads(fault_path(storage).read_bytes()))
    except (OSError, ValueError):
        return None


def alert(app: App, key: str, template: str, context: dict[str, Any]) -> bool:
    """Queue a mail to the head and staff; False (logged at ERROR) if it cannot be."""
    to = list(app.config.support.internal)  # each once (ownside.People)
    if not to:
        return False
    mail_id = hashlib.sha1(key.encode()).hexdigest()[:24]
    try:
        mail = app.renderer.text(template, context)
        # list mail: a reply to it is held, never a ticket of the writer's (listreply)
        queue_ticketless(app, mail_id, mail, to, app.now(), kind="alert")
    except OSError as e:
        why = describe(e, app.config.storage_path)  # a temp file's folder, not the file
        log.error("cannot queue the alert to head and staff (%s): %s", template, why)
        return False
    return True


class Faults:
    """Processing health as the daemon sees it across batches."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.path = fault_path(app.config.storage_path)
        self.tries = 0  # failed tries in a row
        self.healthy = True  # the last batch processed something
        # the fault a stopped run left (taken over at start): kept in memory only,
        # so status does not report it as current before this run meets it again
        self.previous: dict[str, Any] | None = None

    def take_over(self) -> None:
        """At `maild serve` start: the fault file of a run that stopped is not
        current; remove it, keeping its start and alert for a fault met again."""
        record = read_fault(self.app.config.storage_path)
        if record is None:
            return
        pid = record.get("pid")
        if isinstance(pid, int) and pid != os.getpid() and pid_alive(pid):
            log.warning("%s is held by a running maild (pid %d): left alone", self.path, pid)
            return
        log.info(
            "the last run stopped while processing was paused since %s (%s): trying again",
            log_time(record.get("since"), self.app.tz),
            record.get("error"),
        )
        self.previous = record
        try:
            unlink_if_exists(self.path)
        except OSError as e:
            log.error("cannot remove %s: %s", self.path, said(e))

    def delay(self) -> float:
        """Seconds to wait before the next try (0 while processing works)."""
        if not self.tries:
            return 0.0
        return min(BACKOFF_FIRST * 2 ** (self.tries - 1), BACKOFF_MAX)

    def after(self, result: BatchResult) -> list[str]:
        """Take a batch's result into account; the keys it shunted."""
        shunted: list[str] = []
        if result.fault is None and result.corrupt is not None and not result.ok:
            result.fault = result.corrupt  # all mail of the batch waits on a broken file
        if result.fault is None and result.failed:
            # by itself: others succeed in its batch, or it failed alone right after
            # a batch that worked; several failing together are the environment
            if result.ok or (self.healthy and len(result.failed) == 1):
                shunted = [key for key, error in result.failed if self.count(key, error)]
            else:
                key, error = result.failed[0]
                who = mail_of(self.app, key)
                result.fault = (f"every message fails, e.g. {who} spool {key}: {error}", "")
        if result.fault is not None:
            broken = result.fault == result.corrupt  # a file: kept until it changes
            self.fault(*result.fault, during=result.during, broken=broken)
            self.healthy = False
            return shunted
        if result.corrupt is not None:  # others went on: recorded, not paused
            self.fault(*result.corrupt, broken=True, paused=False)
        if result.ok:
            self.cleared()
            self.healthy = True
        elif result.failed:
            self.healthy = False
        return shunted

    def fault(
        self,
        error: str,
        path: str,
        during: str | None = None,
        broken: bool = False,
        paused: bool = True,
    ) -> None:
        """Record and log a fault of the environment; `during`: the spool key of the
        mail it was met on (named at the end of the line: the mail is not at fault).
        A corrupt store file (`broken`) is kept with its stamp: the fault stays recorded while
        the file is as it was, though other mail is processed (`paused` False: the
        runner logged the mail that waits)."""
        error = cut(error, MAX_FAULT_CHARS)  # (never a record's text: domain.limits)
        record = read_fault(self.app.config.storage_path) or {}
        if not record:
            old, self.previous = self.previous or {}, None
            record = {"since": old.get("since") or self.app.now().isoformat()}
            record["alerted"] = bool(old.get("alerted"))
        record.update(error=error, path=path, pid=os.getpid())
        record.pop("stamp", None)
        if broken:
            record["stamp"] = _stamp(path)
        if not paused:
            self._record(record)
            return
        self.tries += 1
        if not broken:  # (a broken file: the runner named each mail that waits, once)
            log.error(
                "processing paused, mail stays in the spool; retry in %.0f s: %s%s",
                self.delay(),
                with_path(error, path),
                f"; met on {mail_of(self.app, during)} spool {during}" if during else "",
            )
        # (a corrupt file: status and the log name it; fsck --repair may be at work on it)
        if self.tries >= ALERT_AFTER and not record.get("alerted") and not broken:
            ctx = {"error": error, "path": path, "since": self.app.fmt_time(record["since"])}
            ctx["storage"] = str(self.app.config.storage_path)
            record["alerted"] = alert(self.app, f"fault {record['since']}", "fault_alert.txt", ctx)
        self._record(record)

    def _record(self, record: dict[str, Any]) -> None:
        try:
            self.path.parent.mkdir(exist_ok=True)
            write_atomic(self.path, json.dumps(record, ensure_ascii=False).encode(), sync=False)
        except OSError as e:
            log.error("cannot record the fault in %s: %s", self.path, said(e))

    def cleared(self) -> None:
        record = read_fault(self.app.config.storage_path)
        # (a stamp of None: the file could not be stat'ed, a folder above it shut; it
        # stays recorded while that lasts)
        if record and "stamp" in record and record["stamp"] == _stamp(record["path"]):
            self.tries = 0  # other mail went on; what needs the file still waits for it
            return
        if self.tries or self.previous is not None or self.path.exists():
            if not record or "stamp" not in record:  # (its mail said so: runner._waited)
                log.info("processing works again")
            try:
                unlink_if_exists(self.path)
            except OSError as e:
                log.error("cannot remove %s: %s", self.path, said(e))
        self.tries = 0
        self.previous = None

    def count(self, key: str, error: str) -> bool:
        """Count a failed attempt of a message that failed by itself; True if it
        was shunted (and head and staff were told)."""
        error = cut(error, MAX_FAULT_CHARS)
        try:
            attempts, shunted = self.app.spool.failed(key)
        except OSError as e:
            log.error("spool %s: cannot count the failed attempt: %s", key, said(e))
            return False
        who = mail_of(self.app, key)
        log.warning("%s spool %s: failed by itself, attempt %d: %s", who, key, attempts, error)
        if shunted:
            self.shunted(key, attempts, error)
        return shunted

    def shunted(self, key: str, attempts: int, error: str) -> None:
        try:
            raw: bytes | None = self.app.spool.read(key)
        except OSError:
            raw = None
        ctx = {"key": key, "attempts": attempts, "error": error}
        ctx.update(describe_mail(self.app, key, raw))
        log.error(
            "%s spool %s: moved to spool/bad after %d failed attempts: %s (maild spool retry %s)",
            mail_of(self.app, key, raw),
            key,
            attempts,
            error,
            key,
        )
        alert(self.app, f"bad {key}", "spool_alert.txt", ctx)


def _stamp(path: str) -> list[int] | None:
    """What tells a file changed (a mend, an fsck --repair): size and mtime."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def describe_mail(app: App, key: str, raw: bytes | None = None) -> dict[str, str]:
    """Message-ID, sender and subject of a spooled message, as far as they read
    (`raw`: its bytes, if read)."""
    out = {"message_id": "", "sender": "", "subject": ""}
    try:
        msg = app.parse(raw if raw is not None else app.spool.read(key))
        out.update(message_id=msg.message_id, sender=msg.from_addr, subject=msg.subject[:300])
    except Exception:  # it is the message that failed: anything may be wrong with it
        pass
    return out


def recover(app: App, faults: Faults) -> int:
    """Put back the claims of dead processes; their current messages count as
    failed attempts (a message that kills a worker). Returns how many came back."""
    try:
        counted = app.spool.recover()
    except OSError as e:
        log.error("spool: cannot recover claimed mail: %s", said(e))
        return 0
    for key, attempts, shunted in counted:
        who = mail_of(app, key)
        log.warning("%s spool %s: a process died working on it, attempt %d", who, key, attempts)
        if shunted:
            faults.shunted(key, attempts, "the process working on it died")
    return len(counted)
