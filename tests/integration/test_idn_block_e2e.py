"""The block list and the caps on automatic mail take a Cyrillic (IDN) domain's two
spellings, Unicode (окна.рф) and A-labels (xn--80atjc.xn--p1ai), as one, through the
real CLI: an admin who blocks one spelling blocks the other (the quarantine, the
sender's withdrawal, `block add`'s refusal of the desk's own domain), and a sender
alternating the spellings meets one cap, not two."""

from __future__ import annotations

import pytest

from tests.helpers import Desk, make_mail, staff_to

OKNA, OKNA_A = "окна.рф", "xn--80atjc.xn--p1ai"
SPAM_U, SPAM_A = f"spam@{OKNA}", f"spam@{OKNA_A}"
DESK_U, DESK_A = "поддержка.рф", "xn--80ahaefyxhn.xn--p1ai"


def utf8_mail(sender: str, msgid: str, subject: str = "Вопрос") -> bytes:
    """Mail from an EAI client: raw UTF-8 in From (RFC 6532)."""
    return (
        f"From: {sender}\r\nTo: support@example.com\r\nSubject: {subject}\r\n"
        f"Message-ID: <{msgid}@client.example>\r\nDate: Wed, 25 Nov 2026 10:15:00 +0300\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Здравствуйте! Не открывается каталог.\r\n"
    ).encode()


def mail_from(sender: str, n: int = 1) -> bytes:
    """Mail from `sender` as its client would write it: UTF-8 for a Unicode domain."""
    if sender.isascii():
        return make_mail(sender=sender, subject=f"Вопрос {n}", msgid=f"<q{n}@client.example>")
    return utf8_mail(sender, f"q{n}", f"Вопрос {n}")


def held_once_blocked(desk, entry: str, sender: str) -> dict:
    """`block add entry`, then mail from `sender`: its one quarantine entry (no ticket)."""
    added = desk.run("block", "add", entry)
    assert added.code == 0, added.err
    r = desk.ingest(mail_from(sender))
    assert r.code == 0, r.err
    [held] = desk.run("spam", "list", "--json").json()
    assert desk.run("ticket", "list", "--json").json() == []
    return held


@pytest.mark.parametrize(
    ("entry", "sender"),
    [
        (SPAM_U, SPAM_A),  # the address typed in Unicode, mail in A-labels
        (SPAM_A, SPAM_U),  # and the other way
        (OKNA, SPAM_A),  # the domain typed in Unicode
        (OKNA_A.upper(), SPAM_U),  # the domain in A-labels (and case)
        ("окна.РФ", f"Spam@mx.{OKNA_A}"),  # a subdomain, case in Cyrillic
    ],
)
def test_a_block_in_one_spelling_quarantines_mail_from_the_other(desk, sink, entry, sender):
    held = held_once_blocked(desk, entry, sender)
    assert held["from"].lower() == sender.lower()
    assert desk.flush().code == 0
    assert sink.received == []  # no confirmation, nothing to staff
    # `block list` shows the entry as the admin typed it
    assert desk.run("block", "list", "--json").json() == [entry.lower()]


@pytest.mark.parametrize("spelling", ["hand-edited list", "block add"])
def test_queued_automatic_mail_to_the_other_spelling_is_withdrawn(desk, sink, spelling):
    """The confirmation queued to spam@окна.рф, then the domain blocked in A-labels:
    the sender's look at a hand-edited list withdraws it, as `block add` does."""
    desk.ingest(mail_from(SPAM_U))
    if spelling == "block add":
        r = desk.run("block", "add", OKNA_A)
        assert "withdrew 1 queued automatic mail(s)" in r.out, r.out + r.err
    else:
        (desk.root / "data" / "blocklist.json").write_text(f'["{OKNA_A}"]\n', "utf-8")
    assert desk.flush().code == 0
    customer = [m for m in sink.received if any(OKNA_A in a or OKNA in a for a in m.rcpt_tos)]
    assert customer == []
    sent = desk.run("outbox", "list", "--sent", "--json").json()
    [withdrawn] = [m for m in sent if m.get("withdrawn")]
    assert withdrawn["withdrawn"] == "blocked" and withdrawn["kind"] == "confirmation"


def test_the_caps_count_both_spellings_as_one_mailbox(tmp_path, sink):
    """A robot writing from ivan@окна.рф and ivan@xn--80atjc.xn--p1ai in turn: with a
    cap of two a day, two confirmations go in all, not two to each spelling."""
    desk = Desk(tmp_path, sink.port, support={"max_auto_replies_per_day": 2})
    tids = [
        desk.ingest_tid(mail_from(f"ivan@{OKNA}" if n % 2 else f"ivan@{OKNA_A}", n))
        for n in range(1, 5)
    ]
    assert desk.flush().code == 0
    to_ivan = [m for m in sink.received if any(a.startswith("ivan@") for a in m.rcpt_tos)]
    assert len(to_ivan) == 2, [(m.rcpt_tos, m.subject) for m in to_ivan]
    notes = [
        m["text"]
        for tid in tids[2:]
        for m in desk.ticket(tid)["messages"]
        if m["kind"] == "note" and m["text"].startswith("Не отправлено")
    ]
    assert len(notes) == 2 and all("адресу в сутки" in n for n in notes), notes


