"""Outsiders cannot use maild (issue 19), end to end: the real CLI (`maild ingest`,
`maild serve` for the burst), a real aiosmtpd relay sink, counting what left."""

from __future__ import annotations

import json
import smtplib
import time

import pytest

from tests.data.make_spam_corpus import read_mbox
from tests.helpers import (
    DATA,
    SUPPORT,
    Daemon,
    Desk,
    dkim_pass,
    free_port,
    make_mail,
    request_text,
    staff_to,
    warnings_of,
)

SPAM = DATA / "spam"
EXPECTED = json.loads((SPAM / "expected.json").read_text(encoding="utf-8"))
STAFF = ("anna@example.com", "boris@example.com")
US = "mx.example.com"


@pytest.fixture
def trusted(tmp_path, sink) -> Desk:
    return Desk(tmp_path, sink.port, support={"authserv_id": US})


def staff_says(desk: Desk, tid: str, body: str, staff: str = "anna@example.com") -> None:
    """A staff member's reply to the notice about ``tid`` (verified: signed for them)."""
    desk.ingest(make_mail(sender=staff, to=staff_to(tid, staff), subject=f"[TID#{tid}]", body=body))


def spam_list(desk: Desk) -> list[dict]:
    r = desk.run("spam", "list", "--json")
    assert r.code == 0, r.err
    return r.json()


def test_every_verdict_header_is_honoured_and_nothing_goes_to_spammers(trusted, sink):
    desk = trusted
    for name, case in EXPECTED.items():
        out = desk.ingest((SPAM / f"{name}.eml").read_bytes()).out
        assert out.startswith("quarantined" if case["verdict"] == "quarantine" else "new"), name
    assert desk.flush().code == 0
    flagged = {c["sender"] for c in EXPECTED.values() if c["verdict"] == "quarantine"}
    clean = {c["sender"] for c in EXPECTED.values() if c["verdict"] == "desk"}
    answered = {c["sender"] for c in EXPECTED.values() if c["answered"]}
    assert not [m for m in sink.received if set(m.rcpt_tos) & flagged]
    assert {r for m in sink.received for r in m.rcpt_tos} == answered | set(STAFF)
    # a confirmation to each sender answered, a notice to each of 2 staff per ticket
    assert len(sink.received) == len(answered) + 2 * len(clean)
    listed = {e["message_id"]: e for e in spam_list(desk)}
    for case in EXPECTED.values():
        if case["verdict"] == "quarantine":
            assert listed[case["message_id"]]["reason"].startswith(case["reason"])
            assert set(listed[case["message_id"]]) == {
                "id", "message_id", "from", "subject", "received_at", "reason"
            }  # fmt: skip
    assert {t["requester"] for t in desk.tickets()} == clean
    for t in desk.tickets():  # only real tickets wait for staff; mail forged in the
        # support address's name is automatic (a loop's sign): no deadline (sla.unattended)
        forged = t["requester"] == SUPPORT
        assert (t["reaction_due"] is None) == forged, t


def test_a_burst_of_500_forged_spam_through_serve_sends_nothing(tmp_path, sink):
    port = free_port()
    desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{port}"})
    burst = read_mbox(SPAM / "burst.mbox")
    assert len(burst) == 500
    daemon = Daemon(desk).start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            for raw in burst:
                smtp.sendmail("x@spam.example", [SUPPORT], raw)
        quarantine = desk.root / "data" / "quarantine"
        deadline = time.monotonic() + 60
        while len(list(quarantine.glob("*.json"))) < 500 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        assert daemon.stop() == 0
    assert desk.flush().code == 0  # anything in the outbox: sent now, looked at below
    assert len(list(quarantine.glob("*.json"))) == 500
    # no confirmation, no staff notice (the head's daily report, ticketless, may go out)
    assert [m for m in sink.received if "Отчёт о сроках реакции" not in m.subject] == []
    assert desk.tickets() == []
    assert len(spam_list(desk)) == 500


