"""Credential redaction reaches every copy of a message: the ticket's records (the
customer's message and the notices that quoted it to staff), the raw mail in the
spool (redact_spool_copy), the mails in the outbox, queued or sent, that
carried the text, and a file of text kept for staff (redact_kept_files: the
ticket's file, and the notices' copies in the outbox). The subject goes the same
way (redactsubject.py): the ticket's, each record's, the spool copies' headers, the
outbox mails' headers and records.
Temp files of interrupted writes, the one other place a copy could stay, are
removed at start (adapters/leftovers.py)."""

from __future__ import annotations

import codecs
import email
import email.policy
import logging
import re
from datetime import datetime
from email.contentmanager import raw_data_manager
from email.message import EmailMessage, Message

from maild.adapters.store.attachfiles import attachment_path, keep_file
from maild.app import App
from maild.domain.charset import decode_with_charset
from maild.domain.filetypes import CALENDAR, sniff_type
from maild.domain.html import html_to_text
from maild.domain.longtext import is_zipped_text, redacted_zip
from maild.domain.message import read_mail
from maild.domain.nearlabels import credentials_near_labels, redact_near_labels
from maild.domain.records import MessageRecord, Ticket
from maild.domain.redact import MARKER, redact_credentials, redact_subject
from maild.outgoing import copy_key
from maild.redactsubject import redact_head, redact_record_line

log = logging.getLogger("maild.jobs")  # a step of the redaction job
_HTML_PART = re.compile(rb"text/html", re.IGNORECASE)


def redact_mail(raw: bytes) -> bytes | None:
    """The mail with access data blanked in its subject, text parts, files of text
    (_redact_file_part) and the zipped whole text of a staff notice (_redact_zipped);
    None if it has none."""
    headed = redact_head(raw)
    msg = email.message_from_bytes(headed or raw, policy=email.policy.SMTP)
    changed = int(headed is not None)  # the changes made
    budget = _Budget()
    for part in msg.walk():
        if is_zipped_text(part.get_filename(), part.get_content_type()):
            changed += _redact_zipped(part)
            continue
        if part.is_attachment():
            changed += _redact_file_part(part, budget)
            continue
        if part.get_content_type() != "text/plain":
            continue
        try:
            text = part.get_content()
        except (LookupError, ValueError):
            continue
        redacted, count = redact_credentials(text)
        if count:
            part.set_content(redacted, charset="utf-8")
            changed += count
    return msg.as_bytes(policy=email.policy.SMTP) if changed else None


def _redact_zipped(part: EmailMessage) -> int:
    """A staff notice's zipped whole text (domain.longtext) rewritten with its access
    data blanked: its text part shows only the start of a long text, and the rest,
    credentials and all, went in the zip. 1 if it changed."""
    try:
        data = part.get_content()
    except (LookupError, ValueError):
        return 0
    redacted = redacted_zip(data) if isinstance(data, bytes) else None
    if redacted is None:
        return 0
    name = part.get_filename()
    part.set_content(redacted, maintype="application", subtype="zip", filename=name)
    return 1


def _redact_file_part(part: EmailMessage, budget: _Budget) -> int:
    """A file of text a mail carries (a staff notice: the customer's log) rewritten
    with its access data blanked, as the ticket's copy is (redact_kept_files), in the
    mail's files' ``budget``. 1 if it changed."""
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes) or part.is_multipart():
        return 0
    read = read_text_file(data)
    if read is None or not budget.fits(read[0]):
        return 0
    new = _redacted(read, data)
    if new is None:
        return 0
    params = {}
    if part.get_param("charset"):
        params["charset"] = "utf-8" if new.startswith(codecs.BOM_UTF8) else read[1]
    part.set_content(
        new,
        maintype=part.get_content_maintype(),
        subtype=part.get_content_subtype(),
        disposition=part.get_content_disposition(),
        filename=part.get_filename(),
        params=params,
    )
    return 1


def outbox_id(message_id: str) -> str:
    """The outbox id of a mail maild sent about a ticket (app.message_id: key.tid.sig@)."""
    return message_id.strip().strip("<>").split(".", 1)[0]


