"""Cyrillic (IDN) domains, common for Russian customers (.рф), through the real CLI:
a license or group registered as магазин.рф holds for mail from its xn-- form (how
ordinary clients send it) and the other way round (SMTPUTF8 clients send UTF-8); the
confirmation to boss@окна.рф reaches a relay without SMTPUTF8 in its A-label form."""

from __future__ import annotations

import pytest

from tests.helpers import AUTHSERV, Desk, Sink, make_mail, staff_to

OKNA, OKNA_A = "окна.рф", "xn--80atjc.xn--p1ai"
# our MTA's verdict on a first mail from boss@окна.рф: whom it copies join
PROVES_BOSS = f"Authentication-Results: {AUTHSERV}; dkim=pass header.d={OKNA_A}\r\n"
SHOP, SHOP_A = "магазин.рф", "xn--80aairftm.xn--p1ai"


def utf8_mail(sender: str, msgid: str) -> bytes:
    """Mail from an EAI client: raw UTF-8 in From (RFC 6532)."""
    return (
        f"From: {sender}\r\nTo: support@example.com\r\nSubject: Вопрос\r\n"
        f"Message-ID: <{msgid}@client.example>\r\nDate: Wed, 25 Nov 2026 10:15:00 +0300\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Здравствуйте! Не открывается каталог.\r\n"
    ).encode()


def ascii_mail(sender: str) -> bytes:
    return make_mail(sender=sender, subject="Вопрос")


@pytest.mark.parametrize(
    ("registered", "mail"),
    [
        (f"boss@{OKNA}", ascii_mail(f"boss@{OKNA_A}")),  # typed in Unicode, mail in xn--
        (f"Boss@{OKNA_A.upper()}", utf8_mail(f"boss@{OKNA}", "lic-u")),  # and the other way
        (f"boss@{OKNA.upper()}", utf8_mail(f"Boss@{OKNA}", "lic-c")),  # case, both sides
    ],
)
def test_a_license_holds_for_either_spelling_of_its_domain(desk, registered, mail):
    added = desk.run("license", "add", "--key", "K1", "--level", "vip", "--email", registered)
    assert added.code == 0, added.err
    t = desk.ticket(desk.ingest_tid(mail))
    assert t["level"] == "vip", t["identification"]
    assert t["identification"]["reason"] == "адрес указан в лицензии K1"
    assert desk.run("license", "list", "--json").json()[0]["emails"] == [registered.lower()]


@pytest.mark.parametrize(
    ("domain", "mail"),
    [
        (SHOP, ascii_mail(f"Иван <ivan@{SHOP_A}>")),
        (SHOP_A, utf8_mail(f"Иван <ivan@{SHOP}>", "grp-u")),
        ("Магазин.РФ", utf8_mail(f"ivan@{SHOP.upper()}", "grp-c")),
    ],
)
def test_a_group_holds_for_either_spelling_of_its_domain(desk, domain, mail):
    added = desk.run("group", "add", "--name", "Магазин", "--level", "standard", "--domain", domain)
    assert added.code == 0, added.err
    t = desk.ticket(desk.ingest_tid(mail))
    assert t["level"] == "standard", t["identification"]
    reason = t["identification"]["reason"]
    assert reason == f"входит в группу клиентов «Магазин» (домен {domain.lower()})"


def _each(option: str, values: list[str]) -> list[str]:
    return [arg for v in values for arg in (option, v)]


def test_one_address_in_two_spellings_is_registered_once(desk):
    emails = [f"boss@{OKNA}", f"BOSS@{OKNA_A}", "anna@x.ru"]
    r = desk.run("license", "add", "--key", "K1", "--level", "vip", *_each("--email", emails))
    assert r.code == 0, r.err
    assert desk.run("license", "list", "--json").json()[0]["emails"] == [
        f"boss@{OKNA}",
        "anna@x.ru",
    ]
    domains = [SHOP, SHOP_A.upper()]
    r = desk.run("group", "add", "--name", "G", "--level", "standard", *_each("--domain", domains))
    assert r.code == 0, r.err
    assert desk.run("group", "list", "--json").json()[0]["domains"] == [SHOP]


