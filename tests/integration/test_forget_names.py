"""`maild forget` and the erased person's display name in others' mail: Petr's mail
names Ivan in its Cc and quotes «Иван Петров <ivan@...> wrote:». Its raw spool copy
is kept, and loses Ivan's name as it loses his address: «[удалено по запросу]» where
the name stood, the placeholder address where the address did, as the ticket's text
reads after the erasure; the rest of the mail stays byte for byte. End to end
through the `maild` CLI; the copies are read back from disk."""

from __future__ import annotations

import binascii
import email
import email.policy
from email.header import decode_header, make_header
from pathlib import Path

import pytest

from maild.app import App
from maild.config import load
from tests.helpers import Desk, dead_port, make_mail

GONE = "ivan@shop.ru"
NAME = "Иван Петров"
PLACEHOLDER = "forgotten@invalid"
ERASED = "[удалено по запросу]"
PETR_TEXT = (
    "Заказ 55 завис, коллега в копии.\n\n"
    f"пн, 30 нояб. 2026 г. в 10:00, {NAME} <{GONE}>:\n"
    "> Петр, проверь заказ 55, пожалуйста.\n"
)


def _copy(desk: Desk, msgid: str) -> bytes:
    for folder in ("cur", "new", "bad"):
        for path in (desk.root / "data" / "spool" / folder).iterdir():
            data = path.read_bytes()
            if msgid.encode() in data:
                return data
    raise AssertionError(f"no spool copy of {msgid}")


def _read(raw: bytes) -> str:
    """The mail as a reader sees it: headers decoded, and every text part."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    out = [f"{k}: {v}" for k, v in msg.items()]
    out += [p.get_content() for p in msg.walk() if p.get_content_maintype() == "text"]
    return "\n".join(out)


def _desk_with_ivan_and_petr(tmp_path: Path, charset: str = "utf-8") -> tuple[Desk, str, bytes]:
    desk = Desk(tmp_path, dead_port())
    desk.ingest_tid(make_mail(sender=f"{NAME} <{GONE}>", subject="Мой вопрос"))
    petr = make_mail(
        sender="Петр Сидоров <petr@shop.ru>",
        subject="Заказ завис",
        body=PETR_TEXT,
        charset=charset,
        msgid="<p1@shop.ru>",
        headers={"Cc": f"{NAME} <{GONE}>, Ольга <olga@shop.ru>"},
    )
    return desk, desk.ingest_tid(petr), petr


@pytest.mark.parametrize("charset", ["utf-8", "cp1251", "koi8-r"])
def test_forget_takes_their_name_out_of_anothers_spool_copy(tmp_path: Path, charset) -> None:
    """The text in UTF-8 (8bit), windows-1251 and KOI8-R (quoted-printable or base64,
    as the email package sends them), the Cc name in encoded words."""
    desk, tid, petr = _desk_with_ivan_and_petr(tmp_path, charset)
    assert NAME in _read(_copy(desk, "<p1@shop.ru>"))

    r = desk.run("forget", GONE)
    assert r.code == 0, r.err

    copy = _copy(desk, "<p1@shop.ru>")
    shown = _read(copy)
    assert NAME not in shown and GONE not in shown.lower()
    assert GONE.encode() not in copy.lower()
    assert not any(NAME.encode(c) in copy for c in ("utf-8", "cp1251", "koi8-r"))
    msg = email.message_from_bytes(copy, policy=email.policy.default)
    assert str(msg["Cc"]) == f'"{ERASED}" <{PLACEHOLDER}>, Ольга <olga@shop.ru>'
    assert str(msg["From"]) == "Петр Сидоров <petr@shop.ru>"  # Petr's stays
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text == PETR_TEXT.replace(NAME, ERASED).replace(GONE, PLACEHOLDER)
    # the ticket's text reads the same
    [first] = [m for m in desk.ticket(tid)["messages"] if m["direction"] == "in"]
    assert first["text"].strip() == text.strip()
    # every other byte of the mail stays: its other headers, in their order
    keep = ("Message-ID", "Date", "Subject", "To")
    before = email.message_from_bytes(petr, policy=email.policy.default)
    assert [str(msg[k]) for k in keep] == [str(before[k]) for k in keep]
    assert list(msg.keys()) == list(before.keys())


def test_forget_takes_their_name_out_of_anothers_waiting_mail(tmp_path: Path) -> None:
    """Petr's mail waiting in spool/new (maild serve stopped) loses the name too."""
    desk, _tid, _petr = _desk_with_ivan_and_petr(tmp_path)
    waiting = make_mail(
        sender="Петр Сидоров <petr@shop.ru>",
        subject="Ещё",
        body=f"{NAME} <{GONE}> писал:\n> спасибо\n",
        msgid="<p2@shop.ru>",
    )
    App(load(desk.config)).spool.add(waiting)
    assert desk.run("forget", GONE).code == 0
    copy = _copy(desk, "<p2@shop.ru>")
    assert NAME not in _read(copy) and f"{ERASED} <{PLACEHOLDER}> писал:" in _read(copy)


