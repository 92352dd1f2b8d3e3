"""#merge and what the merged ticket brings along, end to end (the real CLI, a real
aiosmtpd relay sink): a rating of the merged ticket's closing is no rating of the
target's closing."""

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


def test_the_merged_tickets_customer_does_not_rate_the_targets_closing(desk, sink):
    a = desk.ingest_tid(make_mail(sender=IVAN, subject="Checkout", msgid="<ivan-9@shop.example>"))
    b = desk.ingest_tid(make_mail(sender=OLGA, subject="Login", msgid="<olga-9@client.example>"))
    desk.ingest(staff_reply(a, "Решено A.\n#close"))
    desk.ingest(staff_reply(b, "Решено B.\n#close"))
    desk.ingest(make_mail(sender=OLGA, subject=f"Re: Обращение закрыто [TID#{b}]", body="3"))
    desk.ingest(staff_reply(b, f"#merge {a}"))
    desk.flush()
    before = len(sink.to(OLGA))
    # olga answers B's closing letter: mail of B goes on to A, her «5» rated B's closing
    desk.ingest(make_mail(sender=OLGA, subject=f"Re: Обращение закрыто [TID#{b}]", body="5"))
    # and under A's tag (she joined A by the merge): no rating of A's closing either
    desk.ingest(make_mail(sender=OLGA, subject=f"Re: Обращение закрыто [TID#{a}]", body="4"))
    t = desk.ticket(a)
    assert t["status"] == "closed" and t["rating"] is None
    assert [m["text"].strip() for m in t["messages"] if m["from"] == OLGA][-2:] == ["5", "4"]
    desk.flush()
    got = [r.subject for r in sink.to(OLGA)[before:]]
    assert not [s for s in got if "Спасибо за оценку" in s or "уже" in s]
    # ivan rates his own closing: taken and thanked
    desk.ingest(make_mail(sender=IVAN, subject=f"Re: Обращение закрыто [TID#{a}]", body="2"))
    t = desk.ticket(a)
    assert t["status"] == "closed" and t["rating"] == 2
    desk.flush()
    assert [r for r in sink.to(IVAN) if "Спасибо за оценку" in r.subject]


def test_the_merged_tickets_customer_in_the_other_spelling_does_not_rate_it_either(desk, sink):
    """As above, olga at a Cyrillic domain: her ticket's mail came from olga@окна.рф,
    her rating under A's tag from olga@xn--80atjc.xn--p1ai. Her first mail in A's
    thread was looked up as written: none found, she rated A's closing."""
    from tests.integration.test_idn_staff_e2e import mail

    olga_u, olga_a = "olga@окна.рф", "olga@xn--80atjc.xn--p1ai"
    a = desk.ingest_tid(make_mail(sender=IVAN, subject="Checkout", msgid="<ivan-8@shop.example>"))
    b = desk.ingest_tid(mail(olga_u, "support@example.com", "Login", "Не могу войти."))
    desk.ingest(staff_reply(a, "Решено A.\n#close"))
    desk.ingest(staff_reply(b, "Решено B.\n#close"))
    desk.ingest(mail(olga_u, "support@example.com", f"Re: Обращение закрыто [TID#{b}]", "3"))
    desk.ingest(staff_reply(b, f"#merge {a}"))
    desk.ingest(make_mail(sender=olga_a, subject=f"Re: Обращение закрыто [TID#{a}]", body="4"))
    t = desk.ticket(a)
    assert t["status"] == "closed" and t["rating"] is None
    desk.ingest(make_mail(sender=IVAN, subject=f"Re: Обращение закрыто [TID#{a}]", body="2"))
    assert desk.ticket(a)["rating"] == 2
