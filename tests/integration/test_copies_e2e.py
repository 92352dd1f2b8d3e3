"""A ticket's customers (the requester and the Cc participants) each get their own
copy of its mail, end to end: the real CLI (`maild ingest`, `maild serve` for the
site), a real aiosmtpd relay sink, counting what reached it. Nobody's copy lets them
act as another: a reply address signed for one recipient, a site link bound to one."""

from __future__ import annotations

import smtplib

from maild.app import App
from maild.config import load
from tests.helpers import AUTHSERV, Daemon, Desk, dkim_pass, make_mail, staff_to
from tests.integration.test_serve import wait_until
from tests.webclient import link_in, post, request, site_desk

IVAN = "ivan@shop-example.ru"  # the requester (make_mail's sender)
PETR = "petr@shop-example.ru"  # in Cc of the first mail, which proves ivan: a participant
MALLORY = "mallory@evil.example"


def staff_says(desk: Desk, tid: str, body: str) -> None:
    """anna's reply to the notice about ``tid`` (verified: signed for her)."""
    desk.ingest(
        make_mail(sender="anna@example.com", to=staff_to(tid), subject=f"[TID#{tid}]", body=body)
    )


def reply_to(mail) -> str:
    return mail.msg["Reply-To"].addresses[0].addr_spec


def test_a_cc_participant_cannot_add_people_as_the_requester(dkim_desk, sink):
    desk = dkim_desk  # the first mail proves ivan by DKIM: petr, in its Cc, joins
    tid = desk.ingest_tid(make_mail(headers={"Cc": PETR, **dkim_pass(IVAN)}))
    staff_says(desk, tid, "Проверим и ответим.")
    desk.flush()
    [petrs] = [m for m in sink.to(PETR) if "Проверим" in m.text]
    [ivans] = [m for m in sink.to(IVAN) if "Проверим" in m.text]
    # one copy each, both named in To (reply-all reaches everyone), each its own Reply-To
    assert petrs.rcpt_tos == [PETR] and ivans.rcpt_tos == [IVAN]
    assert {a.addr_spec for a in petrs.msg["To"].addresses} == {IVAN, PETR}
    assert reply_to(petrs) != reply_to(ivans)
    # petr forges the requester's From to his own copy's Reply-To, with mallory in Cc
    forged = make_mail(
        to=reply_to(petrs),
        subject=f"Re: [TID#{tid}]",
        body="Добавьте, пожалуйста, моего коллегу.",
        headers={"Cc": MALLORY},
    )
    desk.ingest(forged)
    staff_says(desk, tid, "Второй ответ.")
    desk.flush()
    t = desk.ticket(tid)
    assert t["participants"] == [IVAN, PETR]
    assert sink.to(MALLORY) == []
    asked = [m for m in sink.to("anna@example.com") if "Просили добавить" in m.text]
    assert len(asked) == 1 and MALLORY in asked[0].text
    # the requester's own copy still verifies him: his colleague joins
    desk.ingest(
        make_mail(
            to=reply_to(ivans),
            subject="Re: тема потерялась",
            body="Коллега в копии.",
            headers={"Cc": "olga@shop-example.ru"},
        )
    )
    assert desk.ticket(tid)["participants"] == [IVAN, "olga@shop-example.ru", PETR]
    # and petr's own copy verifies petr, threading his reply without the tag
    petr_says = make_mail(sender=PETR, to=reply_to(petrs), subject="Re: без темы", body="Я тут.")
    assert desk.ingest_tid(petr_says) == tid
    # ... which proves petr, not whom the requester shares the ticket with
    petr_cc = make_mail(
        sender=PETR,
        to=reply_to(petrs),
        subject=f"Re: [TID#{tid}]",
        body="И ещё коллега.",
        headers={"Cc": "pavel@shop-example.ru"},
    )
    assert desk.ingest_tid(petr_cc) == tid
    assert "pavel@shop-example.ru" not in desk.ticket(tid)["participants"]
    desk.flush()
    assert [m.rcpt_tos for m in sink.to(PETR)] == [[PETR]] * 4  # 2 answers, 2 acknowledgements
    # maild forget petr: his own copies are emptied, ivan's keep their text
    assert desk.run("forget", PETR).code == 0
    sent = desk.run("outbox", "list", "--sent", "--json").json()
    theirs = [m for m in sent if m.get("erased") and m["to"] == ["forgotten@invalid"]]
    ivans_copies = [m for m in sent if m["to"] == [IVAN]]
    assert len(theirs) == 4
    # and the staff notices of his two follow-ups, which quoted them
    notices = [m for m in sent if m.get("erased") and m["kind"] == "notice"]
    assert len(notices) == 2 * len(desk.sections["support"]["staff"])
    assert any("Проверим" in desk.run("outbox", "show", m["id"]).out for m in ivans_copies)