def test_a_name_of_one_word_goes_only_beside_the_address(tmp_path: Path) -> None:
    """«Иван» is a word of Petr's own text too: it stays there, and goes where it
    names the erased mailbox."""
    desk = Desk(tmp_path, dead_port())
    desk.ingest_tid(make_mail(sender=f"Иван <{GONE}>", subject="Мой вопрос"))
    body = f"Иван Сидоров из бухгалтерии в курсе.\n\nИван <{GONE}> писал:\n> привет\n"
    petr = make_mail(sender="petr@shop.ru", body=body, msgid="<p3@shop.ru>")
    tid = desk.ingest_tid(petr)
    assert desk.run("forget", GONE).code == 0
    shown = _read(_copy(desk, "<p3@shop.ru>"))
    assert "Иван Сидоров из бухгалтерии в курсе." in shown
    assert f"{ERASED} <{PLACEHOLDER}> писал:" in shown
    [first] = [m for m in desk.ticket(tid)["messages"] if m["direction"] == "in"]
    assert first["text"].startswith("Иван Сидоров из бухгалтерии в курсе.")
    assert f"{ERASED} <{PLACEHOLDER}> писал:" in first["text"]


@pytest.mark.parametrize("charset", ["cp1251", "koi8-r"])
def test_a_latin_name_in_an_8bit_part_is_erased_in_the_parts_charset(tmp_path, charset) -> None:
    """«John Smith» is the same bytes in UTF-8 and in a windows-1251 (KOI8-R) part
    sent 8bit: the placeholder that replaces it is written in the part's charset.
    (Petr's mail names Ivan's address in its Cc: forget reads it.)"""
    desk = Desk(tmp_path, dead_port())
    desk.ingest_tid(make_mail(sender=f"John Smith <{GONE}>", subject="Мой вопрос"))
    petr = (
        "From: petr@shop.ru\r\nTo: support@example.com\r\nSubject: Звонок\r\n"
        f"Cc: {GONE}\r\nMessage-ID: <p4@shop.ru>\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: 8bit\r\n"
        "\r\nКоллега John Smith просил перезвонить.\r\n"
    ).encode(charset)
    desk.ingest_tid(petr)
    assert desk.run("forget", GONE).code == 0
    copy = _copy(desk, "<p4@shop.ru>")
    assert copy.split(b"\r\n\r\n", 1)[1] == f"Коллега {ERASED} просил перезвонить.\r\n".encode(
        charset
    )
    assert f"Коллега {ERASED} просил перезвонить." in _read(copy)


_LATIN = "José García"