def test_a_bounce_storm_is_quarantined_and_a_bounce_of_our_mail_is_not(desk, sink):
    for raw in read_mbox(SPAM / "bounces.mbox"):
        assert desk.ingest(raw).out.startswith("quarantined")
    assert desk.flush().code == 0
    assert sink.received == [] and desk.tickets() == []
    assert {e["reason"] for e in spam_list(desk)} == {"bounce: not about our mail"}


def test_release_show_delete_and_expiry(desk, sink):
    flagged = make_mail(subject="Помогите с оплатой", headers={"X-Spam-Flag": "YES"})
    qid = desk.ingest(flagged).out.split()[1]
    shown = desk.run("spam", "show", qid)
    assert shown.code == 0 and "X-Spam-Flag" in shown.out and "ошибка 500" in shown.out
    released = desk.run("spam", "release", qid)
    assert released.code == 0 and "new [TID#" in released.out, released.out + released.err
    tid = released.out.split("[TID#", 1)[1].split("]")[0]
    assert spam_list(desk) == []
    desk.flush()
    fresh = desk.ingest_tid(make_mail(subject="Помогите с оплатой"))
    desk.flush()
    # handled exactly like a fresh one: a confirmation and a notice to each staff member
    for t in (tid, fresh):
        assert sorted(
            r for m in sink.received if f"[TID#{t}]" in m.subject for r in m.rcpt_tos
        ) == [
            *STAFF,
            "ivan@shop-example.ru",
        ]
        assert desk.ticket(t)["reaction_due"] is not None
    assert desk.run("spam", "show", qid).code == 1
    # the spool is the record of what arrived: quarantined mail is not "lost" to fsck,
    # and mail deleted from the quarantine (by hand or by age) leaves no spool copy
    other = desk.ingest(make_mail(headers={"X-Spam": "yes"})).out.split()[1]
    check = desk.run("fsck", "--repair")
    assert check.code == 0 and "no ticket" not in check.out + check.err, check.out + check.err
    assert other in {e["id"] for e in spam_list(desk)}
    cur = desk.root / "data" / "spool" / "cur"
    spooled = len(list(cur.iterdir()))
    assert desk.run("spam", "delete", other).code == 0 and spam_list(desk) == []
    assert len(list(cur.iterdir())) == spooled - 1
    kept = desk.ingest(make_mail(headers={"X-Spam": "yes"})).out.split()[1]
    r = desk.run("jobs", "run", "--now", "2099-01-01T09:00:00+03:00", "--json")
    assert r.json()["quarantine_expired"] == 1 and desk.run("spam", "show", kept).code == 1
    assert len(list(cur.iterdir())) == spooled - 1
    assert desk.run("fsck").code == 0


def test_staff_mark_spam_and_the_block_list(desk, sink):
    first = make_mail(sender="seo@promo.example", subject="SEO", msgid="<seo-1@promo.example>")
    tid = desk.ingest_tid(first)
    desk.ingest(make_mail(sender="seo@promo.example", subject=f"Re: [TID#{tid}]", body="Ещё"))
    desk.flush()
    before = len(sink.to("seo@promo.example"))
    staff_says(desk, tid, "#spam")
    assert desk.run("ticket", "show", tid).code == 1 and desk.tickets() == []
    assert len([e for e in spam_list(desk) if e["from"] == "seo@promo.example"]) == 2
    assert desk.ingest(first).out.startswith("quarantined")  # delivered again: stays there
    assert desk.tickets() == [] and len(spam_list(desk)) == 2
    assert desk.run("block", "list", "--json").json() == ["seo@promo.example"]
    again = desk.ingest(make_mail(sender="seo@promo.example", subject="Снова"))
    assert again.out.startswith("quarantined")
    [blocked] = [e for e in spam_list(desk) if e["reason"] == "blocked"]
    shown = desk.run("spam", "show", blocked["id"], "--json").json()
    assert shown["blocked_by"] == "seo@promo.example" and shown["text"]
    desk.flush()
    assert len(sink.to("seo@promo.example")) == before  # nothing more to the sender
    # "#spam domain" blocks the whole domain; block remove lets mail through again
    t2 = desk.ingest_tid(make_mail(sender="a@spam-farm.example"))
    staff_says(desk, t2, "#spam domain", "boris@example.com")
    assert desk.ingest(make_mail(sender="b@spam-farm.example")).out.startswith("quarantined")
    assert desk.run("block", "add", "Friend <Friend@Mail.Example>").code == 0
    assert "friend@mail.example" in desk.run("block", "list").out
    assert desk.run("block", "remove", "spam-farm.example").code == 0
    assert desk.ingest(make_mail(sender="c@spam-farm.example")).out.startswith("new")
    # on a free-mail service "#spam domain" blocks only the sender: not all its users
    t3 = desk.ingest_tid(make_mail(sender="promo.bot@mail.ru"))
    staff_says(desk, t3, "#spam domain")
    assert "promo.bot@mail.ru" in desk.run("block", "list", "--json").json()
    assert "mail.ru" not in desk.run("block", "list", "--json").json()
    assert desk.ingest(make_mail(sender="olga@mail.ru")).out.startswith("new")