def test_a_cc_participants_mail_carries_no_link_of_the_requester(tmp_path, sink):
    desk, base = site_desk(tmp_path, sink.port, support={"authserv_id": AUTHSERV})
    daemon = Daemon(desk).start()
    try:
        assert wait_until(lambda: "site on" in daemon.logtext(), 10)
        with smtplib.SMTP("127.0.0.1", daemon.port) as s:  # DKIM proves ivan: petr joins
            first = make_mail(headers={"Cc": PETR, **dkim_pass(IVAN)})
            s.sendmail(IVAN, ["support@example.com"], first)
        [conf] = wait_until(lambda: sink.to(IVAN))
        tid = conf.subject.split("[TID#")[1].rstrip("]")
        ivans_link = link_in(conf.text, base)
        with smtplib.SMTP("127.0.0.1", daemon.port) as s:
            reply = make_mail(
                sender="anna@example.com", to=staff_to(tid), subject=f"[TID#{tid}]", body="Ответ."
            )
            s.sendmail("anna@example.com", [staff_to(tid)], reply)
        [petrs] = wait_until(lambda: sink.to(PETR))
        assert petrs.rcpt_tos == [PETR]
        assert ivans_link not in petrs.text
        petrs_link = link_in(petrs.text, base)
        # the link in petr's mail is his own: what he posts there is his, not ivan's
        page = request(petrs_link)
        assert page.status == 200
        r = post(petrs_link + "/reply", {"form": page.form_token(), "text": "Пишу с сайта."})
        assert r.status == 303
        posted = wait_until(
            lambda: [
                m["from"]
                for m in desk.ticket(tid)["messages"]
                if m["direction"] == "in" and "Пишу с сайта." in m["text"]
            ]
        )
        assert posted == [PETR]
    finally:
        assert daemon.stop() == 0


def test_the_reply_that_adds_a_participant_reaches_them(desk, sink):
    tid = desk.ingest_tid(make_mail())
    staff_says(desk, tid, "#cc Пётр <petr@shop-example.ru>\nДобавил Петра, вот ответ.")
    desk.flush()
    assert desk.ticket(tid)["participants"] == [IVAN, PETR]
    [answer] = sink.to(PETR)
    assert "Добавил Петра" in answer.text and answer.rcpt_tos == [PETR]
    assert [m.rcpt_tos for m in sink.to(IVAN) if "Добавил" in m.text] == [[IVAN]]
    # each copy has its own Message-ID, the one the ticket records for its customer
    # (their replies name it)
    [ivans] = [m for m in sink.to(IVAN) if "Добавил" in m.text]
    got = {IVAN: ivans.msg["Message-ID"], PETR: answer.msg["Message-ID"]}
    [record] = [m for m in App(load(desk.config)).store.load(tid)[1] if m.get("copies")]
    assert record["copies"] == got and len(set(got.values())) == 2
    # #uncc in a reply: that reply no longer goes to the one removed
    staff_says(desk, tid, "#uncc petr@shop-example.ru\nПетра убрал.")
    desk.flush()
    assert len(sink.to(PETR)) == 1
    assert len([m for m in sink.to(IVAN) if "Петра убрал" in m.text]) == 1


def test_a_staff_members_copy_names_only_them(desk, sink):
    """Staff's copies of a notice each name only their own address in the To they read
    (a customer's copy names all its customers, for reply-all): who else of staff was
    told is not for one staff member's mail to show."""
    tid = desk.ingest_tid(make_mail())
    desk.flush()
    for who in ("anna@example.com", "boris@example.com"):
        [notice] = [m for m in sink.to(who) if f"[TID#{tid}]" in m.subject]
        assert [a.addr_spec for a in notice.msg["To"].addresses] == [who]
