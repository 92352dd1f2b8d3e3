"""A relay that refuses some of a ticket's customers and takes the others: every mail
goes one copy per recipient, so each recipient gets it exactly once across retries,
whatever the relay answers for the others; the same for a non-ASCII address through
a relay without SMTPUTF8, and for alerts to the head and staff."""

from __future__ import annotations

import email
import threading
from email.policy import default

import pytest
from aiosmtpd.controller import Controller

from maild.app import App
from maild.config import load
from maild.faults import alert
from tests.helpers import AUTHSERV, Desk, free_port, make_mail, staff_to

IVAN, OLGA, PETR = "ivan@shop-example.ru", "olga@shop-example.ru", "petr@other.example"


class Picky:
    """A relay: RCPT answers from `answers` (address -> codes, one per attempt,
    the last repeated; 250 for anyone else); counts what each recipient received."""

    def __init__(self, answers: dict[str, list[int]]) -> None:
        self.answers = {a: list(codes) for a, codes in answers.items()}
        self.got: dict[str, list[str]] = {}  # recipient -> subjects received
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, options):
        codes = self.answers.get(address, [250])
        code = codes.pop(0) if len(codes) > 1 else codes[0]
        if code >= 500:
            return f"{code} 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if code >= 400:
            return f"{code} 4.2.2 <{address}>: Mailbox full, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        subject = str(email.message_from_bytes(envelope.content, policy=default)["Subject"])
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.got.setdefault(rcpt, []).append(subject)
        return "250 OK"

    def received(self, address: str, word: str = "Re:") -> int:
        with self.lock:
            return sum(word in s for s in self.got.get(address, []))


@pytest.fixture
def picky():
    started: list[Controller] = []

    def start(answers: dict[str, list[int]], **kwargs) -> tuple[Picky, int]:
        handler = Picky(answers)
        ctl = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
        ctl.start()
        started.append(ctl)
        return handler, ctl.port

    yield start
    for ctl in started:
        ctl.stop()


EAI = "иван@client.example"


def _reply_to_three(desk: Desk) -> str:
    """A ticket of Ivan's with Olga and Petr added by staff, and anna's answer to
    all three. Returns the TID."""
    tid = desk.ingest_tid(make_mail())
    assert desk.flush().code == 0
    body = f"#cc {OLGA}\n#cc {PETR}\nДобрый день! Проверьте, пожалуйста, настройки."
    desk.ingest(
        make_mail(
            sender="anna@example.com", to=staff_to(tid), subject=f"Re: [TID#{tid}]", body=body
        )
    )
    return tid


def _staff_answers(desk: Desk, *flags: str) -> list[dict]:
    mails = desk.run("outbox", "list", *flags, "--json").json()
    return [m for m in mails if m["kind"] == "staff"]


def test_each_recipient_gets_the_answer_once_whatever_the_relay_says_of_others(tmp_path, picky):
    relay, port = picky({OLGA: [450, 450, 250], PETR: [550]})
    desk = Desk(tmp_path, port)
    _reply_to_three(desk)
    assert sorted(m["to"][0] for m in _staff_answers(desk)) == sorted([IVAN, OLGA, PETR])
    assert all(len(m["to"]) == 1 for m in _staff_answers(desk))
    for _ in range(3):
        desk.flush()
    assert [relay.received(a) for a in (IVAN, OLGA, PETR)] == [1, 1, 0]
    assert _staff_answers(desk) == []  # Petr's copy: refused for good, tried once
    done = _staff_answers(desk, "--sent")
    assert sorted(m["to"][0] for m in done if not m.get("refused")) == [IVAN, OLGA]
    [refused] = [m for m in done if m.get("refused")]
    assert refused["to"] == [PETR] and "550 5.1.1" in refused["refused"]


def test_a_non_ascii_customer_waits_alone_when_the_relay_cannot_take_them(tmp_path, picky):
    relay, port = picky({}, enable_SMTPUTF8=False)
    desk = Desk(tmp_path, port, support={"authserv_id": AUTHSERV})
    cc = (
        f"Authentication-Results: {AUTHSERV}; dkim=pass header.d=shop-example.ru\r\n"
        f"From: Ivan <{IVAN}>\r\nTo: support@example.com\r\nCc: Иван <{EAI}>\r\n"
        "Subject: Вопрос\r\nMessage-ID: <mixed@shop-example.ru>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
        "\r\nЗдравствуйте!\r\n"
    ).encode()
    tid = desk.ingest_tid(cc)
    # the Cc of the first mail, which DKIM proves, made them a participant (a #cc of
    # them: an error)
    body = "Добрый день! Проверьте, пожалуйста, настройки."
    desk.ingest(
        make_mail(
            sender="anna@example.com", to=staff_to(tid), subject=f"Re: [TID#{tid}]", body=body
        )
    )
    desk.flush()
    assert relay.received(IVAN) == 1 and relay.received(EAI) == 0
    [waiting] = _staff_answers(desk)
    assert waiting["to"] == [EAI] and "553 5.6.7" in waiting["last_error"]
    able, port2 = picky({})  # a relay that offers SMTPUTF8
    desk.sections["outbound"]["port"] = port2
    desk.write_config()
    assert desk.flush().code == 0
    assert able.received(EAI) == 1 and able.received(IVAN) == 0


def test_an_alert_to_head_and_staff_reaches_those_the_relay_takes(tmp_path, picky):
    relay, port = picky({"boris@example.com": [550]})
    desk = Desk(tmp_path, port)
    app = App(load(desk.config))
    assert alert(
        app,
        "test-fault",
        "fault_alert.txt",
        {"error": "диск заполнен", "path": "/srv", "since": "-", "storage": "/srv"},
    )
    desk.flush()
    subjects = {a: relay.got.get(a, []) for a in ("head@example.com", "anna@example.com")}
    assert all(len(s) == 1 and "приостановлена" in s[0] for s in subjects.values()), subjects
    assert "boris@example.com" not in relay.got
    [waiting] = desk.run("outbox", "list", "--json").json()
    assert waiting["to"] == ["boris@example.com"] and "550" in waiting["last_error"]
