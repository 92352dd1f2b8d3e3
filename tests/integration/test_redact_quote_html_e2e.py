"""Credential redaction after closing of a staff answer's spool copy, end to end: its
HTML alternative quotes the customer's password, its plain part does not."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from tests.helpers import make_mail, staff_to, stored_text
from tests.integration.test_redact_shapes_e2e import close_and_redact


def test_a_password_only_a_staff_answers_html_quotes_leaves_its_spool_copy(desk, sink):
    tid = desk.ingest_tid(make_mail(subject="Админка", body="Не открывается админка.\n"))
    m = EmailMessage()
    m["From"] = "Анна <anna@example.com>"
    m["To"] = staff_to(tid)
    m["Subject"] = f"Re: Новое обращение [TID#{tid}]"
    m["Message-ID"] = "<html-quote@example.com>"
    m.set_content("Посмотрю сегодня.\n")
    m.add_alternative(
        "<p>Посмотрю сегодня.</p><blockquote><p>Пароль: HtmlQuote88</p></blockquote>",
        subtype="html",
    )
    desk.ingest(m.as_bytes(policy=email.policy.SMTP))
    assert "HtmlQuote88" in stored_text(desk.root)
    close_and_redact(desk, sink, tid, 4)
    assert "HtmlQuote88" not in stored_text(desk.root)