def test_caps_per_address_day_and_per_ticket_hour(tmp_path, sink):
    desk = Desk(
        tmp_path,
        sink.port,
        support={"max_auto_replies_per_day": 2, "max_auto_replies_per_ticket_per_hour": 3},
    )
    tids = [
        desk.ingest_tid(make_mail(subject=f"Вопрос {i}", body=request_text(i))) for i in range(3)
    ]
    desk.flush()
    assert len(sink.to("ivan@shop-example.ru")) == 2
    [note] = [m for m in desk.ticket(tids[2])["messages"] if m["kind"] == "note"]
    assert note["text"].startswith("Не отправлено уведомление «обращение зарегистрировано» клиенту")
    (tmp_path / "b").mkdir()
    other = Desk(tmp_path / "b", sink.port, support={"max_auto_replies_per_ticket_per_hour": 3})
    tid = other.ingest_tid(make_mail(sender="olga@client.example"))
    for i in range(5):  # slow, human follow-ups (no In-Reply-To): not a robot, but capped
        other.ingest(
            make_mail(
                sender="olga@client.example", subject=f"[TID#{tid}] ещё {i}", body=f"Дополнение {i}"
            )
        )
    other.flush()
    assert len(sink.to("olga@client.example")) <= 3
    notes = [m for m in other.ticket(tid)["messages"] if m["kind"] == "note"]
    assert notes and all("не больше" in m["text"] or "робот" in m["text"] for m in notes)


@pytest.mark.parametrize("tagged", [True, False], ids=["foreign-tag", "plain"])
def test_a_simulated_help_desk_gets_at_most_3_automatic_mails_in_50_rounds(tmp_path, sink, tagged):
    """Another desk answers every mail maild sends it with a plain acknowledgement (no
    Auto-Submitted, no Precedence); it also re-acknowledges the last one each round."""
    desk = Desk(tmp_path, sink.port, support={"staff": ["anna@example.com"]})  # fewer notices
    robot = "support@other-desk.example"
    desk.ingest(make_mail(sender=robot, subject="Ticket Received - 286614" if tagged else "Привет"))
    seen = 0
    for n in range(50):
        desk.flush()
        mail = sink.to(robot)
        seen = len(mail)
        last = mail[-1]
        subject = f"[#{117904 + n}] Re: {last.subject}" if tagged else f"Re: {last.subject}"
        ack = make_mail(
            sender=robot,
            subject=subject,
            body="Thank you for contacting us. Your request has been received.",
            headers={"In-Reply-To": last.msg["Message-ID"]},
        )
        desk.ingest(ack)
    desk.flush()
    assert 1 <= len(sink.to(robot)) <= 3, [m.subject for m in sink.to(robot)]
    [ticket] = desk.tickets()
    incoming = [m for m in ticket["messages"] if m["direction"] == "in" and m["kind"] == "customer"]
    assert len(incoming) == 51  # staff still see its messages
    notes = [m for m in ticket["messages"] if m["kind"] == "note" and "робот" in m["text"]]
    assert len(notes) == 1  # one note saying so
    assert seen == len(sink.to(robot))
    # staff were told of its mail until it showed itself a robot, then no more
    detected = next(i for i, m in enumerate(ticket["messages"]) if m is notes[0])
    told = len([m for m in ticket["messages"][:detected] if m["kind"] == "customer"])
    assert len(sink.to("anna@example.com")) == told <= 4


