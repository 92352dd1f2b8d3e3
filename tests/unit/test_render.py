"""Hand-written headers and text parts of outgoing mail: they must read back exactly."""

from __future__ import annotations

import email
import email.header
import email.policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.mime import header_line

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)


def read_back(name: str, value: str) -> tuple[str, bytes]:
    raw = header_line(name, value)
    msg = email.message_from_bytes(raw + b"\r\n", policy=email.policy.default)
    return str(msg[name]), raw


@settings(max_examples=200, deadline=None)
@given(TEXT.map(lambda s: " ".join(s.split())))  # what the renderer gives: no line breaks
def test_any_subject_reads_back_and_lines_stay_short(subject):
    text, raw = read_back("Subject", subject)
    assert text == subject
    if not subject.isascii():
        assert max(len(line) for line in raw.split(b"\r\n")) <= 78


def test_tid_tag_stays_readable_in_the_raw_header():
    subject = "Не формируется отчёт по продажам за квартал, помогите разобраться [TID#1234-5678]"
    text, raw = read_back("Subject", subject)
    assert text == subject
    assert b"[TID#1234-5678]" in raw


def test_display_name_is_encoded_and_address_kept():
    text, raw = read_back("From", "Служба поддержки <support@example.com>")
    assert text == "Служба поддержки <support@example.com>"
    assert b"<support@example.com>" in raw and raw.isascii()


def _mail(body: str) -> bytes:
    from maild.mime import text_part

    return b"Subject: x\r\nMIME-Version: 1.0\r\n" + text_part(body)


def _text_of(raw: bytes) -> str:
    """The text as a mail client shows it (wire line ends are CRLF)."""
    text = email.message_from_bytes(raw, policy=email.policy.default).get_content()
    return text.replace("\r\n", "\n")


def test_text_goes_as_written_in_8bit_when_lines_fit():
    body = "Здравствуйте!\n\nВаше обращение зарегистрировано.\n"
    raw = _mail(body)
    assert b"Content-Transfer-Encoding: 8bit" in raw
    assert "Ваше обращение".encode() in raw
    assert _text_of(raw) == body


@pytest.mark.parametrize(
    "body",
    ["Строка " * 200 + "\n", "текст\rс возвратом каретки\n", "нулевой \x00 байт\n"],
)
def test_long_lines_or_control_characters_go_as_base64(body):
    raw = _mail(body)
    assert b"Content-Transfer-Encoding: base64" in raw and raw.isascii()
    assert _text_of(raw).split()[0] == body.split()[0]


@pytest.mark.parametrize("octets", [998, 999])
def test_a_line_goes_as_written_up_to_998_octets_and_base64_past_them(octets):
    """RFC 5322 2.1.1: a line holds at most 998 octets; a customer's longer line (a
    pasted log) goes out in base64, else a relay may refuse or cut the mail."""
    body = "ж" * (octets // 2) + "x" * (octets % 2) + "\n"
    raw = _mail(body)
    cte = b"8bit" if octets <= 998 else b"base64"
    assert b"Content-Transfer-Encoding: " + cte + b"\r\n" in raw
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert _text_of(raw) == body


def test_seven_bit_keeps_the_text_for_a_relay_without_8bitmime():
    from maild.mime import seven_bit

    body = "Здравствуйте!\nОтвет на ваш вопрос.\n"
    raw = seven_bit(_mail(body))
    assert raw.isascii()
    assert _text_of(raw) == body


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=200))
def test_encoded_words_hold_whole_characters_and_as_many_as_fit(text):
    """Each word is at most 68 characters and holds whole UTF-8 characters, as many
    as fit in 42 bytes; together they are the text (a lone surrogate as "?")."""
    import base64

    from maild.mime import _WORD_BYTES, encoded_words

    words = encoded_words(text).split("\r\n ")
    chunks = []
    for word in words:
        assert word.startswith("=?utf-8?b?") and word.endswith("?=") and len(word) <= 68
        chunks.append(base64.b64decode(word[10:-2]))
    parts = [c.decode("utf-8") for c in chunks]  # never a split character
    expected = text.encode("utf-8", "replace").decode("utf-8")
    assert "".join(parts) == expected
    for part, following in zip(parts, parts[1:], strict=False):
        assert len(part.encode()) + len(following[0].encode()) > _WORD_BYTES