def redact_outgoing(app: App, record: MessageRecord) -> int:
    """Redact an outgoing record of a ticket and its mail in the outbox; how many
    values were blanked in the record. Of a staff answer relayed to the customer only
    the subject, which maild made of the ticket's: what staff wrote stays."""
    if record.get("direction") != "out":
        return 0
    if record.get("kind") == "staff":  # its copies: the first under sent_as, each
        sent = [record.get("sent_as"), *(record.get("copies") or {}).values()]  # other's
        for mail_id in {outbox_id(x) for x in sent if x}:
            app.outbox.rewrite_mail(mail_id, redact_head, redact_record_line)
        return 0
    text, count = redact_credentials(record.get("text") or "")
    if count:
        record["text"] = text
    if record.get("message_id"):
        for mail_id in copy_ids(outbox_id(record["message_id"]), record.get("to") or []):
            app.outbox.rewrite_mail(mail_id, redact_mail, redact_record_line)
    return count


def redact_record_subject(record: MessageRecord) -> int:
    """Redact the subject a record keeps of its mail (received mail: message_record)."""
    subject, count = redact_subject(record.get("subject") or "")
    if count:
        record["subject"] = subject
    return count


def copy_ids(mail_id: str, to: list[str]) -> list[str]:
    """The outbox ids of every copy of one recorded mail: a mail goes one copy per
    recipient (guard.copies), the first under the record's id, the n-th under
    ``<id>-<n>`` (outgoing.copy_key); ids with no mail are skipped."""
    return [copy_key(mail_id, n) for n in range(max(1, len(to)))]


def redact_spool_copy(raw: bytes, redacted_text: str, when: datetime) -> bytes:
    """The spool copy after redaction: original headers, the redacted text as body."""
    head, sep, _body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, sep, _body = raw.partition(b"\n\n")
    keep: list[bytes | None] = []
    for line in head.splitlines():
        # "Content-Type : ..." too: a field to the MTA and to maild (headblock.as_read)
        name = line.partition(b":")[0].rstrip(b" \t").lower()
        if name in (b"content-type", b"content-transfer-encoding", b"mime-version"):
            keep.append(None)  # drop this header and its continuation lines
            continue
        if line[:1] in (b" ", b"\t") and keep and keep[-1] is None:
            continue
        keep.append(line)
    lines = [x for x in keep if x is not None]
    lines += [
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=utf-8",
        b"Content-Transfer-Encoding: 8bit",
        f"X-Maild-Redacted: {when.isoformat()}".encode(),
    ]
    body = (redacted_text + f"\n\n{MARKER}: письмо сокращено после закрытия обращения\n").encode()
    return b"\r\n".join(lines) + b"\r\n\r\n" + body.replace(b"\n", b"\r\n")


def _redact_quote(app: App, m: MessageRecord, now: datetime) -> int:
    """A staff reply's spool copy quotes the customer's mail, access data and all
    («> Пароль: ...»): that copy is redacted too. Its record keeps the answer as it
    went to the customer: what staff wrote stays."""
    key = m.get("spool_key")
    raw = _spool_copy(app, key)
    if key is None or raw is None:
        return 0
    read = read_mail(raw)  # once: its HTML as it came (parse opens parts in it), its text
    in_html = html_credentials(raw, read)
    text, count = redact_credentials(app.parse(raw, read=read).text)
    hidden = not count and in_html
    _rewrite_spool(app, key, raw, text if count or hidden else None, now)
    return count + hidden


def _spool_copy(app: App, key: str | None) -> bytes | None:
    """The raw mail a record's spool copy keeps; None when it has none (`maild forget`
    erased it)."""
    return app.spool.read(key) if key and app.spool.path(key) is not None else None