@pytest.mark.parametrize("authserv", [False, True], ids=["no-authserv", "authserv"])
def test_forged_staff_mail_runs_nothing_and_relays_nothing(tmp_path, sink, authserv):
    desk = Desk(tmp_path, sink.port, support={"authserv_id": US} if authserv else {})
    tid = desk.ingest_tid(make_mail())
    raw = (SPAM / "forged_staff_reply.eml").read_bytes().replace(b"{TID}", tid.encode())
    if authserv:  # our MTA puts its own verdict on top of the forged one
        ours = f"Authentication-Results: {US}; dkim=none; spf=fail smtp.mailfrom=example.com"
        raw = ours.encode() + b"\r\n" + raw
    desk.ingest(raw)
    desk.ingest(raw.replace(b"<forged-staff@", b"<forged-staff-2@"))
    desk.flush()
    t = desk.ticket(tid)
    assert t["level"] == "free" and not t["critical"] and t["first_reaction_at"] is None
    assert len(sink.to("ivan@shop-example.ru")) == 1  # the confirmation only
    notes = [m for m in t["messages"] if m["direction"] == "in" and m["kind"] == "note"]
    assert len(notes) == 2 and "login-verify" in notes[0]["text"]
    explained = [m for m in sink.to("anna@example.com") if "не принято" in m.subject]
    assert len(explained) == 1  # one explanation, however many forgeries
    assert t["subject"] and f"{t['subject']} [TID#{tid}]" in explained[0].subject
    # the same text sent to the address signed for anna counts as staff
    staff_says(desk, tid, "#critical\nЗдравствуйте!")
    assert desk.ticket(tid)["critical"]


def test_a_forged_header_below_a_relays_received_line_proves_nothing(trusted, sink):
    """Audit review 22: our MTA (not stripping) stamps only its SPF verdict; the
    sender's own `dkim=pass header.d=<staff domain>` comes below the Received line of
    the relay that passed the mail on. Only the MTA's block counts: not staff, nothing
    relayed. Its twin with the verdict in our MTA's block is staff."""
    tid = trusted.ingest_tid(make_mail())
    forged = (SPAM / "forged_staff_reply.eml").read_bytes().replace(b"{TID}", tid.encode())
    ours = (
        f"Received: from relay.evil.example by {US} (Postfix) with ESMTP\r\n"
        f"Authentication-Results: {US}; spf=fail smtp.mailfrom=evil.example\r\n"
        "Received: from [192.0.2.66] by relay.evil.example; Sun, 6 Dec 2026 10:00:00 +0000\r\n"
    )
    trusted.ingest(ours.encode() + forged)
    trusted.flush()
    t = trusted.ticket(tid)
    assert t["first_reaction_at"] is None and not t["critical"] and t["level"] == "free"
    assert len(sink.to("ivan@shop-example.ru")) == 1  # the confirmation only
    block = ours.replace("Received: from [192.0.2.66]", "X-Relay: [192.0.2.66]")
    twin = forged.replace(b"<forged-staff@", b"<forged-staff-2@")
    trusted.ingest(block.encode() + twin)
    trusted.flush()
    assert trusted.ticket(tid)["critical"]


