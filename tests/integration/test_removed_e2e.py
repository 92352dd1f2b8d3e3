"""Losing access to a ticket, end to end through the real CLI and a real relay sink:
a Cc participant staff removed with #uncc, a person erased by `maild forget`, a
ticket merged away. What they still hold (the signed Reply-To of their copies, the
site link) no longer lets them into the ticket: their mail is an outsider's."""

from __future__ import annotations

import smtplib

import pytest

from tests.helpers import AUTHSERV, PNG, Daemon, Desk, dead_port, dkim_pass, make_mail, staff_to
from tests.integration.test_copies_e2e import reply_to, staff_says
from tests.integration.test_serve import wait_until
from tests.webclient import link_in, post, request, site_desk

IVAN = "ivan@shop-example.ru"  # the requester (make_mail's sender)
PETR = "petr@shop-example.ru"  # a colleague under the same group, in Cc
# ivan's first mail proves him (DKIM, with support.authserv_id): petr, in its Cc, joins
FIRST = {"Cc": PETR, **dkim_pass(IVAN)}
TRUSTED = {"authserv_id": AUTHSERV}


@pytest.fixture
def desk(dkim_desk) -> Desk:
    return dkim_desk


def test_a_colleague_staff_removed_no_longer_writes_rates_or_reopens(desk, sink):
    assert desk.run("group", "add", "--name", "Магазин", "--level", "standard",
                    "--domain", "shop-example.ru").code == 0  # fmt: skip
    tid = desk.ingest_tid(make_mail(headers=FIRST))
    staff_says(desk, tid, "Проверим и ответим.")
    desk.flush()
    [petrs] = [m for m in sink.to(PETR) if "Проверим" in m.text]
    staff_says(desk, tid, f"#uncc {PETR}\nПетра убрали из обращения.")
    assert desk.ticket(tid)["removed"] == [PETR]
    # his own copy's Reply-To, the TID in the subject: a ticket of his own
    tagged = f"Re: [TID#{tid}]"
    other = desk.ingest_tid(make_mail(sender=PETR, to=reply_to(petrs), subject=tagged, body="Ещё?"))
    assert other != tid and desk.ticket(other)["refers_to"] == tid
    staff_says(desk, tid, "#close\nГотово.")
    for body in ("1", "Не работает, откройте снова."):
        desk.ingest(make_mail(sender=PETR, to=reply_to(petrs), subject=tagged, body=body))
    t = desk.ticket(tid)
    assert t["status"] == "closed" and t["rating"] is None
    assert not [m for m in t["messages"] if m["from"] == PETR]
    assert "removed by staff: " + PETR in desk.run("ticket", "show", tid).out
    # a #cc brings him back: his mail joins the ticket again
    staff_says(desk, tid, f"#cc {PETR}\nПетр снова с нами.")
    assert "removed" not in desk.ticket(tid)
    assert desk.ingest_tid(make_mail(sender=PETR, to=reply_to(petrs), body="Спасибо.")) == tid


def test_uncc_withdraws_the_mail_still_queued_to_whom_staff_removed(tmp_path, sink):
    """The relay is down: the answer and the confirmation to petr wait in the outbox
    when staff take him off the ticket. They never reach him; ivan gets all his."""
    desk = Desk(tmp_path, dead_port(), support=TRUSTED)  # the relay is down: nothing listens
    tid = desk.ingest_tid(make_mail(headers=FIRST))
    staff_says(desk, tid, "Проверим и ответим.")
    assert desk.flush().code == 75
    queued = desk.run("outbox", "list", "--json").json()
    assert [m for m in queued if m["to"] == [PETR]]  # the answer to him waits too
    staff_says(desk, tid, f"#uncc {PETR}\nПетра убрали из обращения.")
    queued = desk.run("outbox", "list", "--json").json()
    assert [m for m in queued if PETR in m["to"]] == []
    sent = desk.run("outbox", "list", "--sent", "--json").json()
    assert sent and {(m["tid"], m["withdrawn"]) for m in sent} == {(tid, "uncc")}
    assert all(m["to"] == [PETR] and "sent_at" not in m for m in sent)
    desk.sections["outbound"]["port"] = sink.port  # the relay is back
    desk.write_config()
    assert desk.flush().code == 0
    assert sink.to(PETR) == []
    ivans = [m.text for m in sink.to(IVAN)]
    assert len(ivans) == 3  # the confirmation and both answers
    assert any("Проверим" in t for t in ivans) and any("Петра убрали" in t for t in ivans)
    assert sink.to("anna@example.com")  # staff mail is untouched
    assert desk.flush().out.startswith("sent 0,")  # and none of it queued again


