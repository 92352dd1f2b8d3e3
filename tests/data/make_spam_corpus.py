"""Build the corpus of hostile mail (issue 19): spam by every verdict header the MTA
writes, forged staff and phishing mail, a burst from 500 forged senders, a bounce storm.

    python tests/data/make_spam_corpus.py [OUTDIR]      # default: tests/data/spam/

One .eml per single case and `expected.json` naming, for each, the verdict maild must
reach ("quarantine" with the reason's start, or "desk"). The burst and the bounce
storm are mbox files (`burst.mbox`, `bounces.mbox`: "From " lines between
messages). "{TID}" in a file stands for the ticket a test opens first (forged
staff replies need one). Deterministic: a fixed seed, fixed dates and Message-IDs.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "spam"
SUPPORT = "support@example.com"
US = "mx.example.com"  # the authserv-id the tests configure
DATE = "Wed, 25 Nov 2026 10:15:00 +0300"
BURST = 500
BOUNCES = 40


def mail(sender: str, subject: str, body: str, msgid: str, headers: list[tuple[str, str]]) -> str:
    lines = [*(f"{k}: {v}" for k, v in headers)]
    lines += [
        f"From: {sender}",
        f"To: {SUPPORT}",
        f"Subject: {subject}",
        f"Date: {DATE}",
        f"Message-ID: {msgid}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    return "\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n") + "\r\n"


PHISH = "Ваш аккаунт заблокирован. Подтвердите пароль: http://login-verify.example/secure\n"

# name -> (sender, subject, headers, expected verdict, reason start or None)
CASES: dict[str, tuple[str, str, list[tuple[str, str]], str, str | None]] = {
    "spamassassin_flag": (
        "winner@lottery.example",
        "Вы выиграли 1 000 000",
        [("X-Spam-Flag", "YES"), ("X-Spam-Score", "12.3")],
        "quarantine",
        "spam: X-Spam-Flag",
    ),
    "spamassassin_status": (
        "offer@cheap-meds.example",
        "Скидки 90%",
        [("X-Spam-Status", "Yes, score=9.1 required=5.0 tests=BAYES_99,URIBL_BLACK")],
        "quarantine",
        "spam: X-Spam-Status",
    ),
    "rspamd_x_spam": (
        "promo@bulk.example",
        "Promo",
        [("X-Spam", "Yes")],
        "quarantine",
        "spam: X-Spam",
    ),
    "rspamd_reject": (
        "a@spam1.example",
        "Invoice",
        [("X-Rspamd-Action", "reject")],
        "quarantine",
        "spam: X-Rspamd-Action",
    ),
    "rspamd_add_header": (
        "b@spam2.example",
        "Invoice",
        [("X-Rspamd-Action", "add header")],
        "quarantine",
        "spam: X-Rspamd-Action",
    ),
    "rspamd_rewrite_subject": (
        "c@spam3.example",
        "*** SPAM *** Invoice",
        [("X-Rspamd-Action", "rewrite subject")],
        "quarantine",
        "spam: X-Rspamd-Action",
    ),
    "dmarc_fail_ours": (
        "security@bank.example",
        "Срочно: подтвердите данные",
        [("Authentication-Results", f"{US}; dmarc=fail (p=reject) header.from=bank.example")],
        "quarantine",
        "spam: dmarc=fail",
    ),
    # a forged dmarc=fail under ours does not count: only the first header of ours does
    "dmarc_fail_forged_below": (
        "ivan@shop-example.ru",
        "Вопрос по заказу",
        [
            ("Authentication-Results", f"{US}; dmarc=pass header.from=shop-example.ru"),
            ("Authentication-Results", f"{US}; dmarc=fail header.from=shop-example.ru"),
        ],
        "desk",
        None,
    ),
    "spam_status_no": (
        "olga@client.example",
        "Не проходит оплата",
        [("X-Spam-Status", "No, score=0.1 required=5.0"), ("X-Spam-Flag", "NO")],
        "desk",
        None,
    ),
    # unflagged phishing with our own address forged in From: a ticket for staff,
    # and nothing sent to "support@" (it would loop) or anyone else
    "phishing_forged_support_from": (
        f"Служба поддержки <{SUPPORT}>",
        "Обновите пароль",
        [],
        "desk",
        None,
    ),
    "rspamd_no_action": (
        "petr@client2.example",
        "Доставка",
        [("X-Rspamd-Action", "no action")],
        "desk",
        None,
    ),
}


def build(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    expected = {}
    for n, (name, (sender, subject, headers, verdict, reason)) in enumerate(CASES.items()):
        msgid = f"<spam-{n:02d}@corpus.example>"
        human = verdict == "desk" and "phishing" not in name
        body = "Здравствуйте! Помогите, пожалуйста.\n" if human else PHISH
        (out / f"{name}.eml").write_bytes(mail(sender, subject, body, msgid, headers).encode())
        expected[name] = {
            "sender": sender.rpartition("<")[2].rstrip(">"),
            "message_id": msgid,
            "verdict": verdict,
            "reason": reason,
            "answered": human,  # a confirmation goes to the sender
        }
    # forged staff reply: From a staff address, to the plain support address, with
    # an Authentication-Results of our server's id that the sender wrote himself
    forged = mail(
        "Анна <anna@example.com>",
        "Re: Новое обращение [TID#{TID}]",
        "#critical\n#level vip\nЗдравствуйте! Для продолжения войдите: http://login-verify.example/\n",
        "<forged-staff@corpus.example>",
        [("Authentication-Results", "mx.example.com; dkim=pass header.d=example.com")],
    )
    (out / "forged_staff_reply.eml").write_bytes(forged.encode())
    # the requester's address forged in From, mallory in Cc: asks to join the ticket
    hijack = mail(
        "Иван Петров <ivan@shop-example.ru>",
        "Re: Не работает оформление заказа [TID#{TID}]",
        "Добавьте, пожалуйста, моего коллегу.\n",
        "<hijack@corpus.example>",
        [("Cc", "mallory@evil.example")],
    )
    (out / "forged_cc_followup.eml").write_bytes(hijack.encode())
    rnd = random.Random(19)
    with open(out / "burst.mbox", "wb") as f:
        for i in range(BURST):
            sender = f"{rnd.randrange(16**8):08x}@{rnd.choice(['gmail', 'mail', 'yandex'])}.example"
            raw = mail(
                sender,
                f"Cheap offer {i}",
                PHISH,
                f"<burst-{i:03d}@corpus.example>",
                [("X-Spam-Flag", "YES")],
            )
            f.write(f"From {sender} {DATE}\r\n".encode() + raw.encode() + b"\r\n")
    with open(out / "bounces.mbox", "wb") as f:
        for i in range(BOUNCES):
            f.write(f"From MAILER-DAEMON {DATE}\r\n".encode() + bounce(i).encode() + b"\r\n")
    (out / "expected.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


def bounce(i: int) -> str:
    """A bounce of mail someone else sent with our address as sender (backscatter)."""
    boundary = f"bounce-{i:03d}"
    return "\r\n".join(
        [
            "Return-Path: <>",
            f"From: MAILER-DAEMON@mx{i}.victim.example",
            f"To: {SUPPORT}",
            "Subject: Undelivered Mail Returned to Sender",
            f"Date: {DATE}",
            f"Message-ID: <bounce-{i:03d}@mx{i}.victim.example>",
            "Auto-Submitted: auto-replied",
            "MIME-Version: 1.0",
            f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
            "",
            f"--{boundary}",
            "Content-Type: text/plain; charset=us-ascii",
            "",
            "Your message could not be delivered: user unknown.",
            f"--{boundary}",
            "Content-Type: message/delivery-status",
            "",
            f"Reporting-MTA: dns; mx{i}.victim.example",
            "",
            f"Final-Recipient: rfc822; user{i}@victim.example",
            "Action: failed",
            "Status: 5.1.1",
            f"--{boundary}",
            "Content-Type: text/rfc822-headers",
            "",
            f"From: {SUPPORT}",
            f"To: user{i}@victim.example",
            "Subject: Buy now",
            f"Message-ID: <not-ours-{i:03d}@botnet.example>",
            f"--{boundary}--",
            "",
        ]
    )


def read_mbox(path: Path) -> list[bytes]:
    """The messages of one of our mbox files (each starts with a "From " line)."""
    chunks = (b"\r\n" + path.read_bytes()).split(b"\r\nFrom ")[1:]
    return [chunk.split(b"\r\n", 1)[1] for chunk in chunks]


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT)