@pytest.mark.parametrize(
    "verdict",
    [
        'spf=pass smtp.mailfrom="anna@example.com"@evil.example',
        'dkim=pass header.d=evil.example header.i="anna@example.com"@evil.example',
        'spf=pass smtp.mailfrom="anna@example.com"x',  # no domain to read: proves nothing
    ],
)
def test_a_quoted_local_part_in_our_mtas_verdict_proves_no_staff_member(tmp_path, sink, verdict):
    """RFC 8601 lets a value's local part be quoted: our MTA's verdict on the envelope
    "anna@example.com"@evil.example was read as its quoted part, domain example.com,
    and the forged staff reply under it reached the customer and its #close ran."""
    desk = Desk(tmp_path, sink.port, support={"authserv_id": US})
    tid = desk.ingest_tid(make_mail(sender="ivan@shop.example", subject="Ошибка"))
    desk.flush()
    seen = len(sink.received)
    forged = make_mail(
        sender="Анна <anna@example.com>",
        subject=f"Re: [TID#{tid}] Ошибка",
        body="Оплатите счёт на карту 4000 0000 0000 0002, FORGED\n#close",
        headers={"Authentication-Results": f"{US}; {verdict}"},
    )
    desk.ingest(forged)
    desk.flush()
    assert not [
        m for m in sink.received[seen:] if "FORGED" in m.text and "ivan@shop.example" in m.rcpt_tos
    ]
    assert desk.ticket(tid)["status"] != "closed"
    incoming = [m for m in desk.ticket(tid)["messages"] if m["direction"] == "in"]
    assert incoming[-1]["kind"] == "note"


def test_a_staff_reply_address_proves_its_member_only_on_its_own_ticket(desk, sink):
    """Eve holds Anna's reply address of her own ticket A (Anna put her in Cc of an
    answer: Eve's copy is addressed to it). Writing as Anna to it with ticket B's TID
    in the subject, her text reached B's customer and B's #level and #close ran. Now
    the address proves Anna on A alone: B is untouched and Ivan gets nothing."""
    a = desk.ingest_tid(make_mail(sender="eve@attacker.example", subject="Мой вопрос"))
    b = desk.ingest_tid(make_mail(sender="ivan@shop-example.ru", subject="Заказ"))
    desk.flush()
    before = {r: len(sink.to(r)) for r in ("ivan@shop-example.ru", "eve@attacker.example")}
    lure = "Иван, вопрос решён. Оплатите счёт: http://pay.evil.example\n\n#level vip\n#close\n"
    desk.ingest(
        make_mail(
            sender="Анна <anna@example.com>", to=staff_to(a), subject=f"Re: [TID#{b}]", body=lure
        )
    )
    desk.flush()
    t = desk.ticket(b)
    assert (t["status"], t["level"]) != ("closed", "vip") and t["first_reaction_at"] is None
    assert len(sink.to("ivan@shop-example.ru")) == before["ivan@shop-example.ru"]
    assert not [m for m in sink.received if "pay.evil" in m.text and STAFF[0] not in m.rcpt_tos]
    # on its own ticket the address still proves Anna, the subject naming it or not
    staff_says(desk, a, "#critical\nЗдравствуйте!")
    assert desk.ticket(a)["critical"]
    desk.ingest(
        make_mail(sender="anna@example.com", to=staff_to(a), subject="Re:", body="#level vip")
    )
    assert desk.ticket(a)["level"] == "vip"


def test_forged_staff_mail_naming_no_ticket_cannot_flood_the_staff_member(tmp_path, sink):
    """Mail forging a staff address with a [TID#...] of no ticket is kept in the
    quarantine and the staff member is told, for their typo. Forged by the thousand,
    with a new TID each, it went on telling them: one mail each, the forger's text in
    it, from support@. Unverified, it is an automatic mail like any other (capped);
    a verified one (the signed reply address of a deleted ticket) is always answered."""
    desk = Desk(tmp_path, sink.port, support={"max_auto_replies_per_hour": 3})
    for n in range(8):
        forged = make_mail(
            sender="Анна <anna@example.com>",
            subject=f"[TID#{1000 + n}-0001] срочно: смените пароль http://evil.example/",
            msgid=f"<forged-noticket-{n}@evil.example>",
        )
        assert desk.ingest(forged).out.startswith("quarantined ")
    desk.flush()
    told = [m for m in sink.to("anna@example.com") if m.subject.startswith("Обращение не найдено")]
    assert len(told) == 3
    assert len(spam_list(desk)) == 8  # every one kept, none lost
    assert desk.tickets() == []
    gone = "1000-0001"  # the signed address proves maild mailed anna about it
    desk.ingest(make_mail(sender="anna@example.com", to=staff_to(gone, "anna@example.com")))
    desk.flush()
    assert len(sink.to("anna@example.com")) == 4