def test_the_requesters_reply_all_does_not_bring_back_whom_staff_removed(desk, sink):
    tid = desk.ingest_tid(make_mail(headers=FIRST))
    staff_says(desk, tid, "Проверим и ответим.")
    desk.flush()
    [ivans] = [m for m in sink.to(IVAN) if "Проверим" in m.text]
    assert PETR in str(ivans.msg["To"])  # reply-all to it names petr
    staff_says(desk, tid, f"#uncc {PETR}\nПетра убрали из обращения.")
    # ivan's verified reply-all to the mail before the removal, petr in Cc
    reply_all = make_mail(
        to=reply_to(ivans), subject=f"Re: {ivans.subject}", body="Спасибо!", headers={"Cc": PETR}
    )
    assert desk.ingest_tid(reply_all) == tid
    staff_says(desk, tid, "Ответ после удаления Петра.")
    desk.flush()
    assert desk.ticket(tid)["participants"] == [IVAN]
    assert not [m for m in sink.to(PETR) if "после удаления" in m.text]
    [notice] = [m for m in sink.to("anna@example.com") if "Спасибо!" in m.text]
    assert f"убраны из обращения сотрудником (#uncc), поэтому не добавлены:\r\n{PETR}" in (
        notice.text
    )
    # the requester's Cc of someone new still adds them, as before
    olga = "olga@shop-example.ru"
    desk.ingest(make_mail(to=reply_to(ivans), body="Коллега в копии.", headers={"Cc": olga}))
    assert desk.ticket(tid)["participants"] == [IVAN, olga]


def test_a_merged_tickets_link_stops_working_for_whom_staff_removed_after_the_merge(tmp_path, sink):
    """The merged ticket's page follows the people of the ticket it was merged into:
    petr, removed there after the merge, no longer reads the old page nor its files."""
    desk, base = site_desk(tmp_path, sink.port, support=TRUSTED)
    daemon = Daemon(desk).start()

    def mail(raw: bytes, sender: str, to: str = "support@example.com") -> None:
        with smtplib.SMTP("127.0.0.1", daemon.port) as s:
            s.sendmail(sender, [to], raw)

    def staff(tid: str, body: str) -> None:
        n = len(desk.ticket(tid)["messages"])
        reply = make_mail(
            sender="anna@example.com", to=staff_to(tid), subject=f"[TID#{tid}]", body=body
        )
        mail(reply, "anna@example.com", staff_to(tid))
        assert wait_until(lambda: len(desk.ticket(tid)["messages"]) > n)

    try:
        assert wait_until(lambda: "site on" in daemon.logtext(), 10)
        files = [("screen.png", "image/png", PNG)]
        mail(make_mail(headers=FIRST, attachments=files), IVAN)
        [conf] = wait_until(lambda: sink.to(IVAN))
        old = conf.subject.split("[TID#")[1].rstrip("]")
        mail(make_mail(sender="olga@other.example", subject="Та же ошибка"), "olga@other.example")
        [olgas] = wait_until(lambda: sink.to("olga@other.example"))
        new = olgas.subject.split("[TID#")[1].rstrip("]")
        staff(old, "Проверим.")
        [petrs] = wait_until(lambda: [m for m in sink.to(PETR) if "Проверим" in m.text])
        link = link_in(petrs.text, base)
        before = request(link)  # a page open before the merge: its forms' token
        staff(old, f"#merge {new}")
        assert request(link).status == 200  # still one of the conversation's people
        staff(new, f"#uncc {PETR}\nПетра убрали.")
        page = request(link)
        assert page.status == 403 and "Проверим" not in page.text
        assert request(link + "/file/0/0").status == 403
        form = {"form": before.form_token(), "text": "С сайта после удаления."}
        assert post(link + "/reply", form).status == 403
        assert post(link + "/renew", {"form": before.form_token()}).status == 403
        assert request(link_in(conf.text, base)).status == 200  # ivan stays
    finally:
        assert daemon.stop() == 0


def test_after_maild_forget_the_tickets_mail_goes_to_nobody_in_the_erased_persons_place(desk, sink):
    """forget puts forgotten@invalid where the address stood: it is nobody's, and no
    answer (with a site link bound to it) goes there; the others still get theirs."""
    tid = desk.ingest_tid(make_mail(headers=FIRST))
    assert desk.run("forget", PETR).code == 0
    staff_says(desk, tid, "Ответ после удаления данных Петра.")
    assert desk.flush().code == 0
    got = [m.rcpt_tos for m in sink.received if "после удаления" in m.text]
    assert got == [[IVAN]]
    assert desk.run("forget", IVAN).code == 0
    staff_says(desk, tid, "Ещё ответ.")
    staff_says(desk, tid, "#close")
    assert desk.flush().code == 0
    assert [m for m in sink.received if "invalid" in str(m.rcpt_tos)] == []
    assert desk.run("outbox", "list", "--json").json() == []


def test_a_staff_member_taken_off_the_staff_list_replies_as_an_outsider(desk, sink):
    """boris's notice carries a Reply-To signed for him; once support.staff no longer
    lists him, his reply to it runs no command and reaches no customer."""
    boris = "boris@example.com"
    tid = desk.ingest_tid(make_mail())
    desk.flush()
    [notice] = sink.to(boris)
    desk.sections["support"]["staff"] = ["anna@example.com"]
    desk.write_config()
    reply = make_mail(
        sender=boris,
        to=reply_to(notice),
        subject=f"Re: {notice.subject}",
        body="#close\n#cc mallory@evil.example\nЗакрываю, всё сделано.",
    )
    other = desk.ingest_tid(reply)
    desk.flush()
    assert other != tid and desk.ticket(other)["refers_to"] == tid
    t = desk.ticket(tid)
    assert t["status"] == "new" and t["participants"] == [IVAN]
    assert [m["from"] for m in t["messages"] if m["direction"] == "in"] == [IVAN]
    assert not [m for m in sink.to(IVAN) if "Закрываю" in m.text]
    assert sink.to("mallory@evil.example") == []