@pytest.mark.parametrize(
    ("support", "entry"),
    [
        (f"support@{DESK_U}", DESK_A),
        (f"support@{DESK_U}", f"support@{DESK_A}"),
        (f"support@{DESK_A}", DESK_U),
        (f"support@{DESK_A}", f"Support@{DESK_U.upper()}"),
    ],
)
def test_block_add_refuses_the_desks_own_domain_in_the_other_spelling(
    tmp_path, sink, support, entry
):
    desk = Desk(tmp_path, sink.port, support={"address": support})
    r = desk.run("block", "add", entry)
    assert r.code == 1, r.out + r.err
    assert "the desk's own address" in r.err and support in r.err
    assert desk.run("block", "list", "--json").json() == []


def test_automatic_mail_is_kept_back_from_the_other_spelling_till_unblocked(desk, sink):
    """ivan@окна.рф's ticket, the address blocked in A-labels: #take's «работа начата»
    is not queued to it (the note names the entry as typed); `block remove` of that
    entry queues it."""
    customer, entry = f"ivan@{OKNA}", f"ivan@{OKNA_A}"
    tid = desk.ingest_tid(mail_from(customer))
    assert desk.flush().code == 0
    assert desk.run("block", "add", entry).code == 0
    staff = make_mail(
        sender="anna@example.com", to=staff_to(tid), subject=f"Re: [TID#{tid}]", body="#take"
    )
    desk.ingest(staff)
    assert desk.flush().code == 0
    to_ivan = [m for m in sink.received if any(a.startswith("ivan@") for a in m.rcpt_tos)]
    assert len(to_ivan) == 1  # the confirmation alone
    notes = [m["text"] for m in desk.ticket(tid)["messages"] if m["kind"] == "note"]
    [held] = [t for t in notes if t.startswith("Не отправлено")]
    assert f"клиенту {customer}" in held and f"(«{entry}»)" in held
    r = desk.run("block", "remove", entry)
    assert "«работа начата» it held back, of 1 ticket(s)" in r.out, r.out + r.err
    assert desk.flush().code == 0
    to_ivan = [m for m in sink.received if any(a.startswith("ivan@") for a in m.rcpt_tos)]
    assert len(to_ivan) == 2 and f"[TID#{tid}]" in to_ivan[1].subject


@pytest.mark.parametrize(
    ("listed", "typed"), [(OKNA, OKNA_A), (OKNA_A, "окна.РФ"), (SPAM_A, SPAM_U)]
)
def test_block_add_of_the_other_spelling_says_it_is_listed(desk, listed, typed):
    """A second entry for one domain: `block remove` of one left the other blocking."""
    assert desk.run("block", "add", listed).code == 0
    r = desk.run("block", "add", typed)
    assert r.code == 0, r.err
    assert r.out == f"{typed.lower()}: nothing to change (listed as {listed})\n"
    assert desk.run("block", "list", "--json").json() == [listed]


@pytest.mark.parametrize(("listed", "typed"), [(OKNA, OKNA_A), (OKNA_A, OKNA), (SPAM_U, SPAM_A)])
def test_block_remove_of_the_other_spelling_removes_the_listed_entry(desk, sink, listed, typed):
    """`block remove xn--80atjc.xn--p1ai` said «nothing to change» while окна.рф kept
    quarantining the domain's mail."""
    assert desk.run("block", "add", listed).code == 0
    r = desk.run("block", "remove", typed)
    assert r.code == 0, r.err
    assert r.out == f"unblocked {listed}\n"
    assert desk.run("block", "list", "--json").json() == []
    assert desk.ingest(mail_from(SPAM_U)).out.startswith("new [TID#")


def test_block_remove_takes_off_each_spelling_a_hand_edited_list_has(desk):
    assert desk.run("block", "add", "x.ru").code == 0  # (the data folder made)
    entries = f'["{OKNA}", "x.ru", "{OKNA_A}"]\n'
    (desk.root / "data" / "blocklist.json").write_text(entries, "utf-8")
    r = desk.run("block", "remove", OKNA_A.upper())
    assert r.out == f"unblocked {OKNA}, {OKNA_A}\n", r.out + r.err
    assert desk.run("block", "list", "--json").json() == ["x.ru"]


