"""A customer's own case number in their subject is no sign of another desk's robot,
end to end (`maild ingest`, a real aiosmtpd relay): a reply to our confirmation keeps
the subject, «Problem with Case 12345», and the customer had been taken for a robot
(audit): no acknowledgement, and their later mail reached no staff member's inbox."""

from __future__ import annotations

from tests.helpers import make_mail

IVAN = "ivan@shop.example"


def test_a_reply_keeping_the_customers_own_case_number_is_a_persons(desk, sink):
    own = "Problem with Case 12345 from your portal"
    tid = desk.ingest_tid(make_mail(sender=IVAN, subject=own))
    desk.flush()
    [confirmation] = sink.to(IVAN)
    mid = str(confirmation.msg["Message-ID"])
    reply = make_mail(
        sender=IVAN,
        subject=f"Re: {confirmation.subject}",
        body="Забыл добавить: ошибка 500 на оплате.",
        headers={"In-Reply-To": mid, "References": mid},
    )
    assert desk.ingest_tid(reply) == tid
    desk.flush()
    t = desk.ticket(tid)
    assert not t.get("robots"), t.get("robots")
    assert len(sink.to(IVAN)) == 2  # the acknowledgement of the reply
    staff = [r for r in sink.received if IVAN not in r.rcpt_tos and "ошибка 500" in r.text]
    assert staff, [r.subject for r in sink.received]
