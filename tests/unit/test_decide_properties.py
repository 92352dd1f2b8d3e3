"""Properties of the pure decision over open-ended mail: whoever writes, with whatever
To/Cc, subject, commands and robot headers, and whatever the snapshot says they
proved. What a public support address must hold (developers' guide, "Outsiders
cannot use maild"): no relayed text and no command from an unverified staff address,
nobody joins a ticket by writing Cc, no automatic mail back to an automated sender,
every mail goes to the support side or to the ticket's own people."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maild.domain import ticket as tk
from maild.domain.message import parse
from maild.domain.sender import identify
from maild.domain.snapshot import Snapshot
from tests.helpers import make_mail
from tests.unit.test_decide import CUSTOMER, LICENSE, NOW, STAFF, SUPPORT, _decide, _ticket

STRANGERS = ("eve@elsewhere.example", "bot@other-desk.example", "olga@shop-example.ru")
SENDERS = (CUSTOMER, *STAFF, *STRANGERS)
ADDRESSES = (SUPPORT, "support+x@example.com", CUSTOMER, *STAFF, *STRANGERS)
BODIES = (
    "Не работает оформление заказа.",
    "#close",
    "#note только для своих",
    "Ответ клиенту.\n#wait",
    "#cc eve@elsewhere.example\nДобавьте коллегу.",
    "#spam domain",
    "#assign boris@example.com",
    "статус?",
    "5",
    "",
)
ROBOT_HEADERS = ({}, {"Auto-Submitted": "auto-replied"}, {"Precedence": "bulk"})


@st.composite
def mails(draw: st.DrawFn) -> tuple[str, bytes]:
    sender = draw(st.sampled_from(SENDERS))
    to = draw(st.lists(st.sampled_from(ADDRESSES), min_size=1, max_size=4, unique=True))
    cc = draw(st.lists(st.sampled_from(ADDRESSES), max_size=3, unique=True))
    tagged = draw(st.booleans())
    headers = dict(draw(st.sampled_from(ROBOT_HEADERS)))
    if cc:
        headers["Cc"] = ", ".join(cc)
    raw = make_mail(
        sender=sender,
        to=", ".join(to),
        subject="Re: Заказ [TID#1111-2222]" if tagged else "Вопрос",
        body=draw(st.sampled_from(BODIES)),
        headers=headers,
        msgid=f"<m{draw(st.integers(0, 10**6))}@client.example>",
    )
    return sender, raw


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mail=mails(),
    existing=st.booleans(),
    closed=st.booleans(),
    staff_verified=st.booleans(),
    requester_verified=st.booleans(),
)
def test_outsiders_cannot_use_the_desk(
    mail: tuple[str, bytes],
    existing: bool,
    closed: bool,
    staff_verified: bool,
    requester_verified: bool,
) -> None:
    sender, raw = mail
    msg = parse(raw)
    is_staff = sender in STAFF
    verified = is_staff and staff_verified
    ticket, messages = _ticket()
    if closed:
        ticket = dict(ticket, status="closed", closed_at=NOW.isoformat())
    ident = identify(sender, [LICENSE], [], NOW.date())
    # as snapshot.gather finds it: a sender who may not write into the ticket opens a
    # new one (domain rule ticket.may_append)
    existing = existing and tk.may_append(ticket, sender, ident, STAFF)
    loaded = (ticket, messages) if existing else None
    snap = Snapshot(
        "1111-2222" if existing else "5555-0001",
        loaded,
        ident,
        verified,
        requester_verified=requester_verified,
    )
    d = _decide(snap, msg)

    automated = bool(msg.headers.get("auto-submitted") or msg.headers.get("precedence"))
    people = {d.ticket["requester"], *d.ticket.get("participants", ())}
    for out in d.outgoing:
        # mail goes to the support side or to the ticket's own people, never elsewhere
        assert set(out.to) <= {*STAFF, *people}, (out.template, out.to)
        if automated:  # no automatic mail back to an automated sender
            assert sender not in out.to or out.kind == "notice" and sender in STAFF
        if out.kind == "staff":  # text relayed to customers: only from verified staff
            assert verified
    if d.outcome == "new":  # a first mail proves no From here (POLICY: no authserv_id)
        assert d.ticket["participants"] == [d.ticket["requester"]]
    if existing and not verified:
        # no command ran, nobody joined by To/Cc without proof
        assert d.ticket.get("assignee") == ticket.get("assignee")
        if not requester_verified or sender != CUSTOMER:
            assert set(d.ticket["participants"]) <= set(ticket["participants"])
        if is_staff:
            assert d.ticket["status"] == ticket["status"]
            assert d.outcome != "spam"
    if not existing:
        assert d.outcome == "new" and d.tid == "5555-0001"
        assert d.ticket["requester"] == sender
        # To/Cc of a new ticket add customers only: never staff or the support address
        others = set(d.ticket["participants"]) - {sender}
        assert not others & {*STAFF, SUPPORT, "support+x@example.com"}