# -- the spellings the mail system takes for the same domain ----------------------
# IDNA (Python's codec, UTS 46 in postfix's SMTPUTF8 support) reads an ideographic,
# fullwidth or halfwidth full stop as a dot and a fullwidth letter as the letter;
# postfix strips the trailing dot of a domain (trivial-rewrite) and DNS takes
# «example.com.» for example.com: mail to each goes to the one mailbox.


@pytest.mark.parametrize(
    ("entry", "sender"),
    [
        (OKNA, "spam@окна。рф"),  # an ideographic full stop (a CJK input method)
        (SPAM_U, "spam@ОКНА．РФ"),  # a fullwidth one
        ("окна。рф", SPAM_A),  # typed so, mail in A-labels
        ("spam@окна｡рф", SPAM_U),  # a halfwidth one
        ("promo.example.", "spam@promo.example"),  # a domain copied from dig's output
        ("spam@promo.example.", "Spam@promo.example"),
        ("promo.example", "spam@ｐromo.example"),  # a fullwidth letter
    ],
)
def test_a_block_covers_the_spellings_the_mail_system_takes_for_one(desk, sink, entry, sender):
    """Each came through as a customer's: the entry covered the domain as written."""
    assert held_once_blocked(desk, entry, sender)["reason"] == "blocked"
    assert desk.run("block", "list", "--json").json() == [entry.lower()]


@pytest.mark.parametrize(
    ("listed", "typed"),
    [(OKNA, "окна。рф"), ("promo.example", "promo.example."), (SPAM_A, "spam@окна．рф")],
)
def test_block_add_and_remove_take_those_spellings_as_the_entry_listed(desk, listed, typed):
    assert desk.run("block", "add", listed).code == 0
    r = desk.run("block", "add", typed)
    assert r.out == f"{typed.lower()}: nothing to change (listed as {listed})\n", r.out + r.err
    assert desk.run("block", "remove", typed).out == f"unblocked {listed}\n"
    assert desk.run("block", "list", "--json").json() == []


@pytest.mark.parametrize(
    ("entry", "sender"),
    [
        ("strasse.de", "spam@straße.de"),  # IDNA 2003 maps ß to ss: two domains
        ("straße.de", "spam@strasse.de"),
        ("promo.example", "spam@promo.example.evil.example"),
        ("spam@promo.example", "spam2@promo.example"),
    ],
)
def test_a_block_covers_no_other_domain(desk, sink, entry, sender):
    assert desk.run("block", "add", entry).code == 0
    assert desk.ingest(mail_from(sender)).out.startswith("new [TID#")


def test_the_caps_count_the_spellings_of_one_domain_as_one_mailbox(tmp_path, sink):
    """A forged From in four spellings of one domain the mail system delivers alike:
    with a cap of two a day, two confirmations in all (it was one cap per spelling)."""
    desk = Desk(tmp_path, sink.port, support={"max_auto_replies_per_day": 2})
    senders = [f"ivan@{OKNA}", "ivan@окна。рф", "ivan@окна．рф", "ivan@ОКНА｡РФ"]
    for n, sender in enumerate(senders, 1):
        desk.ingest(mail_from(sender, n))
    assert desk.flush().code == 0
    to_ivan = [m for m in sink.received if any(a.startswith("ivan@") for a in m.rcpt_tos)]
    assert len(to_ivan) == 2, [(m.rcpt_tos, m.subject) for m in to_ivan]


@pytest.mark.parametrize("entry", ["example.com.", "EXAMPLE。COM", "support@ｅxample.com"])
def test_block_add_refuses_the_desks_own_domain_in_those_spellings(desk, entry):
    """Taken as written, the entry was listed and blocked nothing: the admin thought
    the domain blocked (and, were it read as the mail system reads it, staff mail)."""
    r = desk.run("block", "add", entry)
    assert r.code == 1 and "the desk's own address" in r.err, r.out + r.err
    assert desk.run("block", "list", "--json").json() == []


def test_a_from_with_a_trailing_dot_is_that_address(desk, sink):
    """«spam@promo.example.», postfix's route to spam@promo.example, was read as no
    address at all: a blocked spammer's mail went past the block to staff as a new
    ticket. Now it is the address, blocked; a customer's such From is his requester
    address and gets his confirmation."""
    assert desk.run("block", "add", "promo.example").code == 0
    spam = make_mail(sender="Spam <spam@promo.example.>", subject="Купите", msgid="<s1@x>")
    assert desk.ingest(spam).out.startswith("quarantined ")
    tid = desk.ingest_tid(make_mail(sender="ivan@shop-example.ru.", msgid="<c1@x>"))
    assert desk.ticket(tid)["requester"] == "ivan@shop-example.ru"
    assert desk.flush().code == 0
    assert [m.subject for m in sink.to("ivan@shop-example.ru")]
