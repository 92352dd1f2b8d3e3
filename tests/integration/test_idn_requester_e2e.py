"""The requester of a ticket at a Cyrillic domain writes from either spelling of it
(boss@окна.рф from an EAI client, boss@xn--80atjc.xn--p1ai from an ordinary one, the
spelling our mail names him in): the same person, the requester in both, through the
real CLI. Their verified follow-up adds whom they copy (README "Trust"), their reply
to the confirmation's Reply-To (signed for the spelling they first wrote from)
proves them, and the registry gives them their license's level (README "Licenses")."""

from __future__ import annotations

import pytest

from tests.helpers import Desk, make_mail

OKNA, OKNA_A = "boss@окна.рф", "boss@xn--80atjc.xn--p1ai"
US = "mx.example.com"


def mail(sender: str, *, to: str = "support@example.com", subject: str = "Вопрос", **kw) -> bytes:
    """Mail From ``sender`` as its client writes it: raw UTF-8 headers from an EAI
    client (RFC 6532) for a Unicode domain, an ordinary mail otherwise."""
    headers = {"Cc": kw["cc"]} if kw.get("cc") else {}
    headers |= kw.get("headers") or {}
    if sender.isascii():
        return make_mail(sender=sender, to=to, subject=subject, headers=headers)
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (
        f"From: {sender}\r\nTo: {to}\r\n{extra}Subject: {subject}\r\n"
        f"Message-ID: <{abs(hash((sender, to, subject, extra)))}@client.example>\r\n"
        "Date: Wed, 25 Nov 2026 10:15:00 +0300\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Здравствуйте! Не открывается каталог.\r\n"
    ).encode()


def dkim(address: str) -> dict[str, str]:
    """Our MTA's verdict: DKIM and SPF pass for the domain of ``address``."""
    domain = address.rpartition("@")[2]
    return {"Authentication-Results": f"{US}; dkim=pass header.d={domain}; spf=pass"}


def confirmation_reply_to(desk: Desk, sink, tid: str) -> str:
    desk.flush()
    [conf] = [m for m in sink.received if f"[TID#{tid}]" in m.subject and "boss@" in m.rcpt_tos[0]]
    return conf.msg["Reply-To"].addresses[0].addr_spec


@pytest.mark.parametrize(("first", "then"), [(OKNA, OKNA_A), (OKNA_A, OKNA)])
def test_the_requesters_reply_from_the_other_spelling_to_their_address_adds_their_cc(
    desk, sink, first, then
):
    """Signed for the spelling the ticket keeps, the Reply-To proved nothing of a reply
    from the other one, and whom the requester copied was only shown to staff."""
    tid = desk.ingest_tid(mail(first))
    reply_to = confirmation_reply_to(desk, sink, tid)
    desk.ingest(mail(then, to=reply_to, subject=f"Re: [TID#{tid}]", cc="olga@x.ru"))
    t = desk.ticket(tid)
    assert "olga@x.ru" in t["participants"], t["participants"]
    assert t["requester"] == first


def test_the_requesters_proven_mail_from_the_other_spelling_adds_their_cc(tmp_path, sink):
    """DKIM-proven for xn--80atjc.xn--p1ai, the requester boss@окна.рф was taken for a
    participant, who speaks for no one else: olga was only shown to staff."""
    desk = Desk(tmp_path, sink.port, support={"authserv_id": US})
    tid = desk.ingest_tid(mail(OKNA, headers=dkim(OKNA_A)))
    follow = mail(OKNA_A, subject=f"Re: [TID#{tid}]", cc="olga@x.ru", headers=dkim(OKNA_A))
    desk.ingest(follow)
    assert "olga@x.ru" in desk.ticket(tid)["participants"]


@pytest.fixture
def licensed(tmp_path, sink) -> Desk:
    """A desk that grants a license only to proven mail, with boss@окна.рф on one."""
    desk = Desk(tmp_path, sink.port, support={"authserv_id": US})
    added = desk.run("license", "add", "--key", "K1", "--level", "vip", "--email", OKNA)
    assert added.code == 0, added.err
    return desk


def test_the_requesters_reply_to_the_confirmation_from_the_other_spelling_confirms_it(
    licensed, sink
):
    desk = licensed
    tid = desk.ingest_tid(mail(OKNA))  # unproven: free, the license's level owed
    assert desk.ticket(tid)["level"] == "free"
    reply_to = confirmation_reply_to(desk, sink, tid)
    desk.ingest(mail(OKNA_A, to=reply_to, subject=f"Re: [TID#{tid}]"))
    t = desk.ticket(tid)
    assert t["level"] == "vip", t["identification"]
    assert t["identification"]["reason"] == "адрес указан в лицензии K1"


def test_the_requesters_proven_mail_from_the_other_spelling_confirms_the_address(licensed):
    desk = licensed
    tid = desk.ingest_tid(mail(OKNA))
    desk.ingest(mail(OKNA_A, subject=f"Re: [TID#{tid}]", headers=dkim(OKNA_A)))
    assert desk.ticket(tid)["level"] == "vip"


def test_a_license_added_mid_ticket_raises_its_level_at_mail_from_the_other_spelling(desk):
    tid = desk.ingest_tid(mail(OKNA))
    assert desk.ticket(tid)["level"] == "free"
    added = desk.run("license", "add", "--key", "K1", "--level", "vip", "--email", OKNA)
    assert added.code == 0, added.err
    desk.ingest(mail(OKNA_A, subject=f"Re: [TID#{tid}]"))
    assert desk.ticket(tid)["level"] == "vip"
