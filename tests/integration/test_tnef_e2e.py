"""winmail.dat written by real Outlook and Exchange (tests/data/tnef, see its README),
sent to support as Outlook sends it: one application/ms-tnef part. `maild ingest` and
`maild outbox flush` as an MTA and cron run them; staff read the ticket and the notice."""

from __future__ import annotations

import email.policy
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest

from tests.helpers import DATA, Desk, Received, Sink

SAMPLES = DATA / "tnef"
STAFF = "anna@example.com"
OCTET = "application/octet-stream"
# file -> (words staff must read, [(name, size, type, accepted)])
CASES: dict[str, tuple[list[str], list[tuple[str, int, str, bool]]]] = {
    "exchange-html-body.dat": (["This is the message body."], []),
    "exchange-koi8r-html.dat": (["шостий", "RR Test 1"], []),
    "exchange-polish-images.dat": (
        ["Przesyłam poprawiony plik", "Marcin Jabłonkowski", "MAC „E05FB9821FD6”"],
        [("spaconsole2.cfg", 8387, OCTET, False), ("image001.png", 3815, "image/png", True),
         ("image002.png", 3573, "image/png", True), ("image003.png", 3792, "image/png", True)],
    ),
    "outlook-item-attached.dat": (
        # an Outlook item it cannot read (a distribution list): typed as the .msg it is
        ["This is the first half of the list", "Agnes"],
        [("XXXXnews", 19965, "application/vnd.ms-outlook", False)],
    ),
    "outlook-long-filename.dat": (
        ["a temp. license for QARun 4.7", "-----Original Message-----"],
        [("allproductsmar2000.dat", 279, OCTET, False)],
    ),
    "outlook-rtf-body.dat": (["adfhadhadhb\n-- Greg\nGreg Allen"], []),
    "outlook-rtf-five-files.dat": (
        ["These are five files.", "Five files from Hell!  (Well Outlook actually)"],
        [("quick.doc", 19968, "application/msword", False), ("quick.html", 428, "text/html", False),
         ("quick.pdf", 18638, "application/pdf", False), ("quick.txt", 235, "text/plain", False),
         ("quick.xml", 143, "text/xml", False)],
    ),
    "outlook-umlaut.dat": (
        ["TEST äöü +-*/~"],
        [("TBZ PARIV GmbH.jpg", 44764, "image/jpeg", True),
         ("image003.jpg", 1001, "image/jpeg", True),
         ("UmlautAnhang-äüö.txt", 14, "text/plain", False)],
    ),
}  # fmt: skip
# what a wrong code page or a broken unpacker leaves: NUL, U+FFFD, cp1252 read of UTF-8/KOI8,
# and an RTF rendering of HTML read as words: a pasted image's "cid:image003.jpg@01D2..."
GARBAGE = ("\0", "\ufffd", "Ã", "Ð", "Û", "Ï", "cid:")


def outlook_mail(name: str, number: int) -> bytes:
    m = EmailMessage()
    m["From"] = f"Klient {number} <client{number}@corp.example>"
    m["To"] = "support@example.com"
    m["Subject"] = f"Outlook {name}"
    m["Date"] = "Wed, 25 Nov 2026 10:15:00 +0300"
    m["Message-ID"] = f"<tnef{number}@corp.example>"
    m["X-MS-Has-Attach"] = "yes"
    m.add_attachment(
        (SAMPLES / name).read_bytes(), "application", "ms-tnef", filename="winmail.dat"
    )
    return m.as_bytes(policy=email.policy.SMTP)


@dataclass
class Run:
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)
    notices: dict[str, Received] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    sink = Sink().start()
    try:
        desk, result = Desk(tmp_path_factory.mktemp("tnef"), sink.port), Run()
        for number, name in enumerate(CASES):
            started = time.monotonic()
            tid = desk.ingest_tid(outlook_mail(name, number))
            result.seconds[name] = time.monotonic() - started
            result.tickets[name] = desk.ticket(tid)
        assert desk.flush().code == 0
        for name, ticket in result.tickets.items():
            [notice] = [m for m in sink.to(STAFF) if f"[TID#{ticket['tid']}]" in m.subject]
            result.notices[name] = notice
        yield result
    finally:
        sink.stop()


def test_every_sample_is_a_case() -> None:
    assert sorted(p.name for p in SAMPLES.glob("*.dat")) == sorted(CASES)


@pytest.mark.parametrize("name", CASES)
def test_staff_read_the_text_outlook_wrote(run: Run, name: str) -> None:
    [message] = [m for m in run.tickets[name]["messages"] if m["direction"] == "in"]
    notice = run.notices[name].text.replace("\r\n", "\n")
    for words in CASES[name][0]:
        assert words in message["text"]
        assert words in notice
    for bad in GARBAGE:
        assert bad not in message["text"] and bad not in notice
    assert "winmail.dat" not in notice  # read, not passed on as a file no one can open
    assert run.seconds[name] < 2  # the first ingest imports maild: well under a second after


@pytest.mark.parametrize("name", CASES)
def test_files_keep_their_names_sizes_and_types(run: Run, name: str) -> None:
    [message] = [m for m in run.tickets[name]["messages"] if m["direction"] == "in"]
    got = [(a["filename"], a["size"], a["content_type"], a["accepted"])
           for a in message["attachments"]]  # fmt: skip
    assert got == CASES[name][1]
    sent = {p.get_filename(): p for p in run.notices[name].msg.walk() if p.get_filename()}
    for filename, size, content_type, accepted in CASES[name][1]:
        assert filename in run.notices[name].text
        if accepted:  # the screenshot itself goes to staff, byte for byte
            assert sent[filename].get_content_type() == content_type
            assert len(sent[filename].get_payload(decode=True)) == size


def test_outlooks_lines_read_as_lines_and_its_empty_lines_as_paragraphs(run: Run) -> None:
    """Outlook's HTML writes every line as its own <p class=MsoNormal> (no margin: a
    line in Outlook) and an empty line as <p class=MsoNormal>&nbsp;</p>: staff read the
    lines the sender typed together together, not each as a paragraph of its own."""
    name = "exchange-polish-images.dat"
    [message] = [m for m in run.tickets[name]["messages"] if m["direction"] == "in"]
    typed = (
        "Przesyłam poprawiony plik\nProszę o wrzucenie J\n\n"
        "Proszę o aktualizacje tych paneli na telefonach\n2215\nMAC „E05FB9821FD6”\n"
    )
    assert typed in message["text"]
    assert typed in run.notices[name].text.replace("\r\n", "\n")
