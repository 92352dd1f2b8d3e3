"""`maild forget` and another's mail that only has the person in Cc: Petr's mail is
Petr's. Its spool copy is kept, without the address, and `forget` says so instead
of counting it among the copies it deleted. End to end through the `maild` CLI."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from tests.helpers import AUTHSERV, Desk, dead_port, dkim_pass, make_mail

GONE = "ivan@shop.ru"
PLACEHOLDER = "forgotten@invalid"
PETR_TEXT = "Заказ 55 завис. Коллега в копии, пишите и ему."


def _copies(desk: Desk) -> dict[str, bytes]:
    """Each spool copy on disk by its Message-ID."""
    out = {}
    for path in (desk.root / "data" / "spool" / "cur").iterdir():
        data = path.read_bytes()
        out[str(email.message_from_bytes(data)["Message-ID"])] = data
    return out


def _shown(raw: bytes) -> str:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    headers = "\n".join(f"{k}: {v}" for k, v in msg.items())
    return headers + "\n" + msg.get_body(("plain",)).get_content()


def test_forget_keeps_anothers_mail_that_had_them_in_cc(tmp_path: Path) -> None:
    """`forget` reported Petr's kept, scrubbed copy as a spool copy it erased."""
    desk = Desk(tmp_path, dead_port(), support={"authserv_id": AUTHSERV})
    petr = make_mail(
        sender="Петр <petr@shop.ru>",
        subject="Заказ завис",
        body=PETR_TEXT,
        msgid="<p1@shop.ru>",
        headers={"Cc": f"Иван <{GONE}>", **dkim_pass("petr@shop.ru")},  # Ivan joins
    )
    tid = desk.ingest_tid(petr)
    before = desk.ticket(tid)
    assert GONE in before["participants"]

    r = desk.run("forget", GONE)
    assert r.code == 0, r.err
    assert f"{GONE}: 1 ticket(s); erased 0 spool cop(ies)" in r.out
    assert "scrubbed the address from 1 kept spool cop(ies) of others' mail" in r.out
    again = desk.run("forget", GONE, "--json").json()  # nothing left: nothing counted
    assert again["spool_copies_removed"] == again["spool_copies_scrubbed"] == 0

    copy = _copies(desk)["<p1@shop.ru>"]  # still there
    assert GONE not in copy.lower().decode() and GONE not in _shown(copy).lower()
    # the name beside the address goes with it (test_forget_names.py)
    erased = f'"[удалено по запросу]" <{PLACEHOLDER}>'
    assert _shown(copy) == _shown(petr).replace(f"Иван <{GONE}>", erased)
    after = desk.ticket(tid)
    assert after["requester"] == "petr@shop.ru" and after["subject"] == "Заказ завис"
    [first] = [m for m in after["messages"] if m["direction"] == "in"]
    assert first["text"].strip() == PETR_TEXT
    assert PLACEHOLDER in after["participants"] and GONE not in after["participants"]


def test_forget_json_tells_deleted_from_scrubbed_copies(tmp_path: Path) -> None:
    desk = Desk(tmp_path, dead_port())
    desk.ingest_tid(make_mail(sender=f"Иван <{GONE}>", subject="Мой вопрос"))
    desk.ingest_tid(make_mail(sender="petr@shop.ru", headers={"Cc": GONE}, msgid="<p2@shop.ru>"))
    dry = desk.run("forget", GONE, "--dry-run", "--json").json()
    assert (dry["spool_copies_removed"], dry["spool_copies_scrubbed"]) == (1, 1)
    r = desk.run("forget", GONE, "--json").json()
    assert (r["spool_copies_removed"], r["spool_copies_scrubbed"]) == (1, 1)
    assert list(_copies(desk)) == ["<p2@shop.ru>"]


IVAN_TEXT = "Мой личный номер паспорта 4510 123456"


def test_the_staff_notice_of_their_message_in_anothers_ticket_is_erased(tmp_path: Path) -> None:
    """Ivan (in Cc) writes into Petr's ticket; once he is erased, his message in the
    ticket is, and so is the staff notice that quoted it, as the notices of a ticket
    he opened are. Petr's own mail and its notice stay."""
    desk = Desk(tmp_path, dead_port())
    petr = make_mail(sender="Петр <petr@shop.ru>", body=PETR_TEXT, headers={"Cc": f"Иван <{GONE}>"})
    tid = desk.ingest_tid(petr)
    ivan = make_mail(sender=f"Иван <{GONE}>", subject=f"Re: Заказ [TID#{tid}]", body=IVAN_TEXT)
    assert desk.ingest(ivan).code == 0
    outbox = desk.root / "data" / "outbox"

    def holding(text: str) -> list[Path]:
        return [p for p in outbox.rglob("*.mail") if text.encode() in p.read_bytes()]

    assert holding(IVAN_TEXT) and holding(PETR_TEXT)  # the notices quote them
    r = desk.run("forget", GONE)
    assert r.code == 0, r.err
    assert not any(IVAN_TEXT in m.get("text", "") for m in desk.ticket(tid)["messages"])
    assert holding(IVAN_TEXT) == []
    assert holding(PETR_TEXT)  # Petr's notices still quote Petr
    listed = desk.run("outbox", "list", "--sent", "--json")
    assert listed.code == 0 and GONE not in listed.out


