"""Body parts besides plain text and HTML: the alternatives of a text are no files,
rich text (enriched, RTF) is read as text, a calendar invitation is kept, not refused."""

from __future__ import annotations

import email

import pytest

from maild.domain.attachments import AttachmentPolicy, decide
from maild.domain.filetypes import CALENDAR, invitation, sniff_type
from maild.domain.mimeparts import RAW_POLICY, read_body
from maild.domain.richtext import enriched_to_text

ICS = (
    b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nVERSION:2.0\r\n"
    b"BEGIN:VEVENT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
RTF = (
    rb"{\rtf1\ansi\ansicpg1251{\fonttbl{\f0 Calibri;}}"
    rb"\f0 \'c4\'ee\'e1\'f0\'fb\'e9 \'e4\'e5\'ed\'fc!\par}"
)


def _msg(*lines: str | bytes):
    raw = b"\r\n".join(s if isinstance(s, bytes) else s.encode() for s in lines) + b"\r\n"
    return email.message_from_bytes(raw, policy=RAW_POLICY)


def mixed(ctype: str, disposition: str, body: str) -> object:
    """A multipart/mixed of the text «Текст» and a second part of these headers."""
    return _msg(
        'Content-Type: multipart/mixed; boundary="m"',
        "",
        "--m",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Текст",
        "--m",
        ctype,
        disposition,
        "",
        body,
        "--m--",
    )


def alternative(ctype: str, body: bytes | str, plain: str = "Текст") -> object:
    return _msg(
        'Content-Type: multipart/alternative; boundary="a"',
        "",
        "--a",
        "Content-Type: text/plain; charset=utf-8",
        "",
        plain,
        "--a",
        f"Content-Type: {ctype}; charset=utf-8",
        "",
        body,
        "--a--",
    )


@pytest.mark.parametrize(
    ("ctype", "body"),
    [
        ("text/calendar; method=REQUEST", ICS),  # Outlook's, Teams', Google's invitation
        ("text/enriched", "<bold>Текст</bold>"),
        ("text/x-amp-html", "<html amp4email>Текст</html>"),  # Gmail's AMP
        ("text/watch-html", "<b>Текст</b>"),  # Apple Watch's
        ("application/ics", ICS),  # a calendar by its other type
    ],
)
def test_an_alternative_of_the_text_is_no_file(ctype: str, body) -> None:
    read = read_body(alternative(ctype, body))
    assert read.text.strip() == "Текст"
    assert read.attachments == ()


def test_an_alternative_attached_by_name_is_still_a_file() -> None:
    read = read_body(
        _msg(
            'Content-Type: multipart/alternative; boundary="a"',
            "",
            "--a",
            "Content-Type: text/plain",
            "",
            "Текст",
            "--a",
            "Content-Type: text/calendar",
            'Content-Disposition: attachment; filename="invite.ics"',
            "",
            ICS,
            "--a--",
        )
    )
    assert [a.filename for a in read.attachments] == ["invite.ics"]


def test_a_text_file_beside_the_text_is_a_file_whatever_its_disposition_says() -> None:
    """A named text file inline in the alternative (log.txt) is the sender's file, not
    another rendering of the text; and a text part disposed «ATTACHMENT» (any case, RFC
    2183) is a file too, though it has no name: neither is lost or read as the text."""
    named = alternative('text/plain; name="log.txt"', "ERROR 500 at 10:15")
    assert [a.filename for a in read_body(named).attachments] == ["log.txt"]
    assert "ERROR" not in read_body(named).text
    read = read_body(mixed("Content-Type: text/plain", "Content-Disposition: ATTACHMENT",
                           "ERROR 500 at 10:15"))  # fmt: skip
    assert read.text.strip() == "Текст" and len(read.attachments) == 1


def test_a_text_file_shown_inline_beside_the_text_is_a_file() -> None:
    """A text file of another type (orders.csv) shown inline in a multipart/mixed is
    the sender's file: only in a multipart/alternative is such a part another rendering
    of the text, left unread."""
    read = read_body(
        mixed('Content-Type: text/csv; name="orders.csv"', "Content-Disposition: inline", "id;sum")
    )
    assert [a.filename for a in read.attachments] == ["orders.csv"]


def test_enriched_text_alone_is_read_as_its_words() -> None:
    read = read_body(alternative("text/enriched", b"", plain=""))
    assert read.text == ""
    body = "<bold>Не работает</bold>\r\nкорзина.\r\n\r\nВот<<так>.<param>red</param>"
    read = read_body(_msg("Content-Type: text/enriched; charset=utf-8", "", body))
    assert read.text == "Не работает корзина.\nВот<так>."
    assert read.attachments == ()


def test_enriched_and_richtext_rules() -> None:
    assert enriched_to_text("a\nb\n\nc\n\n\nd") == "a b\nc\n\nd"  # RFC 1896: n breaks, n - 1
    assert enriched_to_text("<color><param>red</param>x</color> <<y>") == "x <y>"
    # each param goes alone, not the words between two of them on one line
    two = "<color><param>red</param>Важно</color> и <color><param>blue</param>срочно</color>"
    assert enriched_to_text(two) == "Важно и срочно"
    assert enriched_to_text("a\nb<nl>c<lt>d", richtext=True) == "a b\nc<d"
    # commands in any case (RFC 1896 §2, RFC 1341 7.1.3); the blanks at a line's ends go
    assert enriched_to_text("a\nb<NL>c<Lt>d", richtext=True) == "a b\nc<d"
    assert enriched_to_text("<Bold>a</BOLD> \n\n b") == "a\nb"


def test_enriched_and_richtext_commands_each_read_as_their_own_kind() -> None:
    # a param's content goes in any case; any command of one letter goes too
    assert enriched_to_text("<color><PARAM>red</PARAM>x</color> <x>y</x>") == "x y"
    # a bare CR (an old Mac's line break) is a line break; the body's blank ends go
    assert enriched_to_text("\n\na\rb\r\r\rc\n\n") == "a b\n\nc"
    # richtext's "<np>" (a new page) ends a line; its end tags and enriched's own
    # "<nl>", "<lt>" are no text
    assert enriched_to_text("a<np>b</nl>c</lt>d", richtext=True) == "a\nbcd"
    assert enriched_to_text("a<nl>b<lt>c") == "abc"


@pytest.mark.parametrize("ctype", ["text/rtf", "application/rtf"])
def test_an_rtf_body_is_read_as_its_words(ctype: str) -> None:
    mixed = _msg(
        'Content-Type: multipart/mixed; boundary="m"',
        "",
        "--m",
        f"Content-Type: {ctype}",
        "",
        RTF,
        "--m--",
    )
    for msg in (mixed, _msg(f"Content-Type: {ctype}", "", RTF)):
        read = read_body(msg)
        assert (read.text, read.attachments) == ("Добрый день!", ())


def test_an_rtf_file_attached_by_name_stays_a_file() -> None:
    read = read_body(
        _msg(
            'Content-Type: multipart/mixed; boundary="m"',
            "",
            "--m",
            "Content-Type: text/plain",
            "",
            "Договор во вложении.",
            "--m",
            'Content-Type: application/rtf; name="dogovor.rtf"',
            'Content-Disposition: attachment; filename="dogovor.rtf"',
            "",
            RTF,
            "--m--",
        )
    )
    assert [a.filename for a in read.attachments] == ["dogovor.rtf"]


def test_a_calendar_is_kept_as_what_it_is() -> None:
    customers = AttachmentPolicy()
    assert sniff_type(b"\xef\xbb\xbf\r\n" + ICS) == CALENDAR
    unnamed = decide(None, "text/calendar", ICS, customers)
    assert (unnamed.filename, unnamed.accepted, unnamed.reason, unnamed.kind) == (
        "invite.ics",
        True,
        None,
        "calendar",
    )
    assert decide("Созвон.ics", "application/ics", ICS, customers).filename == "Созвон.ics"
    assert decide("meeting.txt", "text/plain", ICS, customers).filename == "meeting.ics"
    not_one = decide("invite.ics", "text/calendar", b"BEGIN:VCARD\r\n", customers)
    assert not not_one.accepted and "не принят" in (not_one.reason or "")


def test_a_meeting_request_is_told_from_an_event_file() -> None:
    assert invitation(ICS)
    assert invitation(ICS.replace(b"REQUEST", b"CANCEL"))
    assert not invitation(ICS.replace(b"REQUEST", b"PUBLISH"))
    assert not invitation(ICS.replace(b"METHOD:REQUEST\r\n", b""))
    assert not invitation(b"METHOD:REQUEST\r\n")  # no calendar


def test_a_calendar_s_words_are_read_whatever_their_case() -> None:
    """iCalendar's names and values are case-insensitive (RFC 5545 §2): a calendar that
    opens «begin:vcalendar» is one, its «method:request» a meeting request, which a staff
    answer drops (its attendees name the ticket's reply address), and «method:publish»
    an event file, which goes to the customer as the answer's file."""
    lower = ICS.lower()
    assert sniff_type(lower) == CALENDAR
    assert invitation(lower)
    assert not invitation(ICS.replace(b"REQUEST", b"publish"))