def test_nobody_joins_a_ticket_by_writing_cc(desk, sink):
    tid = desk.ingest_tid(make_mail())
    desk.flush()
    [conf] = sink.to("ivan@shop-example.ru")
    raw = (SPAM / "forged_cc_followup.eml").read_bytes().replace(b"{TID}", tid.encode())
    desk.ingest(raw)
    staff_says(desk, tid, "Ответ.")
    desk.flush()
    assert sink.to("mallory@evil.example") == []
    assert any(
        "mallory@evil.example" in m.text and "Просили добавить" in m.text
        for m in sink.to("anna@example.com")
    )
    # verified (sent to the ticket's signed reply address): the colleague joins
    signed = conf.msg["Reply-To"].addresses[0].addr_spec
    desk.ingest(
        make_mail(
            to=signed,
            subject=f"Re: [TID#{tid}]",
            body="Коллега в копии.",
            headers={"Cc": "petr@shop-example.ru"},
        )
    )
    staff_says(desk, tid, "Петру тоже.")
    desk.flush()  # sent before the #uncc below, which would withdraw it still queued
    assert desk.ticket(tid)["participants"] == ["ivan@shop-example.ru", "petr@shop-example.ru"]
    # staff: #cc adds, #uncc removes
    staff_says(desk, tid, "#cc Mallory <mallory@evil.example>\n#uncc petr@shop-example.ru\n#note")
    staff_says(desk, tid, "Второй ответ.")
    desk.flush()
    assert len(sink.to("mallory@evil.example")) == 1
    texts = [m.text.replace("\r\n", "\n") for m in sink.to("petr@shop-example.ru")]
    assert texts == ["Петру тоже.\n\n--\nСлужба поддержки\nsupport@example.com\n"]
    assert desk.ticket(tid)["participants"] == ["ivan@shop-example.ru", "mallory@evil.example"]
    shown = desk.run("ticket", "show", tid).out
    assert "participants: ivan@shop-example.ru, mallory@evil.example" in shown


def test_participants_are_capped(tmp_path, sink):
    support = {"authserv_id": US}  # the first mail proves its From: its Cc may join
    desk = Desk(tmp_path, sink.port, support=support, limits={"max_participants": 2})
    cc = ", ".join(f"p{i}@shop-example.ru" for i in range(5))
    tid = desk.ingest_tid(make_mail(headers={"Cc": cc, **dkim_pass("ivan@shop-example.ru")}))
    staff_says(desk, tid, "#cc x@shop-example.ru")
    staff_says(desk, tid, "Ответ.")
    desk.flush()
    reached = {
        r for m in sink.received for r in m.rcpt_tos if r.startswith("p") or r.startswith("x@")
    }
    assert len(reached) == 2 and "x@shop-example.ru" not in reached


def test_check_config_warns_without_a_way_to_verify_staff(tmp_path, sink):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    r = Desk(tmp_path / "a", sink.port).run("check-config")
    assert r.code == 0 and "warning" in r.err and "authserv_id" in r.err
    # what README (Trust) says, as `maild serve` logs it: staff mail is not trusted by
    # its From line, licenses are
    assert "staff mail counts only as a reply to a staff notice" in r.err
    assert "licenses are granted by the From line alone" in r.err
    assert "anyone can write as staff" not in r.err
    trusted = Desk(tmp_path / "b", sink.port, support={"authserv_id": US})
    assert warnings_of(trusted.run("check-config").err) == []