@settings(max_examples=100, deadline=None)
@given(
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=120)
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
    # the stdlib reads filename*=utf-8''%3C...%3E (or %22...%22) back without its <>
    # (or ""): its get_filename ends in email.utils.unquote, which strips quotes and
    # angle brackets alike
    .filter(lambda s: not (len(s) > 1 and s[0] + s[-1] in ("<>", '""')))
)
def test_a_files_name_reads_back_from_both_of_its_parameters(name):
    """filename* (RFC 2231) for the clients that read it, and the Content-Type's
    name="=?utf-8?b?...?=" for those that do not (Outlook 2007/2010)."""
    from email.header import decode_header, make_header

    from maild.render import Renderer

    raw = Renderer.content("текст\n", [(name, "application/pdf", b"%PDF-1.4\n")], "<m@x>")
    msg = email.message_from_bytes(b"MIME-Version: 1.0\r\n" + raw, policy=email.policy.default)
    [part] = list(msg.iter_attachments())
    assert part.get_filename() == name
    assert str(make_header(decode_header(part.get_param("name")))) == name


def _rendered(**given: object) -> bytes:
    from datetime import UTC, datetime

    from maild.render import Renderer
    from tests.helpers import support_config

    fields: dict = {
        "subject": "Ответ",
        "body": "Текст.\n",
        "to": ["ivan@shop-example.ru"],
        "tid": "1234-5678",
        "message_id": "<m1@example.com>",
        "now": datetime(2026, 11, 23, 7, 0, tzinfo=UTC),
    }
    return Renderer(support_config()).message(**(fields | given)).raw


def test_a_mail_carries_each_field_once_its_tag_once_and_each_reference_once():
    """Two To fields (Gmail refuses such mail: not RFC 5322), a second tag when the
    subject holds it in another case («[tid#...]» a client lowered), or an id twice in
    References would each reach the customer."""
    raw = _rendered(
        subject="Re: Ответ [tid#1234-5678]",
        to=["ivan@shop-example.ru", "olga@shop-example.ru"],
        in_reply_to="<c2@shop-example.ru>",
        references=["<c1@shop-example.ru>", "", "<c1@shop-example.ru>", "<c2@shop-example.ru>"],
        reply_to="reply@example.com",
    )
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    names = [n.lower() for n in msg]
    assert len(names) == len(set(names)), names
    assert msg["Subject"] == "Re: Ответ [tid#1234-5678]"
    assert msg["References"] == "<c1@shop-example.ru> <c2@shop-example.ru>"
    assert [a.addr_spec for a in msg["To"].addresses] == [
        "ivan@shop-example.ru",
        "olga@shop-example.ru",
    ]


def test_mail_of_no_ticket_carries_no_tag():
    """The answer to a reply to the SLA report is about no ticket (tid.NO_TICKET): a
    «[TID#0000-0000]» in its subject would name one that is not there."""
    from maild.domain.tid import NO_TICKET

    msg = email.message_from_bytes(_rendered(subject="Отчёт", tid=NO_TICKET))
    assert "TID#" not in str(email.header.make_header(email.header.decode_header(msg["Subject"])))


def test_a_relayed_staff_answer_reads_as_a_persons_mail_to_another_maild_desk():
    """X-Loop names the desk's own address, as procmail's vacation reply does: with
    X-Maild-TID and no Auto-Submitted, a customer's own maild desk takes a staff answer
    for a person's (answered by no robot, a deadline started), not for an autoreply."""
    from maild.domain.message import parse
    from maild.domain.screen import screen

    result = screen(parse(_rendered(auto=False)), "support@shop-example.ru")
    assert not result.automated, result
    assert screen(parse(_rendered(auto=True)), "support@shop-example.ru").automated


def test_a_subject_quoting_another_tickets_tag_reads_back_as_its_own_ticket():
    """A mailing list's id in the flood notice («Письма рассылки <[TID#...] ...>»), a
    writer's subject: the ingest reads the first tag of a subject before the reply
    address, so a staff reply to the notice went into the other ticket."""
    from maild.domain.tid import find_tid

    for quoted in ("[TID#4321-8765]", "[tid#4321-8765]", "TID#4321-8765"):
        msg = email.message_from_bytes(
            _rendered(subject=f"Письма рассылки <{quoted} рассылка> идут потоком"),
            policy=email.policy.default,
        )
        assert find_tid(str(msg["Subject"])) == "1234-5678", msg["Subject"]
        assert "4321-8765" in str(msg["Subject"])


def test_a_mail_with_files_has_crlf_line_ends_only_and_its_files_read_back():
    """SMTP carries CRLF lines: a bare LF in a file's base64 lines is refused by a relay
    that forbids it (postfix's smtpd_forbid_bare_newline) or mangled by another."""
    from maild.render import Renderer

    data = bytes(range(256)) * 3  # more than one base64 line
    raw = Renderer.content("текст\n", [("отчёт.bin", "application/octet-stream", data)], "<m@x>")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    msg = email.message_from_bytes(b"MIME-Version: 1.0\r\n" + raw, policy=email.policy.default)
    [part] = list(msg.iter_attachments())
    assert part.get_content() == data
