"""The core pipeline end to end: real `maild` CLI, real files, real SMTP sink."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from tests.helpers import DATA, Desk, Result, dkim_pass, make_mail


@pytest.fixture
def desk(tmp_path, sink) -> Desk:
    """`maild` through its real entry point in this process: the rules, not the start-up."""
    return Desk(tmp_path, sink.port)


@pytest.fixture
def process_desk(tmp_path, sink) -> Desk:
    """`maild` as a separate process, exactly as an MTA or admin runs it: where the exit
    code, the stream a message goes to or a fresh interpreter is what the test is about."""
    d = Desk(tmp_path, sink.port)
    d.in_process = False
    return d


TICKET_KEYS = {
    "tid",
    "status",
    "level",
    "requester",
    "subject",
    "created_at",
    "reaction_due",
    "first_reaction_at",
    "messages",
}
MESSAGE_KEYS = {
    "message_id",
    "direction",
    "from",
    "kind",
    "received_at",
    "text",
    "attachments",
}


def test_sample_email_becomes_ticket_and_confirmation_reaches_customer(process_desk, sink):
    raw = (DATA / "sample_request.eml").read_bytes()
    r = process_desk.run("ingest", str(DATA / "sample_request.eml"))
    assert r.code == 0, r.err
    tid = re.search(r"\[TID#(\d{4}-\d{4})\]", r.out).group(1)

    t = process_desk.ticket(tid)
    assert set(t) >= TICKET_KEYS
    assert t["tid"] == tid
    assert t["status"] == "new"
    assert t["level"] == "free"
    assert t["requester"] == "ivan@shop-example.ru"
    assert t["subject"] == "Не работает оформление заказа"
    assert t["first_reaction_at"] is None
    created = datetime.fromisoformat(t["created_at"])
    due = datetime.fromisoformat(t["reaction_due"])
    assert created.utcoffset() is not None and due > created
    first = t["messages"][0]
    assert set(first) >= MESSAGE_KEYS
    assert first["direction"] == "in" and first["kind"] == "customer"
    assert first["from"] == "ivan@shop-example.ru"
    assert "ошибка 500" in first["text"]  # windows-1251 body decoded
    assert raw  # the spool keeps the bytes:
    spooled = list((process_desk.root / "data" / "spool" / "cur").iterdir())
    assert [p.read_bytes() for p in spooled] == [raw]

    assert process_desk.flush().code == 0
    sink.wait_for(2)
    [conf] = sink.to("ivan@shop-example.ru")
    m = conf.msg
    assert f"[TID#{tid}]" in m["Subject"]
    assert m["Auto-Submitted"] == "auto-replied"
    assert m["In-Reply-To"] == "<demo-1@shop-example.ru>"
    assert "<demo-1@shop-example.ru>" in m["References"]
    assert m["Message-ID"] and m["Date"]
    assert m.get_content_charset() == "utf-8"
    text = conf.text
    assert tid in text
    assert "Бесплатная поддержка" in text
    assert "24 рабочих часа" in text
    assert f"[TID#{tid}]" in text
    assert "не указан" in text and "лицензии" in text  # why free, politely
    local_due = due.strftime("%d.%m.%Y %H:%M")
    assert local_due in text

    [notice] = sink.to("anna@example.com")
    assert f"[TID#{tid}]" in notice.subject
    assert "ошибка 500" in notice.text and "Бесплатная поддержка" in notice.text
    assert notice.mail_from == "support@example.com"


def test_same_message_twice_is_stored_and_confirmed_once(desk, sink):
    raw = make_mail(msgid="<twice@client.example>")
    tid1 = desk.ingest_tid(raw)
    r = desk.ingest(raw)
    assert "duplicate" in r.out and tid1 in r.out
    t = desk.ticket(tid1)
    assert [m["kind"] for m in t["messages"] if m["direction"] == "in"] == ["customer"]
    assert len(desk.tickets()) == 1
    desk.flush()
    sink.wait_for(2)
    assert len(sink.to("ivan@shop-example.ru")) == 1


def test_a_rerun_after_a_crash_before_the_ticket_sends_nothing_again(desk, sink):
    """A crash in the commit after the Message-ID index and the outgoing mail were
    renamed into place, before the ticket: the message is still in the spool and is
    processed again. It gets its ticket; its mail, sent meanwhile, is not queued again."""
    raw = make_mail(msgid="<rerun@client.example>")
    tid = desk.ingest_tid(raw)
    assert desk.flush().code == 0
    before = len(sink.wait_for(3))  # the confirmation, a notice to each staff member
    data = desk.root / "data"
    [ticket_file] = (data / "tickets").glob(f"*/{tid}.json")
    ticket_file.unlink()  # the crash: this rename never happened
    r = desk.ingest(raw)
    assert tid in r.out and "duplicate" not in r.out
    assert [m["message_id"] for m in desk.ticket(tid)["messages"] if m["direction"] == "in"] == [
        "<rerun@client.example>"
    ]
    assert list((data / "outbox" / "queue").glob("*.mail")) == []
    assert desk.flush().code == 0
    assert len(sink.received) == before == 3


def test_relay_down_keeps_mail_queued_until_a_later_flush(tmp_path, sink):
    from tests.helpers import Sink, free_port

    dead_port = free_port()
    desk = Desk(tmp_path, dead_port)
    tid = desk.ingest_tid(make_mail())

    def flush() -> Result:  # as cron runs it: the exit code of its own process
        desk.in_process = False
        try:
            return desk.flush()
        finally:
            desk.in_process = True

    r = flush()
    assert r.code == 75
    queued = desk.run("outbox", "list", "--json").json()
    assert len(queued) == 3  # the confirmation, a notice to each staff member
    assert all(q["last_error"] and q["attempts"] == 1 for q in queued)
    assert all(f"[TID#{tid}]" in q["subject"] for q in queued)

    late = Sink(dead_port).start()
    try:
        assert flush().code == 0
        assert len(late.wait_for(3)) == 3
        assert desk.run("outbox", "list", "--json").json() == []
        sent = desk.run("outbox", "list", "--sent", "--json").json()
        assert sorted(q["id"] for q in sent) == sorted(q["id"] for q in queued)
        assert all(q["sent_at"] and q["attempts"] == 2 for q in sent)
        shown = desk.run("outbox", "show", sent[0]["id"])
        assert shown.code == 0 and f"[TID#{tid}]" in shown.out
        assert all(not r.raw.startswith(b"{") for r in late.received)  # not our record
        assert not shown.out.startswith("{")
    finally:
        late.stop()


def test_license_group_expiry_and_case_insensitive_addresses(desk, sink):
    assert (
        desk.run(
            "license",
            "add",
            "--key",
            "K-1",
            "--level",
            "vip",
            "--email",
            "Boss@Client.RU",
            "--name",
            "ООО Клиент",
        ).code
        == 0
    )
    assert (
        desk.run(
            "license",
            "add",
            "--key",
            "K-OLD",
            "--level",
            "operative",
            "--email",
            "old@client.ru",
            "--until",
            "2020-01-01",
        ).code
        == 0
    )
    assert (
        desk.run(
            "group",
            "add",
            "--name",
            "Партнёры",
            "--level",
            "partner",
            "--domain",
            "partner.example",
        ).code
        == 0
    )
    demo = ("license", "add", "--key", "DEMO-1", "--level", "free", "--email", "demo@client.ru")
    assert desk.run(*demo, "--name", "Демо-версия").code == 0
    lics = desk.run("license", "list", "--json").json()
    assert {lic["key"] for lic in lics} == {"K-1", "K-OLD", "DEMO-1"}

    vip = desk.ingest_tid(make_mail(sender='"Босс" <BOSS@client.ru>', subject="VIP"))
    old = desk.ingest_tid(make_mail(sender="old@client.ru", subject="Old"))
    grp = desk.ingest_tid(make_mail(sender="Dev <dev@PARTNER.example>", subject="Grp"))
    stranger = desk.ingest_tid(make_mail(sender="nobody@else.example", subject="Free"))
    desk.ingest_tid(make_mail(sender="demo@client.ru", subject="Demo"))
    assert desk.ticket(vip)["level"] == "vip"
    assert desk.ticket(vip)["requester"] == "boss@client.ru"
    assert desk.ticket(grp)["level"] == "partner"
    assert desk.ticket(old)["level"] == "free"
    assert desk.ticket(stranger)["level"] == "free"

    desk.flush()
    sink.wait_for(10)
    [vip_conf] = sink.to("boss@client.ru")
    assert "VIP поддержка" in vip_conf.text and "2 рабочих часа" in vip_conf.text
    assert "бесплатную" not in vip_conf.text
    [old_conf] = sink.to("old@client.ru")
    assert "истёк 01.01.2020" in old_conf.text and "2020-01-01" not in old_conf.text
    [free_conf] = sink.to("nobody@else.example")
    assert "бесплатную поддержку" in free_conf.text and "не указан" in free_conf.text
    # a free license's holder is not told they are on no license
    [demo_conf] = sink.to("demo@client.ru")
    assert "адрес указан в лицензии DEMO-1 (Демо-версия)" in demo_conf.text, demo_conf.text
    assert "не указан" not in demo_conf.text and "Если у вас есть лицензия" not in demo_conf.text


def test_follow_up_by_tag_or_headers_gets_acknowledgement_not_confirmation(desk, sink):
    first = make_mail(msgid="<q1@client.example>")
    tid = desk.ingest_tid(first)
    desk.flush()
    sink.wait_for(2)
    conf = sink.to("ivan@shop-example.ru")[0].msg

    by_tag = make_mail(subject=f"RE: Ответ: Fwd: что-то [tid#{tid}]", body="Добавляю лог.")
    assert desk.ingest_tid(by_tag) == tid
    by_headers = make_mail(
        subject="Re: без метки",
        body="И ещё скриншот.",
        msgid="<q3@client.example>",
        headers={"In-Reply-To": conf["Message-ID"], "References": conf["Message-ID"]},
    )
    assert desk.ingest_tid(by_headers) == tid
    t = desk.ticket(tid)
    texts = [m["text"] for m in t["messages"] if m["kind"] == "customer"]
    assert len(texts) == 3 and "Добавляю лог." in texts[1]
    assert len(desk.tickets()) == 1

    desk.flush()
    sink.wait_for(2 + 4)
    to_customer = sink.to("ivan@shop-example.ru")
    assert len(to_customer) == 3
    for ack in to_customer[1:]:
        assert f"[TID#{tid}]" in ack.subject
        assert "добавлено к обращению" in ack.subject
        # the regulation: each letter's confirmation names the level assigned
        assert "Уровень обслуживания: Бесплатная поддержка" in ack.text, ack.text
    # the answer to the letter carries its thread on (References), not the letter alone
    [ack] = [m.msg for m in to_customer if m.msg["In-Reply-To"] == "<q3@client.example>"]
    assert ack["References"].split() == [conf["Message-ID"], "<q3@client.example>"]
    assert len(sink.to("anna@example.com")) == 3  # new-ticket notice + 2 follow-up notices


def test_a_tid_typed_by_hand_without_brackets_finds_the_ticket(desk, sink):
    """The regulation asks the customer to keep the TID in the subject; one who types
    it by hand into a new mail writes «TID#4821-7730», not «[TID#4821-7730]». That
    opened a second ticket, whose confirmation subject then carried two TIDs."""
    tid = desk.ingest_tid(make_mail())
    later = make_mail(subject=f"Вопрос по TID#{tid}: оплата снова не проходит", body="Снова 500.")
    assert desk.ingest_tid(later) == tid
    assert len(desk.tickets()) == 1
    desk.flush()
    subjects = [r.subject for r in sink.to("ivan@shop-example.ru")]
    assert all(s.count(tid) == 1 for s in subjects), subjects


def test_stranger_copying_a_tid_opens_a_new_ticket(dkim_desk, sink):
    desk = dkim_desk  # the first mail proves its From (DKIM): whom it copies join
    tid = desk.ingest_tid(
        make_mail(
            sender="ivan@shop-example.ru",
            to="support@example.com",
            headers={"Cc": "colleague@shop-example.ru", **dkim_pass("ivan@shop-example.ru")},
        )
    )
    intruder = desk.ingest_tid(
        make_mail(
            sender="evil@attacker.example", subject=f"Re: [TID#{tid}]", body="Пишу в чужой тикет"
        )
    )
    assert intruder != tid
    assert desk.ticket(intruder)["refers_to"] == tid
    assert [m["kind"] for m in desk.ticket(tid)["messages"] if m["direction"] == "in"] == [
        "customer"
    ]
    # a participant (Cc of the first message) may write into it
    assert (
        desk.ingest_tid(make_mail(sender="colleague@shop-example.ru", subject=f"Re: [TID#{tid}]"))
        == tid
    )
    desk.flush()
    sink.wait_for(6)
    notice = [r for r in sink.to("anna@example.com") if intruder in r.subject][0]
    assert tid in notice.text  # staff see which ticket it referred to


def test_same_license_colleague_may_follow_up(desk):
    desk.run(
        "license",
        "add",
        "--key",
        "K-7",
        "--level",
        "standard",
        "--email",
        "a@corp.example",
        "--email",
        "b@corp.example",
    )
    tid = desk.ingest_tid(make_mail(sender="a@corp.example"))
    assert desk.ingest_tid(make_mail(sender="b@corp.example", subject=f"[TID#{tid}]")) == tid


def test_ticket_list_and_show_plain_and_json(desk):
    t1 = desk.ingest_tid(make_mail(subject="Первый"))
    t2 = desk.ingest_tid(make_mail(sender="petr@x.example", subject="Второй"))
    rows = desk.tickets()
    assert [r["tid"] for r in rows] == [t1, t2]  # oldest first
    assert desk.tickets("--status", "closed") == []
    assert [r["tid"] for r in desk.tickets("--status", "new")] == [t1, t2]
    plain = desk.run("ticket", "list")
    assert t1 in plain.out and "Второй" in plain.out
    show = desk.run("ticket", "show", t1)
    assert "Первый" in show.out and "customer" in show.out
    missing = desk.run("ticket", "show", "0000-0001")
    assert missing.code == 1 and "no ticket" in missing.err
    # as staff paste it: the tag from a subject, or the digits alone
    digits = t1.replace("-", "")
    for typed in (f"[TID#{t1}]", f"tid # {t1}", digits, f" {t1} "):
        assert desk.run("ticket", "show", typed, "--json").json()["tid"] == t1, typed
    for wrong in ("../" + t1, f"{t1}0", "TID", ""):
        r = desk.run("ticket", "show", wrong)
        assert (r.code, r.err.strip()) == (1, f"maild: no ticket {wrong}".strip()), wrong


def test_garbage_bytes_are_stored_and_shown_to_staff(process_desk, sink):
    junk = b"\x00\xff\xfe garbage \x81\x82 not a mail at all\r\n\r\n\xd0\xbf\xd1\x80"
    r = process_desk.run("ingest", "-", input=junk)
    assert r.code == 0, r.err
    assert "Traceback" not in r.err
    [t] = process_desk.tickets()
    assert "garbage" in t["messages"][0]["text"]
    process_desk.flush()
    sink.wait_for(1)
    assert len(sink.to("anna@example.com")) == 1  # staff see it; no confirmation to nobody


def test_config_errors_are_one_line_exit_78(process_desk):
    process_desk.sections["storage"]["paht"] = "/tmp/x"
    process_desk.write_config()
    r = process_desk.run("check-config")
    assert r.code == 78
    assert r.err.count("\n") == 1 and "storage.paht" in r.err and str(process_desk.config) in r.err
    del process_desk.sections["storage"]["paht"]
    del process_desk.sections["support"]["address"]
    process_desk.write_config()
    r = process_desk.run("ticket", "list")
    assert r.code == 78 and "support.address" in r.err and "Traceback" not in r.err
    process_desk.sections["support"]["address"] = "support@example.com"
    process_desk.sections["outbound"]["port"] = "twenty-five"
    process_desk.write_config()
    r = process_desk.run("ingest", "-", input=make_mail())
    assert r.code == 75 and "outbound.port" in r.err  # ingest: the MTA retries
    r = process_desk.run("--config", "/nonexistent/maild.toml", "check-config")
    assert r.code == 78 and "/nonexistent/maild.toml" in r.err


def test_ingest_exits_75_when_it_cannot_spool(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    desk.in_process = False
    desk.make_store()  # (a read command would refuse; a listing makes none)
    spool_new = tmp_path / "data" / "spool" / "tmp"
    spool_new.chmod(0o500)
    import os

    try:
        if os.geteuid() == 0:  # root ignores permissions: use a file where a dir should be
            spool_new.chmod(0o700)
            spool_new.rmdir()
            spool_new.write_text("not a directory")
        r = desk.run("ingest", "-", input=make_mail())
        assert r.code == 75, r.err  # postfix keeps the mail ...
        # ... and its queue shows why: waiting alone will not help (README, exit codes)
        assert "permanent error" in r.err and str(spool_new) in r.err, r.err
    finally:
        if spool_new.is_file():
            spool_new.unlink()
            spool_new.mkdir()
        spool_new.chmod(0o700)