@pytest.mark.parametrize(
    ("charset", "name", "encoding"),
    [
        ("iso-8859-5", NAME, "8bit"),
        ("cp866", NAME, "8bit"),
        ("iso-8859-1", _LATIN, "8bit"),
        ("windows-1251", NAME, "8bit"),
        ("koi8-r", NAME, "8bit"),
        ("utf-8", NAME, "8bit"),
        ("utf-8", _LATIN, "8bit"),
        ("iso-8859-1", _LATIN, "quoted-printable"),
    ],
)
def test_a_name_goes_from_a_part_in_any_charset_it_declares(tmp_path, charset, name, encoding):
    """A part sent 8bit (or quoted-printable) in the charset it declares, whichever:
    the name goes, the placeholder written in that charset (ERASED_ASCII in latin-1,
    which has no Cyrillic letters); the rest of the part stays byte for byte."""
    desk = Desk(tmp_path, dead_port())
    desk.ingest_tid(make_mail(sender=f"{name} <{GONE}>", subject="Мой вопрос"))
    latin = name == _LATIN
    text = "Colleague {} asked to call back." if latin else "Коллега {} просил перезвонить."
    body = text.format(name).encode(charset)
    body = (binascii.b2a_qp(body) if encoding == "quoted-printable" else body) + b"\r\n"
    petr = (
        "From: petr@shop.ru\r\nTo: support@example.com\r\nSubject: Call\r\n"
        f"Cc: {GONE}\r\nMessage-ID: <p5@shop.ru>\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset={charset}\r\n"
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    ).encode() + body
    desk.ingest_tid(petr)
    assert desk.run("forget", GONE).code == 0
    copy = _copy(desk, "<p5@shop.ru>")
    assert name.encode(charset) not in copy and name not in _read(copy)
    erased = "[erased on request]" if charset == "iso-8859-1" else ERASED
    after = copy.split(b"\r\n\r\n", 1)[1].removesuffix(b"\r\n")
    after = binascii.a2b_qp(after) if encoding == "quoted-printable" else after
    assert after == text.format(erased).encode(charset)


def test_a_name_goes_from_a_part_that_declares_no_charset(tmp_path):
    """An old mailer's body of windows-1251 bytes with no MIME header at all: no part
    declares a charset to read it in, so the whole mail is read in each charset maild
    reads 8-bit text in; the name goes there too, the rest stays byte for byte."""
    desk = Desk(tmp_path, dead_port())
    desk.ingest_tid(make_mail(sender=f"{NAME} <{GONE}>", subject="Мой вопрос"))
    text = "Коллега {} просил перезвонить."
    petr = (
        (
            "From: petr@shop.ru\r\nTo: support@example.com\r\nSubject: Call\r\n"
            f"Cc: {GONE}\r\nMessage-ID: <p7@shop.ru>\r\n\r\n"
        ).encode()
        + text.format(NAME).encode("cp1251")
        + b"\r\n"
    )
    desk.ingest_tid(petr)
    assert desk.run("forget", GONE).code == 0
    body = _copy(desk, "<p7@shop.ru>").split(b"\r\n\r\n", 1)[1]
    assert body == text.format(ERASED).encode("cp1251") + b"\r\n"


def test_a_name_goes_from_a_latin1_encoded_word_of_a_header(tmp_path):
    """A Subject's encoded word in a charset without Cyrillic letters (latin-1): the
    name goes, ERASED_ASCII written in its place; before, the word was left as it came."""
    desk = Desk(tmp_path, dead_port())
    desk.ingest_tid(make_mail(sender=f"{_LATIN} <{GONE}>", subject="Мой вопрос"))
    word = "=?iso-8859-1?Q?" + binascii.b2a_qp(f"{_LATIN} called".encode("latin-1")).decode()
    petr = (
        "From: petr@shop.ru\r\nTo: support@example.com\r\n"
        f"Subject: {word.replace(' ', '_')}?=\r\n"
        f"Cc: {GONE}\r\nMessage-ID: <p6@shop.ru>\r\n\r\nCall back.\r\n"
    ).encode()
    desk.ingest_tid(petr)
    assert desk.run("forget", GONE).code == 0
    head = _copy(desk, "<p6@shop.ru>").split(b"\r\n\r\n", 1)[0]
    field = head.split(b"Subject: ", 1)[1].split(b"\r\n")[0].decode()
    subject = str(make_header(decode_header(field)))
    assert _LATIN not in subject and subject == "[erased on request] called", subject


def test_a_name_given_only_beside_their_address_in_capitals_goes_and_others_stay(tmp_path):
    """Ivan never wrote: his name is known only from the Cc of Petr's mail, where his
    client wrote the address in capitals; forget takes the name (any case of the
    address) out of Petr's text too. Petr's own name, the requester of a ticket that
    names Ivan, is not Ivan's: his signature stays."""
    desk = Desk(tmp_path, dead_port())
    body = f"{NAME} обещал перезвонить.\n\n--\nПетр Сидоров\n"
    petr = make_mail(
        sender="Петр Сидоров <petr@shop.ru>",
        body=body,
        msgid="<p4@shop.ru>",
        headers={"Cc": f"{NAME} <Ivan@Shop.RU>"},
    )
    tid = desk.ingest_tid(petr)
    assert desk.run("forget", GONE).code == 0
    [first] = [m for m in desk.ticket(tid)["messages"] if m["direction"] == "in"]
    assert first["text"].startswith(f"{ERASED} обещал перезвонить.")
    assert first["text"].rstrip().endswith("Петр Сидоров")
    shown = _read(_copy(desk, "<p4@shop.ru>"))
    assert NAME not in shown and "--\nПетр Сидоров" in shown.replace("\r\n", "\n")