def test_forget_names_the_license_that_holds_the_address_in_the_other_spelling(desk):
    desk.run("license", "add", "--key", "K1", "--level", "vip", "--email", f"boss@{OKNA}")
    out = desk.run("forget", f"boss@{OKNA_A}", "--dry-run").out
    assert "still on license K1" in out


def test_the_confirmation_to_a_cyrillic_domain_reaches_a_relay_without_smtputf8(tmp_path):
    """The relay offers no SMTPUTF8: boss@окна.рф (an ASCII local part) goes as
    boss@xn--80atjc.xn--p1ai, where it was refused here with 5.6.7 and stayed queued."""
    relay = Sink(enable_SMTPUTF8=False).start()
    try:
        desk = Desk(tmp_path, relay.port)
        desk.run("license", "add", "--key", "K1", "--level", "vip", "--email", f"boss@{OKNA}")
        tid = desk.ingest_tid(utf8_mail(f"Босс <boss@{OKNA}>", "relay"))
        assert desk.ticket(tid)["level"] == "vip"
        flushed = desk.flush()
        assert flushed.code == 0, desk.run("outbox", "list").out
        [confirmation] = relay.to(f"boss@{OKNA_A}")
        assert f"[TID#{tid}]" in confirmation.subject
        assert desk.run("outbox", "list").out == "outbox is empty\n"
    finally:
        relay.stop()


def _ascii_head(raw: bytes) -> bool:
    return raw.partition(b"\r\n\r\n")[0].isascii()


def test_the_headers_name_a_cyrillic_domain_in_a_labels(tmp_path):
    """The relay offers no SMTPUTF8: the envelope went as boss@xn--80atjc.xn--p1ai,
    but To kept «boss@окна.рф» in raw UTF-8, 8-bit octets in a header over a session
    without SMTPUTF8 (RFC 6531 3.4, RFC 6532 3.3). Every participant at a Cyrillic
    domain with an ASCII local part is named in A-labels there, each copy's To the
    same as its envelope; an ASCII participant as before."""
    relay = Sink(enable_SMTPUTF8=False).start()
    try:
        desk = Desk(tmp_path, relay.port, support={"authserv_id": AUTHSERV})
        mail = utf8_mail(f"Босс <boss@{OKNA}>", "hdr").replace(
            b"To: support@example.com\r\n",
            f"To: support@example.com\r\nCc: Анна <anna@{SHOP}>, boris@x.ru\r\n".encode(),
        )
        tid = desk.ingest_tid(PROVES_BOSS.encode() + mail)  # DKIM: whom it copies join
        staff = make_mail(sender="anna@example.com", to=staff_to(tid), body="Проверим.")
        desk.ingest(staff)
        assert desk.flush().code == 0, desk.run("outbox", "list").out
        assert desk.run("outbox", "list").out == "outbox is empty\n"
        [confirmation] = [m for m in relay.to(f"boss@{OKNA_A}") if "Проверим" not in m.text]
        assert f"[TID#{tid}]" in confirmation.subject and _ascii_head(confirmation.raw)
        assert [a.addr_spec for a in confirmation.msg["To"].addresses] == [f"boss@{OKNA_A}"]
        everyone = {f"boss@{OKNA_A}", f"anna@{SHOP_A}", "boris@x.ru"}
        for rcpt in everyone:
            [answer] = [m for m in relay.to(rcpt) if "Проверим" in m.text]
            assert _ascii_head(answer.raw), answer.raw.partition(b"\r\n\r\n")[0]
            assert {a.addr_spec for a in answer.msg["To"].addresses} == everyone
    finally:
        relay.stop()