def test_a_new_ticket_keeps_the_first_cc_written_and_tells_staff_of_the_rest(trusted, sink):
    """A director writes with 12 colleagues in Cc, the head of the department first
    (DKIM proves his mail): the first ten, in the order written, get the ticket's mail
    (not the first ten sorted: user0, user10, user11...), and the notice names the two
    left out, as staff can add them only by hand."""
    desk = trusted
    cc = ", ".join(f"Сотрудник {i} <user{i}@corp-example.ru>" for i in range(12))
    headers = {"Cc": cc, **dkim_pass("boss@corp-example.ru")}
    tid = desk.ingest_tid(make_mail(sender="Директор <boss@corp-example.ru>", headers=headers))
    desk.flush()
    kept = [f"user{i}@corp-example.ru" for i in range(10)]
    assert desk.ticket(tid)["participants"] == sorted(["boss@corp-example.ru", *kept])
    [notice] = sink.to("anna@example.com")
    text = " ".join(notice.text.split())
    assert "user10@corp-example.ru, user11@corp-example.ru" in text, notice.text
    assert "user9@corp-example.ru," not in text


def test_the_new_ticket_notice_names_whom_an_answer_also_goes_to(trusted, sink):
    """A Cc of a first mail that proves its From (DKIM) gets every answer: staff read
    who before they answer (an answer may say what only the requester should read)."""
    desk = trusted
    headers = {"Cc": "Пётр <petr@other-example.ru>", **dkim_pass("ivan@shop-example.ru")}
    tid = desk.ingest_tid(make_mail(headers=headers))
    desk.flush()
    assert "petr@other-example.ru" in desk.ticket(tid)["participants"]
    [notice] = sink.to("anna@example.com")
    body = notice.text.split("----- текст обращения -----")[0]
    assert "petr@other-example.ru" in body, notice.text


def test_a_site_forms_mail_names_its_reply_to_for_staff(desk, sink):
    """A site's feedback form (PHP, 1C-Bitrix) writes From: noreply@ and the visitor in
    Reply-To. The From line gets the answers (a Reply-To proves no one, and would send
    them elsewhere), so no one answers the visitor unless staff add them: the notice
    names the Reply-To and the #cc that adds it."""
    raw = make_mail(
        sender="Интернет-магазин <noreply@shop-example.ru>",
        subject="Сообщение с сайта: Обратная связь",
        body="Автор: Ольга Иванова\nТекст сообщения:\nНе могу оформить заказ.",
        headers={"Reply-To": "Ольга Иванова <olga.client@mail-example.ru>"},
    )
    tid = desk.ingest_tid(raw)
    desk.flush()
    assert desk.ticket(tid)["participants"] == ["noreply@shop-example.ru"]
    assert sink.to("olga.client@mail-example.ru") == []
    [notice] = sink.to("anna@example.com")
    head = notice.text.split("----- текст обращения -----")[0]
    assert "«#cc olga.client@mail-example.ru» в ответе" in head, notice.text


@pytest.mark.parametrize(
    "shape",
    [
        "[vendor.ru #{n}] AutoReply: {s}",  # RT
        "Re: {s} [Заявка №{n}]",
        "Ваше обращение №{n} зарегистрировано (Re: {s})",
        "[JIRA] (SD-{n}) {s}",
    ],
)
def test_a_desk_answering_with_its_tag_is_a_robot_at_its_first_answer(tmp_path, sink, shape):
    """RT's, a Russian desk's and Jira's tags were not known: only the third fast answer
    showed the robot, each answer before it acknowledged."""
    desk = Desk(tmp_path, sink.port, support={"staff": ["anna@example.com"]})
    robot = "help@vendor.ru"
    desk.ingest(make_mail(sender=robot, subject="Вопрос по интеграции", body="Подскажите по API."))
    for n in range(5001, 5005):
        desk.flush()
        last = sink.to(robot)[-1]
        answer = make_mail(
            sender=robot,
            subject=shape.format(n=n, s=last.subject),
            body="Ваше обращение зарегистрировано.",
            headers={"In-Reply-To": last.msg["Message-ID"]},
        )
        desk.ingest(answer)
    desk.flush()
    assert len(sink.to(robot)) == 1, [m.subject for m in sink.to(robot)]  # the confirmation
    [ticket] = desk.tickets()
    [note] = [m for m in ticket["messages"] if m["kind"] == "note" and "робот" in m["text"]]
    assert "другой системы заявок" in note["text"]
