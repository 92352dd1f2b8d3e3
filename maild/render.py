"""Outgoing mail: a jinja2 template (Russian text) becomes an EmailMessage.

A template's first line is "Subject: ..."; the TID tag is appended to every
subject here, so no template can forget it.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

import jinja2

from maild.config import SupportConfig
from maild.domain.tid import tag

TEMPLATES = Path(__file__).resolve().parent / "templates"


class Renderer:
    def __init__(self, support: SupportConfig, templates: Path = TEMPLATES) -> None:
        self.support = support
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates)),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
            autoescape=False,
        )

    def text(self, template: str, context: dict[str, Any]) -> tuple[str, str]:
        """(subject, body) of a template."""
        ctx = {"support_name": self.support.name, "support_address": self.support.address}
        ctx.update(context)
        out = self.env.get_template(template).render(**ctx)
        first, _, body = out.partition("\n")
        if not first.startswith("Subject:"):
            raise ValueError(f"template {template} must start with a Subject: line")
        subject = " ".join(first[len("Subject:") :].split())
        return subject, _squeeze(body.lstrip("\n"))

    def message(
        self,
        *,
        subject: str,
        body: str,
        to: list[str],
        tid: str | None,
        message_id: str,
        now: datetime,
        in_reply_to: str | None = None,
        references: list[str] | None = None,
        auto: bool = True,
        reply_to: str | None = None,
    ) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = formataddr((self.support.name, self.support.address))
        msg["To"] = ", ".join(to)
        if tid and tag(tid).lower() not in subject.lower():
            subject = f"{subject} {tag(tid)}"
        msg["Subject"] = subject
        msg["Date"] = format_datetime(now)
        msg["Message-ID"] = message_id
        if in_reply_to:
            msg["In-Reply-To"] = in_reply_to
        refs = [r for r in (references or []) if r]
        if refs:
            msg["References"] = " ".join(dict.fromkeys(refs))
        if reply_to:
            msg["Reply-To"] = reply_to
        if auto:
            msg["Auto-Submitted"] = "auto-replied"
            msg["X-Auto-Response-Suppress"] = "All"
        msg["X-Loop"] = self.support.address
        if tid:
            msg["X-Maild-TID"] = tid
        msg.set_content(body, charset="utf-8")
        return msg


def _squeeze(text: str) -> str:
    """At most one blank line in a row: conditional blocks leave gaps."""
    out: list[str] = []
    for line in text.splitlines():
        if not line.strip() and out and not out[-1].strip():
            continue
        out.append(line.rstrip())
    return "\n".join(out).strip("\n") + "\n"