REUSED = "<1@localhost.localdomain>"  # a mailer that writes one Message-ID on every mail
IVAN_PHONE = "Мой телефон +7 999 123-45-67, звоните."


def _olga(desk: Desk) -> str:
    olga = make_mail(sender="Ольга <olga@shop-b.ru>", body="Не могу войти.", msgid=REUSED)
    return desk.ingest_tid(olga)


def _ivan_into(desk: Desk, tid: str) -> None:
    ivan = make_mail(
        sender=f"Иван <{GONE}>", subject=f"Re: Заказ [TID#{tid}]", body=IVAN_PHONE, msgid=REUSED
    )
    assert desk.ingest(ivan).code == 0


def _petr(desk: Desk) -> str:
    return desk.ingest_tid(
        make_mail(sender="Петр <petr@shop.ru>", body=PETR_TEXT, headers={"Cc": GONE})
    )


def test_forget_leaves_the_notice_of_anothers_mail_under_the_same_message_id(tmp_path):
    """Ivan writes into Petr's ticket, then Olga's own mail carries the same
    Message-ID (filed under an id of its own): erasing Ivan leaves Olga's notice."""
    desk = Desk(tmp_path, dead_port())
    _ivan_into(desk, _petr(desk))
    olga = _olga(desk)
    before = [m.get("text") for m in desk.ticket(olga)["messages"]]
    assert desk.run("forget", GONE).code == 0
    assert [m.get("text") for m in desk.ticket(olga)["messages"]] == before
    sent = desk.run("outbox", "list", "--sent", "--json").json()
    assert not any(m.get("erased") for m in sent if m["tid"] == olga)


def test_forget_erases_the_notice_of_their_mail_filed_under_its_own_id(tmp_path):
    """Olga's mail carries the Message-ID first; Ivan's, filed under an id of its
    own, is quoted by its notice under the id it carried: that notice goes too."""
    desk = Desk(tmp_path, dead_port())
    _olga(desk)
    petr = _petr(desk)
    _ivan_into(desk, petr)
    outbox = desk.root / "data" / "outbox"
    assert any(IVAN_PHONE.encode() in p.read_bytes() for p in outbox.rglob("*.mail"))
    assert desk.run("forget", GONE).code == 0
    assert not any(IVAN_PHONE.encode() in p.read_bytes() for p in outbox.rglob("*.mail"))
    assert not any(IVAN_PHONE in (m.get("text") or "") for m in desk.ticket(petr)["messages"])


def test_forget_leaves_maild_mail_to_them_and_others_in_anothers_ticket(tmp_path):
    """The closing of Petr's ticket went to Petr and to Ivan in Cc: erasing Ivan
    erases his copy, not the ticket's record of the mail Petr got. (Petr's mail is
    proven, so Ivan joins and the answer goes to both: unproven, Ivan was never sent
    it, and the test held whether mail to both was erased or not.)"""
    from maild.app import App
    from maild.config import load
    from tests.helpers import staff_to

    desk = Desk(tmp_path, dead_port(), support={"authserv_id": AUTHSERV})
    tid = desk.ingest_tid(
        make_mail(
            sender="Петр <petr@shop.ru>",
            body=PETR_TEXT,
            headers={"Cc": GONE, **dkim_pass("petr@shop.ru")},
        )
    )
    staff = make_mail(
        sender="anna@example.com", to=staff_to(tid), subject=f"[TID#{tid}]", body="Готово.\n#close"
    )
    assert desk.ingest(staff).code == 0
    _ticket, records = App(load(desk.config)).store.load(tid)
    [answer] = [m for m in records if m["kind"] == "staff"]
    assert set(answer.get("copies") or {}) == {GONE, "petr@shop.ru"}  # to both
    before = [(m["kind"], m.get("text")) for m in desk.ticket(tid)["messages"]]
    dry = desk.run("forget", GONE, "--dry-run", "--json")
    done = desk.run("forget", GONE, "--json")
    assert done.code == 0, done.err
    # the dry run tells what the run does (it looks at the records as they are, the
    # answer still naming Ivan's copy): no message erased in either
    assert [t["messages_erased"] for t in dry.json()["tickets"]] == [0]
    assert {**dry.json(), "dry_run": False} == done.json()
    after = [(m["kind"], m.get("text")) for m in desk.ticket(tid)["messages"]]
    # Ivan wrote nothing here, and all the mail went to both: only his address goes
    assert after == [(k, t and t.replace(GONE, PLACEHOLDER)) for k, t in before]
    assert "Готово." in after[-1][1]
    # his own copy of each mail, sent to him alone, is erased, not only scrubbed
    sent = desk.run("outbox", "list", "--sent", "--json").json()
    assert [m for m in sent if m.get("erased")]
    assert all(m.get("erased") for m in sent if m["to"] == [PLACEHOLDER])
