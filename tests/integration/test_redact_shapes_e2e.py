"""Credential redaction after closing, end to end, for access data in the shapes
programs write it (a config file, an HTTP header, RDP, VPN, a remote-desktop tool's
ID and password) and for a password only the HTML alternative of a mail holds: none
of it stays in any file of the storage once the keeping period is over."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime
from email.message import EmailMessage

from tests.helpers import make_mail, staff_to, stored_text

SHAPES = (
    "Здравствуйте! Сайт не открывается, вот доступы:\n"
    "RDP: 203.0.113.5 administrator RdpPass77\n"
    "VPN: vpn.shop.ru ivan Vpn12345\n"
    "DB_PASSWORD=DbPass124\n"
    "define('DB_PASSWORD', 'WpSecret9');\n"
    '$DBPassword = "BxPass55";\n'
    "'password' => 'SettingsPw3',\n"
    "ключ API: sk_live_51HabcXyz\n"
    "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.JwtSig42\n"
    "TeamViewer ID 123 456 789 пароль tv8Qz4\n"
    "Пароль не приходит, сбросьте пароль, пожалуйста.\n"
)
SECRETS = (
    "RdpPass77", "Vpn12345", "DbPass124", "WpSecret9", "BxPass55", "SettingsPw3",
    "sk_live_51HabcXyz", "JwtSig42", "123 456 789", "tv8Qz4",
)  # fmt: skip


def close_and_redact(desk, sink, tid: str, waiting: int) -> None:
    desk.flush()
    sink.wait_for(waiting)
    reply = make_mail(
        sender="Анна <anna@example.com>", to=staff_to(tid),
        subject=f"Re: Новое обращение [TID#{tid}]", body="#close\nГотово.\n",
    )  # fmt: skip
    desk.ingest(reply)
    closed_at = datetime.fromisoformat(desk.ticket(tid)["closed_at"])
    later = datetime.fromtimestamp(closed_at.timestamp() + 2 * 86400 + 60, closed_at.tzinfo)
    r = desk.run("jobs", "run", "--now", later.isoformat(), "--json")
    assert r.json()["redacted"] == 1


def test_config_header_and_remote_desktop_shapes_leave_the_storage(desk, sink):
    tid = desk.ingest_tid(make_mail(subject="Сайт лежит", body=SHAPES))
    assert all(s in stored_text(desk.root) for s in SECRETS)
    close_and_redact(desk, sink, tid, 3)

    stored = stored_text(desk.root)
    for secret in SECRETS:
        assert secret not in stored, secret
    text = desk.ticket(tid)["messages"][0]["text"]
    assert "Пароль не приходит, сбросьте пароль, пожалуйста." in text  # prose stays
    assert "define('DB_PASSWORD', '[данные доступа удалены]');" in text


def test_a_password_only_the_html_alternative_holds_leaves_the_spool(desk, sink):
    """The ticket's text is the plain part; the spool copy keeps both parts, and its
    HTML held the password the plain part did not."""
    m = EmailMessage()
    m["From"] = "Иван Петров <ivan@shop-example.ru>"
    m["To"] = "support@example.com"
    m["Subject"] = "Админка"
    m["Message-ID"] = "<html-only@client.example>"
    m.set_content("Здравствуйте! Не открывается админка.\n")
    m.add_alternative(
        "<p>Здравствуйте! Не открывается админка.</p><p>Пароль: HtmlOnly77</p>", subtype="html"
    )
    tid = desk.ingest_tid(m.as_bytes(policy=email.policy.SMTP))
    assert "HtmlOnly77" in stored_text(desk.root)
    close_and_redact(desk, sink, tid, 3)
    assert "HtmlOnly77" not in stored_text(desk.root)
