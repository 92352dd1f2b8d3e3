"""Build round1-store.tar.gz: a store made by the first round of maild (commit
c4669b95fae62f00104fd12f5cdbc333f34dc9c2), as an admin's /var/lib/maild looked
before the upgrade. Run it with that round's code, not today's:

    git archive c4669b95fae62f00104fd12f5cdbc333f34dc9c2 | tar -x -C /tmp/round1
    cd /tmp/round1 && PYTHONPATH=/tmp/round1 python \\
        /path/to/maild/tests/data/upgrade/make_round1_store.py /path/to/round1-store.tar.gz

(it imports round 1's `maild` and `tests.helpers`). tests/integration/test_upgrade.py
drives today's CLI on a copy of what it writes; the TIDs are random, so the test
finds its tickets by requester, and round1.json beside the archive names them.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import tarfile
import tempfile
import zlib
from datetime import datetime, timedelta
from pathlib import Path

import maild
from maild.adapters.spool import Spool
from tests.helpers import Desk, Sink, free_port, make_mail

# the tests' key (tests/helpers.REPLY_SECRET), kept where round 1 keeps a key it made
REPLY_SECRET = b"test-reply-secret"
STAFF = "Анна <anna@example.com>"


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def build(root: Path) -> dict[str, str]:
    sink = Sink().start()
    desk = Desk(root, sink.port)
    desk.sections["support"].pop("reply_secret", None)  # round 1: the key is in the store
    desk.write_config()
    data = root / "data"
    data.mkdir()
    (data / "reply_secret").write_bytes(REPLY_SECRET)
    (data / "reply_secret").chmod(0o600)

    def run(*args: str, raw: bytes | None = None) -> str:
        r = desk.run(*args, input=raw)
        assert r.code in (0, 75), (args, r.err)
        return r.out

    def notice(tid: str) -> object:
        return next(
            m for m in sink.received if "anna@example.com" in m.rcpt_tos and tid in m.subject
        )

    def staff(tid: str, command: str, msgid: str) -> None:
        n = notice(tid)
        body = f"{command}\nЗдравствуйте! Ответ по обращению.\n"
        headers = {"In-Reply-To": str(n.msg["Message-ID"])}
        to = str(n.msg["Reply-To"])
        subject = f"Re: {n.subject}"
        run(
            "ingest",
            "-",
            raw=make_mail(
                sender=STAFF, to=to, subject=subject, body=body, msgid=msgid, headers=headers
            ),
        )

    run("license", "add", "--key", "LIC-1", "--level", "vip", "--email", "ivan@shop-example.ru")
    run("group", "add", "--name", "Рога", "--level", "standard", "--domain", "roga.example")
    tids = {}
    tids["ivan"] = desk.ingest_tid(
        make_mail(msgid="<a1@client.example>", attachments=[("screen.png", "image/png", png())])
    )
    tids["olga"] = desk.ingest_tid(
        make_mail(
            sender="Ольга <olga@roga.example>",
            subject="Сайт не открывается",
            body="Добрый день! Сайт не открывается с утра.",
            charset="windows-1251",
            msgid="<b1@client.example>",
        )
    )
    tids["petr"] = desk.ingest_tid(
        make_mail(
            sender="Пётр <petr@mail.example>",
            subject="Вопрос по лицензии",
            body="Подскажите, как продлить лицензию?",
            charset="koi8-r",
            msgid="<c1@client.example>",
        )
    )
    tids["maria"] = desk.ingest_tid(
        make_mail(
            sender="Мария <maria@mail.example>",
            subject="Ошибка в отчёте",
            body="В отчёте за месяц неверные суммы.",
            msgid="<d1@client.example>",
        )
    )
    tids["alex"] = desk.ingest_tid(
        make_mail(
            sender="Алексей <alex@mail.example>",
            subject="Нужна выгрузка",
            body="Пришлите, пожалуйста, выгрузку заказов.",
            msgid="<g1@client.example>",
        )
    )
    run("outbox", "flush")
    sink.wait_for(10, 3)
    a = tids["ivan"]
    run(
        "ingest",
        "-",
        raw=make_mail(
            subject=f"Re: [TID#{a}] Не работает оформление заказа",
            body="Забыл добавить: ошибка только в Firefox.",
            msgid="<a2@client.example>",
        ),
    )
    staff(tids["olga"], "#close", "<s-b@example.com>")
    staff(tids["petr"], "#level consulting", "<s-c@example.com>")
    staff(tids["maria"], "#close", "<s-d@example.com>")
    staff(tids["alex"], "#wait", "<s-g@example.com>")
    run("outbox", "flush")
    sink.wait_for(len(sink.received) + 8, 3)
    resolved = [m for m in sink.received if "olga@roga.example" in m.rcpt_tos][-1]
    run(
        "ingest",
        "-",
        raw=make_mail(
            sender="Ольга <olga@roga.example>",
            to=str(resolved.msg["Reply-To"]),
            subject=f"Re: {resolved.subject}",
            body="5",
            charset="windows-1251",
            msgid="<b2@client.example>",
            headers={"In-Reply-To": str(resolved.msg["Message-ID"])},
        ),
    )
    # round 1's scheduled work: the staff reminder and the head's escalation about
    # ivan's ticket, the reminder to alex after 3 business days of #wait
    due = datetime.fromisoformat(json.loads(run("ticket", "show", a, "--json"))["reaction_due"])
    for when in (due - timedelta(minutes=20), due + timedelta(minutes=10), due + timedelta(days=7)):
        run("jobs", "run", "--now", when.isoformat())
    run("outbox", "flush")
    # the relay goes down: sergey's new ticket and petr's follow-up stay queued
    desk.sections["outbound"]["port"] = free_port()
    desk.write_config()
    tids["sergey"] = desk.ingest_tid(
        make_mail(
            sender="Сергей <sergey@mail.example>",
            subject="Не приходят письма",
            body="Уведомления с сайта не приходят.",
            msgid="<e1@client.example>",
        )
    )
    run(
        "ingest",
        "-",
        raw=make_mail(
            sender="Пётр <petr@mail.example>",
            subject=f"Re: [TID#{tids['petr']}] Вопрос по лицензии",
            body="Спасибо, а где взять ключ?",
            charset="koi8-r",
            msgid="<c2@client.example>",
        ),
    )
    run("outbox", "flush")
    # mail the MTA handed over that round 1 never processed (maild serve stopped)
    spool = Spool(data / "spool")
    spool.add(
        make_mail(
            sender="Нина <nina@mail.example>",
            subject="Не могу войти в личный кабинет",
            body="Пароль не подходит.",
            charset="windows-1251",
            msgid="<f1@client.example>",
        )
    )
    spool.add(
        make_mail(
            subject=f"Re: [TID#{a}] Не работает оформление заказа",
            body="Ошибка ушла после очистки кэша.",
            msgid="<a3@client.example>",
        )
    )
    sink.stop()
    return tids


def main() -> None:
    assert not (Path(maild.__file__).parent / "web").exists(), "run it with round 1's code"
    out = Path(sys.argv[1]).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        tids = build(Path(tmp))
        (out.parent / "round1.json").write_text(json.dumps(tids, indent=1) + "\n")
        with tarfile.open(out, "w:gz") as tar:
            tar.add(Path(tmp) / "data", arcname="data", filter=_no_lock_owner)
    print(out, os.path.getsize(out), "bytes", tids)


def _no_lock_owner(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


if __name__ == "__main__":
    main()
