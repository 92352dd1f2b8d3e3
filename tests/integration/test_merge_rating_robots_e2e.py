"""#merge and what the merged ticket brings along, end to end (the real CLI, a real
aiosmtpd relay sink): a rating of the merged ticket's closing is no rating of the
target's closing, and the notice «Обращение объединено», automatic mail, does not go
to a robot the merged ticket knows."""

from __future__ import annotations

from tests.helpers import make_mail
from tests.integration.test_staff_e2e import staff_reply

IVAN = "ivan@shop-example.ru"  # his ticket A is merged into olga's
OLGA = "olga@client.example"  # her ticket B stays
BOT = "helpdesk@vendor.example"  # another desk's robot


def test_a_rating_moved_in_by_merge_does_not_rate_the_targets_closing(desk, sink):
    b = desk.ingest_tid(make_mail(sender=OLGA, subject="Rate B", msgid="<olga-1@client.example>"))
    a = desk.ingest_tid(make_mail(sender=IVAN, subject="Rate A", msgid="<ivan-1@shop.example>"))
    desk.ingest(staff_reply(b, "Решено B.\n#close"))
    desk.ingest(staff_reply(a, "Решено A.\n#close"))
    desk.ingest(make_mail(sender=IVAN, subject=f"Re: Обращение закрыто [TID#{a}]", body="5"))
    assert desk.ticket(a)["rating"] == 5
    closed_b = desk.ticket(b)["closed_at"]
    desk.ingest(staff_reply(a, f"#merge {b}"))
    t = desk.ticket(b)
    assert t["status"] == "closed" and t["closed_at"] == closed_b  # B's own closing
    # ivan's 5 is in B's thread now, moved with A's messages: it rated A's closing
    moved = [m["text"].strip() for m in t["messages"] if m["from"] == IVAN]
    assert moved[-1] == "5"
    assert t["rating"] is None
    assert [x["rating"] for x in desk.tickets("--requester", OLGA)] == [None]
    desk.flush()
    before = len(sink.to(OLGA))
    # olga rates B's closing: taken and thanked, not told she rated it already
    desk.ingest(make_mail(sender=OLGA, subject=f"Re: Обращение закрыто [TID#{b}]", body="4"))
    t = desk.ticket(b)
    assert t["status"] == "closed" and t["rating"] == 4
    desk.flush()
    got = [r.subject for r in sink.to(OLGA)[before:]]
    assert [s for s in got if "Спасибо за оценку" in s] and not [s for s in got if "уже" in s]
    # and her closing is rated once: a second rating leaves hers
    desk.ingest(make_mail(sender=OLGA, subject=f"Re: Обращение закрыто [TID#{b}]", body="2"))
    assert desk.ticket(b)["rating"] == 4


def test_the_merge_notice_is_not_sent_to_a_robot_the_merged_ticket_knows(desk, sink):
    # another desk's robot opens A and answers its confirmation with its own tag: a
    # robot there, no more automatic mail to it on A; olga's ticket B stays
    a = desk.ingest_tid(make_mail(sender=BOT, subject="Problem", msgid="<b0@vendor.example>"))
    b = desk.ingest_tid(make_mail(sender=OLGA, subject="Problem", msgid="<olga-1@client.example>"))
    desk.flush()
    [confirmation] = sink.to(BOT)
    mid = str(confirmation.msg["Message-ID"])
    answer = make_mail(
        sender=BOT,
        msgid="<bot-1@vendor.example>",
        subject=f"[Ticket#4455] Re: {confirmation.subject}",
        body="Ticket #4455 received. We will get back to you shortly.",
        headers={"In-Reply-To": mid, "References": mid},
    )
    assert desk.ingest_tid(answer) == a
    notes = [m["text"] for m in desk.ticket(a)["messages"] if m["kind"] == "note"]
    assert [n for n in notes if n.startswith(f"{BOT} — робот")]
    desk.flush()
    before = len(sink.received)
    desk.ingest(staff_reply(a, f"#merge {b}"))
    desk.flush()
    assert desk.ticket(a)["merged_into"] == b
    assert not [r for r in sink.received[before:] if BOT in r.rcpt_tos]
    # the thread of A says who the notice was held from, and why
    notes = [m["text"] for m in desk.ticket(a)["messages"] if m["text"].startswith("suppressed")]
    assert len(notes) == 1 and BOT in notes[0] and "робот" in notes[0], notes
    assert "merged.txt" in notes[0]
    # the robot is known in B too: «работа начата» goes to olga only
    desk.ingest(staff_reply(b, "#take"))
    desk.flush()
    assert [r for r in sink.to(OLGA) if "Работа по обращению начата" in r.subject]
    assert not [r for r in sink.received[before:] if BOT in r.rcpt_tos]
    # a staff answer is no automatic mail: the robot still gets that one, in B now
    desk.ingest(staff_reply(b, "Ответ всем."))
    desk.flush()
    assert [r for r in sink.to(BOT) if "Ответ всем." in r.text]
    assert [r for r in sink.to(OLGA) if "Ответ всем." in r.text]
