"""`maild forget` in the raw copies of others' incoming mail (spool/cur, spool/new):
an address a byte search does not see, in a quoted-printable windows-1251 body, a
base64 koi8-r body and a subject in encoded words, goes too. End to end through the
`maild` CLI; the copies are read back from disk with the stdlib email package."""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import json
import re
from email.message import Message
from pathlib import Path

from maild.app import App
from maild.config import load
from tests.helpers import PNG, Desk, dead_port, make_mail

GONE = "ivan@shop.ru"
PLACEHOLDER = "forgotten@invalid"
MENTION = re.compile(re.escape(GONE), re.IGNORECASE)
BORIS_TEXT = (
    "Здравствуйте!\n"
    "Клиент Иван просит удалить его данные, его адрес ivan@shop.ru.\n"
    "Второй раз пишу его прописными: IVAN@SHOP.RU, на всякий случай.\n"
    "Все остальные строки письма остаются как были.\n"
    "С уважением, Борис.\n"
)
SVETA_TEXT = "Добрый день.\nКоллега ivan@shop.ru уволился, доступ ему закройте.\nСпасибо.\n"
LIST = f"Список рассылки: {GONE}\n".encode()  # a file: kept as the ticket keeps it


def _b_word(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def _q_word(text: str, charset: str) -> str:
    data = text.encode(charset)
    q = "".join(chr(b) if b < 128 and chr(b).isalnum() else f"={b:02X}" for b in data)
    return f"=?{charset}?Q?{q}?="


def _boris(msgid: str) -> bytes:
    """windows-1251, quoted-printable as clients send it: «@» written =40, and one
    address cut by a soft line break; the subject in base64 encoded words."""
    qp = binascii.b2a_qp(BORIS_TEXT.encode("cp1251"), istext=True).replace(b"\n", b"\r\n")
    qp = qp.replace(b"@", b"=40").replace(b"IVAN=40SH", b"IVAN=40SH=\r\n")
    head = (
        f"From: {_b_word('Борис', 'windows-1251')} <boris@other.ru>\r\n"
        "To: support@example.com\r\n"
        f"Cc: {_b_word('Иван', 'windows-1251')} <{GONE}>\r\n"
        f"Subject: {_b_word(f'Прошу удалить {GONE} из базы', 'windows-1251')}\r\n"
        f"Message-ID: {msgid}\r\n"
        "Date: Wed, 25 Nov 2026 10:15:00 +0300\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
    )
    png = base64.encodebytes(PNG).replace(b"\n", b"\r\n")
    return (
        head.encode()
        + b"--b1\r\nContent-Type: text/plain; charset=windows-1251\r\n"
        + b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        + qp
        + b"\r\n--b1\r\nContent-Type: image/png; name=shot.png\r\n"
        + b"Content-Disposition: attachment; filename=shot.png\r\n"
        + b"Content-Transfer-Encoding: base64\r\n\r\n"
        + png
        + b"\r\n--b1--\r\n"
    )


def _sveta() -> bytes:
    """koi8-r, base64; the subject in Q encoded words; a list file naming the address."""
    text = base64.encodebytes(SVETA_TEXT.encode("koi8-r")).replace(b"\n", b"\r\n")
    head = (
        "From: sveta@firm.ru\r\nTo: support@example.com\r\n"
        f"Subject: {_q_word(f'Уволен {GONE}', 'koi8-r')}\r\n"
        "Message-ID: <s1@firm.ru>\r\nDate: Wed, 25 Nov 2026 11:15:00 +0300\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="s1"\r\n\r\n'
    )
    return (
        head.encode()
        + b"--s1\r\nContent-Type: text/plain; charset=koi8-r\r\n"
        + b"Content-Transfer-Encoding: base64\r\n\r\n"
        + text
        + b"\r\n--s1\r\nContent-Type: text/plain; charset=utf-8; name=list.txt\r\n"
        + b"Content-Disposition: attachment; filename=list.txt\r\n"
        + b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(LIST).replace(b"\n", b"\r\n")
        + b"\r\n--s1--\r\n"
    )


def _parse(raw: bytes) -> Message:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert not msg.defects and all(not p.defects for p in msg.walk())
    return msg


def _shown(msg: Message) -> str:
    """What a reader sees: every header decoded, the text of every text part that is
    no file (files are kept as the ticket keeps them)."""
    headers = "\n".join(f"{k}: {v}" for k, v in msg.items())
    texts = [
        p.get_content()
        for p in msg.walk()
        if p.get_content_maintype() == "text" and p.get_content_disposition() != "attachment"
    ]
    return "\n".join([headers, *texts])


def _spool(desk: Desk) -> dict[str, bytes]:
    """Each spool copy on disk by its Message-ID."""
    out = {}
    for path in (desk.root / "data" / "spool").rglob("*"):
        if path.is_file() and path.parent.name in ("cur", "new", "bad"):
            data = path.read_bytes()
            out[str(_parse(data)["Message-ID"])] = data
    return out


def _sections(raw: bytes, boundary: bytes) -> list[bytes]:
    return raw.split(b"\r\n--" + boundary)


def test_forget_scrubs_others_incoming_copies_in_their_charsets(tmp_path: Path) -> None:
    """The address stayed in Boris's and Sveta's spool copies: a byte search does not
    see it there, and `maild forget` only searched bytes."""
    desk = Desk(tmp_path, dead_port())
    desk.ingest_tid(make_mail(sender=f"Иван <{GONE}>", subject="Мой вопрос"))
    boris = _boris("<b1@other.ru>")
    sveta = _sveta()
    b_tid, s_tid = desk.ingest_tid(boris), desk.ingest_tid(sveta)
    waiting = _boris("<b2@other.ru>")  # not processed yet: `maild serve` stopped
    App(load(desk.config)).spool.add(waiting)
    before = _spool(desk)
    originals = {"<b1@other.ru>": boris, "<s1@firm.ru>": sveta, "<b2@other.ru>": waiting}
    for msgid, raw in originals.items():  # the case at hand: hidden from a byte search
        assert before[msgid] == raw
        assert GONE.encode() not in raw.lower().replace(f"<{GONE}>".encode(), b"")
        assert len(MENTION.findall(_shown(_parse(raw)))) >= 2
    tickets = {tid: desk.ticket(tid) for tid in (b_tid, s_tid)}

    r = desk.run("forget", GONE, "--json")
    assert r.code == 0, r.err
    assert r.json()["waiting_erased"] == 1
    after = _spool(desk)
    for msgid, raw in originals.items():
        msg, was = _parse(after[msgid]), _parse(raw)
        assert GONE not in _shown(msg).lower()
        # the name beside the address goes with it (test_forget_names.py); «Клиент
        # Иван просит» in the text, a word of Boris's own, stays
        erased = f'Cc: "[удалено по запросу]" <{PLACEHOLDER}>'
        was_shown = MENTION.sub(PLACEHOLDER, _shown(was))
        assert _shown(msg) == was_shown.replace(f"Cc: Иван <{PLACEHOLDER}>", erased)
        # the header's fields in their order, byte for byte but for those naming them
        fields = [f for f in raw.split(b"\r\n\r\n")[0].split(b"\r\n")]
        new_fields = after[msgid].split(b"\r\n\r\n")[0].split(b"\r\n")
        assert [f.partition(b":")[0] for f in fields] == [f.partition(b":")[0] for f in new_fields]
        changed = [f.partition(b":")[0] for f, g in zip(fields, new_fields, strict=True) if f != g]
        assert changed == ([b"Cc", b"Subject"] if msgid.startswith("<b") else [b"Subject"])

    for msgid in ("<b1@other.ru>", "<b2@other.ru>"):  # windows-1251, quoted-printable
        old, new = _sections(originals[msgid], b"b1"), _sections(after[msgid], b"b1")
        assert old[2:] == new[2:]  # the picture's part and the end, byte for byte
        text = _parse(after[msgid]).get_body(("plain",))
        assert text.get_content_charset() == "windows-1251"
        assert text["Content-Transfer-Encoding"] == "quoted-printable"
        lines = text.get_content().splitlines()
        for old_line, line in zip(BORIS_TEXT.splitlines(), lines, strict=True):
            assert line == (
                old_line if GONE not in old_line.lower() else MENTION.sub(PLACEHOLDER, old_line)
            )
        encoded = new[1].partition(b"\r\n\r\n")[2].split(b"\r\n")
        assert (
            max(map(len, encoded)) <= 76
            and encoded[0] == old[1].partition(b"\r\n\r\n")[2].split(b"\r\n")[0]
        )
        assert b"=?windows-1251?B?" in after[msgid]  # the subject in its own charset

    old, new = _sections(sveta, b"s1"), _sections(after["<s1@firm.ru>"], b"s1")
    assert old[2:] == new[2:]  # the list file, byte for byte
    text = _parse(after["<s1@firm.ru>"]).get_body(("plain",))
    assert text.get_content_charset() == "koi8-r" and text["Content-Transfer-Encoding"] == "base64"
    assert text.get_content() == SVETA_TEXT.replace(GONE, PLACEHOLDER)
    assert b"=?koi8-r?Q?" in after["<s1@firm.ru>"]

    for tid, was in tickets.items():  # the tickets read as they did, but for the address
        shown = json.dumps(desk.ticket(tid), ensure_ascii=False, sort_keys=True)
        assert shown == MENTION.sub(
            PLACEHOLDER, json.dumps(was, ensure_ascii=False, sort_keys=True)
        )


def test_forget_erases_waiting_mail_whose_from_follows_a_field_spaced_before_its_colon(
    tmp_path: Path,
) -> None:
    """«X-Foo : bar» above the From (RFC 5322's obsolete syntax): the pipeline reads the
    From below it as the MTA does (domain/mimetree.as_the_mta_reads), but `maild forget`
    read the header block as the stdlib parser does, found no sender in it, and left the
    person's own waiting mail in the spool, merely scrubbed."""
    desk = Desk(tmp_path, dead_port())
    mail = make_mail(sender=f"Иван <{GONE}>", msgid="<obs1@shop.ru>", body="Мой телефон 123")
    waiting = b"X-Foo : bar\r\n" + mail
    App(load(desk.config)).spool.add(waiting)
    r = desk.run("forget", GONE, "--json")
    assert r.code == 0, r.err
    assert r.json()["waiting_erased"] == 1
    left = [p for p in (desk.root / "data" / "spool").rglob("*") if p.is_file()]
    assert not [p for p in left if b"obs1@shop.ru" in p.read_bytes()]  # gone, not scrubbed


def test_forget_scrubs_a_base64_text_below_a_field_spaced_before_its_colon(
    tmp_path: Path,
) -> None:
    """Another's waiting mail naming the person in a base64 text, its Content-Type below
    «X-Foo : bar»: forget read no Content-Type there, saw no encoded text to scrub, and
    the address stayed in the copy."""
    desk = Desk(tmp_path, dead_port())
    text = base64.b64encode(f"Коллега {GONE} просил перезвонить.\r\n".encode()).decode()
    waiting = (
        "X-Foo : bar\r\nFrom: Борис <boris@other.ru>\r\nTo: support@example.com\r\n"
        "Subject: Звонок\r\nMessage-ID: <obs2@other.ru>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n'
        f"\r\n{text}\r\n"
    ).encode()
    App(load(desk.config)).spool.add(waiting)
    assert desk.run("forget", GONE).code == 0
    [left] = [p for p in (desk.root / "data" / "spool").rglob("*") if p.is_file()]
    body = left.read_bytes().partition(b"\r\n\r\n")[2]
    assert GONE.encode() not in base64.b64decode(body).lower()
    assert b"obs2@other.ru" in left.read_bytes()  # another's mail: kept, scrubbed


def test_forget_erases_waiting_mail_whose_from_follows_a_stray_line_break(
    tmp_path: Path,
) -> None:
    """A lone LF in a CRLF header block above the From: the pipeline mends it
    (headblock.mend_line_breaks) and reads the From; forget did not, and kept the
    person's own waiting mail, scrubbed, to become a ticket on the next run."""
    desk = Desk(tmp_path, dead_port())
    mail = make_mail(sender=f"Иван <{GONE}>", msgid="<stray1@shop.ru>", body="Мой телефон 123")
    waiting = b"Received: from a\nby b\r\n" + mail
    App(load(desk.config)).spool.add(waiting)
    assert desk.run("forget", GONE).code == 0
    left = [p for p in (desk.root / "data" / "spool").rglob("*") if p.is_file()]
    assert not [p for p in left if b"stray1@shop.ru" in p.read_bytes()]


def test_forget_scrubs_a_utf7_text_sent_as_it_is(tmp_path: Path) -> None:
    """UTF-7 writes «@» as «+AEA-» too: a reader shows the address, a byte search does
    not see it. The copy's text loses it as the ticket's does, in UTF-7 still."""
    text = f"Клиент просит удалить адрес {GONE} из рассылки.\n"
    body = text.encode("utf-7").replace(b"@", b"+AEA-").replace(b"\n", b"\r\n")
    raw = (
        b"From: petr@other.ru\r\nTo: support@example.com\r\nSubject: UTF-7\r\n"
        b"Message-ID: <u7@other.ru>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-7\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
    ) + body
    desk = Desk(tmp_path, dead_port())
    desk.ingest_tid(make_mail(sender=GONE, subject="Мой вопрос"))
    tid = desk.ingest_tid(raw)
    assert GONE.encode() not in raw and GONE in _shown(_parse(_spool(desk)["<u7@other.ru>"]))
    assert GONE in json.dumps(desk.ticket(tid), ensure_ascii=False)

    r = desk.run("forget", GONE)
    assert r.code == 0, r.err
    msg = _parse(_spool(desk)["<u7@other.ru>"])
    assert msg.get_content_charset() == "utf-7"
    assert msg.get_content().replace("\r\n", "\n") == text.replace(GONE, PLACEHOLDER)
    assert GONE not in json.dumps(desk.ticket(tid), ensure_ascii=False)