def html_credentials(raw: bytes, read: tuple[Message, str | None] | None = None) -> bool:
    """Whether an HTML part of a mail holds access data: a mail's text is read from
    its plain part, and the HTML alternative beside it may hold a password that part
    does not (the spool copy keeps both). ``read``: read_mail of ``raw``, when the
    caller has it; the mail is read as parse() reads it, once."""
    if _HTML_PART.search(raw) is None:
        return False
    tree, _ = read if read is not None else read_mail(raw)
    for part in tree.walk():
        if part.get_content_type() != "text/html" or part.get_content_disposition() == "attachment":
            continue
        try:
            html = raw_data_manager.get_content(part)  # as EmailMessage.get_content reads it
        except (LookupError, ValueError):
            continue
        if redact_credentials(html_to_text(html))[1]:
            return True
    return False


# The files of text of one mail are searched in their first FILES_SCAN_CHARS
# characters together: the job runs under the store lock, and a log whose every
# line names a "user" is searched whole (nearlabels), in time linear in its characters
# (bench/FINDINGS.md 25): the lock is held for a bounded time per mail. A mail whose
# files of text hold more is taken as holding access data (file_credentials): its
# spool copy is cut to its text.
FILES_SCAN_CHARS = 1_000_000


class _Budget:
    """What is left of one mail's FILES_SCAN_CHARS: `fits` takes a file's text from it,
    or takes nothing and says False when the text is longer than what is left."""

    def __init__(self) -> None:
        self.left = FILES_SCAN_CHARS

    def fits(self, text: str) -> bool:
        if len(text) > self.left:
            return False
        self.left -= len(text)
        return True


def hidden_credentials(app: App, raw: bytes, about: str = "-") -> bool:
    """Whether a customer's spool copy holds access data its record's text does not
    show: in an HTML alternative or a file of text; the mail read once for both.
    ``about``: the mail's Message-ID and TID for the log."""
    read = read_mail(raw)  # (parse opens parts)
    return html_credentials(raw, read) or file_credentials(app, raw, read, about)


def file_credentials(
    app: App, raw: bytes, read: tuple[Message, str | None] | None = None, about: str = "-"
) -> bool:
    """Whether a file of a mail that is text holds access data: a log or a config
    attached (refused, or kept with attachments.accept_other_types) stays whole in the
    spool copy, as the customer sent it. A file is read as the ticket's text is, its
    charset detected (parse: every file maild reads, from a winmail.dat or a forwarded
    mail too); a binary one (a picture, an archive, a PDF, a document) is not read.
    Files of text over FILES_SCAN_CHARS together count as holding them: what is past
    the budget is not searched, and nothing in it stays. ``read``: read_mail of
    ``raw``, when the caller has it."""
    budget = _Budget()
    for attachment in app.parse(raw, read=read).attachments:
        text = readable_text(attachment.data)
        if text is None:
            continue
        if not budget.fits(text):
            log.info("%s files of text over %d characters: taken as holding access data",
                     about, FILES_SCAN_CHARS)  # fmt: skip
            return True
        if credentials_near_labels(text):
            return True
    return False


def readable_text(data: bytes) -> str | None:
    """A file's bytes as text, None when they are no text: a type its bytes prove
    (filetypes.sniff_type: pictures, archives) or a NUL byte (binary formats: PDF's
    streams, Word's, executables), but for UTF-16 text, which a Notepad of Windows
    saves as «Юникод» with its byte order mark."""
    read = read_text_file(data)
    return read[0] if read is not None else None