@pytest.mark.parametrize("folder", ["bad", "new"])
def test_a_name_given_only_in_mail_set_aside_as_unprocessable_goes_too(tmp_path, folder):
    """Mail that failed processing waits in spool/bad for the admin, and mail not
    processed yet in spool/new (`maild serve` stopped or paused): the only mail that
    gives Ivan's name beside his address may be there, and the name goes from its
    text as from the mail of any ticket."""
    desk = Desk(tmp_path, dead_port())
    desk.ingest(make_mail(sender="olga@shop.ru"))
    bad = make_mail(
        sender="petr@shop.ru",
        body=f"{NAME} обещал перезвонить.\n",
        msgid="<p5@shop.ru>",
        headers={"Cc": f"{NAME} <{GONE}>"},
    )
    spool = App(load(desk.config)).spool
    key = spool.add(bad)
    (spool.root / "new" / key).rename(spool.root / folder / key)
    assert desk.run("forget", GONE).code == 0
    shown = _read(_copy(desk, "<p5@shop.ru>"))
    assert NAME not in shown and f"{ERASED} обещал перезвонить." in shown


def test_queued_and_sent_mail_quoting_another_loses_the_name_as_the_ticket_does(tmp_path):
    """Petr's ticket quotes «Иван Петров <ivan@shop.ru> писал:»: the ticket's text lost
    the name with the address, but the staff notices of it, queued (the relay down)
    and to go once it is back, still said «Иван Петров <forgotten@invalid> писал:»."""
    desk = Desk(tmp_path, dead_port())
    desk.ingest(make_mail(sender=f"{NAME} <{GONE}>", body="моё"))
    quote = f"Коллега {NAME} <{GONE}> писал: сломалась касса"
    petr = desk.ingest_tid(make_mail(sender="Пётр <petr@shop.ru>", subject="Касса", body=quote))
    assert desk.flush().code == 75  # nothing goes: the relay is down
    assert desk.run("forget", GONE).code == 0
    assert NAME not in str(desk.ticket(petr))
    queued = sorted((tmp_path / "data" / "outbox" / "queue").glob("*.mail"))
    texts = [mail_text(p.read_bytes().partition(b"\n")[2]) for p in queued]
    assert all(NAME not in t for t in texts), texts
    quoting = [t for t in texts if "сломалась касса" in t]  # one to each staff member
    assert len(quoting) == 2 and all(f"{ERASED} <{PLACEHOLDER}> писал" in t for t in quoting)


def mail_text(raw: bytes) -> str:
    return email.message_from_bytes(raw, policy=email.policy.default).get_body().get_content()


def test_the_name_their_ticket_keeps_goes_when_their_mails_copy_is_gone(tmp_path):
    """Their ticket keeps the name of the From that opened it: with the spool copy of
    that mail gone (fsck found it missing for good), the ticket alone tells the name,
    and Petr's mail (Cc: their address alone) that speaks of «Иван Петров» loses it all
    the same."""
    desk = Desk(tmp_path, dead_port())
    desk.ingest_tid(make_mail(sender=f"{NAME} <{GONE}>", msgid="<i1@shop.ru>"))
    [theirs] = [
        p
        for p in (desk.root / "data" / "spool" / "cur").iterdir()
        if b"<i1@shop.ru>" in p.read_bytes()
    ]
    theirs.unlink()
    body = f"{NAME} обещал перезвонить.\n"
    desk.ingest(
        make_mail(sender="petr@shop.ru", body=body, msgid="<p6@shop.ru>", headers={"Cc": GONE})
    )
    assert desk.run("forget", GONE).code == 0
    shown = _read(_copy(desk, "<p6@shop.ru>"))
    assert NAME not in shown and f"{ERASED} обещал перезвонить." in shown