def eai_mail(sender: str, to: str, cc: str, subject: str, msgid: str) -> bytes:
    """Mail from an EAI client (raw UTF-8 headers) to `to`, copied to `cc`."""
    return (
        utf8_mail(sender, msgid)
        .replace(b"To: support@example.com\r\n", f"To: {to}\r\nCc: {cc}\r\n".encode())
        .replace("Subject: Вопрос".encode(), f"Subject: {subject}".encode())
    )


def test_a_reply_all_naming_a_participant_in_a_labels_adds_no_second_copy(dkim_desk, sink):
    """Our mail names anna@магазин.рф as anna@xn--80aairftm.xn--p1ai; the requester's
    reply-all copies her so. Compared as written, she joined a second time (two copies
    of every answer), and one staff took off the ticket joined again."""
    desk = dkim_desk
    boss, anna = f"boss@{OKNA}", f"anna@{SHOP}"
    first = eai_mail(boss, "support@example.com", anna, "Окна", "first")
    tid = desk.ingest_tid(PROVES_BOSS.encode() + first)  # DKIM: anna joins
    assert desk.ticket(tid)["participants"] == [anna, boss]
    desk.ingest(make_mail(sender="anna@example.com", to=staff_to(tid), body="Проверим."))
    desk.flush()
    [mine] = [m for m in sink.to(boss) if "Проверим" in m.text]
    named = [a.addr_spec for a in mine.msg["To"].addresses]
    assert f"anna@{SHOP_A}" in named  # (the test's premise: the header's spelling)
    reply_to = mine.msg["Reply-To"].addresses[0].addr_spec
    cc = ", ".join([*named, "olga@x.ru"])
    desk.ingest(eai_mail(boss, reply_to, cc, f"Re: [TID#{tid}]", "second"))
    assert desk.ticket(tid)["participants"] == [anna, boss, "olga@x.ru"]
    desk.ingest(make_mail(sender="anna@example.com", to=staff_to(tid), body=f"#uncc {anna}"))
    assert desk.ticket(tid)["removed"] == [anna]
    desk.ingest(eai_mail(boss, reply_to, cc, f"Re: [TID#{tid}]", "third"))
    assert desk.ticket(tid)["participants"] == [boss, "olga@x.ru"]


def test_a_reply_from_the_a_label_spelling_joins_the_customers_ticket(desk):
    """boss@окна.рф wrote from an EAI client, then answers from an ordinary one, as
    boss@xn--80atjc.xn--p1ai (the spelling our mail names him in): the same mailbox,
    their own ticket, not a stranger's new one."""
    tid = desk.ingest_tid(utf8_mail(f"Босс <boss@{OKNA}>", "eai"))
    reply = make_mail(sender=f"Босс <boss@{OKNA_A}>", subject=f"Re: Вопрос [TID#{tid}]")
    assert desk.ingest_tid(reply) == tid
    assert len(desk.tickets()) == 1


def test_a_domain_typed_with_a_fullwidth_or_ideographic_dot_is_the_one_mail_comes_from(desk):
    """«магазин．рф» (a fullwidth full stop, as a Chinese or Japanese keyboard types it)
    and «окна。рф» are магазин.рф and окна.рф to the mail system. As typed, the group's
    and the license's entries matched no mail from those domains: they are stored as
    the domains they name."""
    r = desk.run(
        "group", "add", "--name", "Магазин", "--level", "standard", "--domain", "магазин\uff0eрф"
    )
    assert r.code == 0, r.err
    r = desk.run("license", "add", "--key", "K1", "--level", "vip", "--email", "boss@окна\u3002рф")
    assert r.code == 0, r.err
    assert desk.run("group", "list", "--json").json()[0]["domains"] == [SHOP]
    assert desk.run("license", "list", "--json").json()[0]["emails"] == [f"boss@{OKNA}"]
    shop = desk.ticket(desk.ingest_tid(ascii_mail(f"ivan@{SHOP_A}")))
    assert shop["level"] == "standard", shop["identification"]
    boss = desk.ticket(desk.ingest_tid(utf8_mail(f"boss@{OKNA}", "dot-b")))
    assert boss["level"] == "vip", boss["identification"]