def read_text_file(data: bytes) -> tuple[str, str] | None:
    """readable_text and the codec the text was read in (to write it back so)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace"), "utf-16"
    if not data or b"\0" in data or sniff_type(data) not in (None, CALENDAR):
        return None
    return decode_with_charset(data)


def redact_kept_files(app: App, m: MessageRecord, about: str = "-") -> int:
    """Rewrite the files of text a message's record keeps (accepted: the ticket's
    files, the site's download) that hold access data: each is stored as its redacted
    text (nearlabels.redact_near_labels), stored by content as any file, and the
    record names the new file, its size too; the old one is left to the daily sweep
    of files no ticket names (ops.retention). Searched in FILES_SCAN_CHARS together,
    as the spool copy's files are: a file past them stays as it came, and the log
    says so. How many files were rewritten."""
    root = app.config.storage_path
    budget, count = _Budget(), 0
    for a in m.get("attachments") or []:
        sha = a.get("sha256")
        if not a.get("accepted") or not sha:
            continue
        try:
            old = attachment_path(root, sha).read_bytes()
        except FileNotFoundError:  # none to rewrite (one maild may not read fails the job)
            continue
        read = read_text_file(old)
        if read is None:
            continue
        if not budget.fits(read[0]):
            log.warning("%s file «%s» over %d characters of text: not searched, kept as it came",
                        about, a.get("filename"), FILES_SCAN_CHARS)  # fmt: skip
            continue
        data = _redacted(read, old)
        if data is None:
            continue
        new = keep_file(root, app.store.files(), data)  # in the job's locked section
        a["sha256"], a["size"] = new, len(data)
        count += 1
    return count


def _redacted(read: tuple[str, str], data: bytes) -> bytes | None:
    """A file of text (``data``, read_text_file ``read`` it) with its access data
    blanked, in the charset it came in (_encoded); None if it holds none."""
    redacted = redact_near_labels(read[0])
    return None if redacted == read[0] else _encoded(redacted, read[1], data[:3])


def _encoded(text: str, codec: str, start: bytes) -> bytes:
    """A redacted file's text in the charset it was read in, its byte order mark kept
    (``start``: the file's first bytes), or in UTF-8 with that mark when the charset
    cannot hold the text (ASCII, the marker's Russian): a reader then knows it."""
    if codec == "utf-16":
        order = "utf-16-be" if start.startswith(codecs.BOM_UTF16_BE) else "utf-16-le"
        return start[:2] + text.encode(order)
    try:
        data = text.encode(codec)
    except (UnicodeError, LookupError):
        return codecs.BOM_UTF8 + text.encode("utf-8")
    return codecs.BOM_UTF8 + data if start.startswith(codecs.BOM_UTF8) else data


def _rewrite_spool(app: App, key: str, raw: bytes, text: str | None, now: datetime) -> None:
    """Rewrite a spool copy: its subject redacted, and its body replaced by the
    redacted `text` when that is given (redact_spool_copy)."""
    new = redact_head(raw) or raw
    if text is not None:
        new = redact_spool_copy(new, text, now)
    if new != raw:
        app.spool.rewrite(key, new)


def redact_ticket(app: App, ticket: Ticket, messages: list[MessageRecord], now: datetime) -> int:
    """Remove access data from a ticket's customer messages and their spool copies
    (the ticket as the job loaded it, under the store's lock)."""
    tid = ticket["tid"]
    subject, total = redact_subject(ticket.get("subject") or "")
    if total:  # (the summary in open/ or the archive week follows on save)
        ticket = {**ticket, "subject": subject}
    for m in messages:
        subject_count = redact_record_subject(m)
        total += subject_count
        if m["direction"] == "out":  # notices that quoted it, and their mails; a
            total += redact_outgoing(app, m) + _redact_quote(app, m, now)  # staff answer
            continue
        if m["kind"] == "staff":
            total += _redact_quote(app, m, now)
            continue
        text, count = redact_credentials(m.get("text") or "")
        key = m.get("spool_key")
        raw = _spool_copy(app, key)
        about = f"{m.get('message_id') or '-'} [TID#{tid}]"
        hidden = not count and raw is not None and hidden_credentials(app, raw, about)
        files = redact_kept_files(app, m, about)
        if not count and not subject_count and not hidden and not files:
            continue
        total += count + hidden + files
        if count:
            m["text"] = text
        m["redacted_at"] = now.isoformat()
        if key and raw is not None:
            _rewrite_spool(app, key, raw, text if count or hidden else None, now)
    sent = dict(ticket.get("sent") or {}, redacted=now.isoformat())
    app.store.save({**ticket, "sent": sent}, messages)
    log.info("[TID#%s] redacted %d access data value(s)", tid, total)
    return total
