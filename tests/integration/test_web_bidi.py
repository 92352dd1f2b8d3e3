"""A mail's bidi controls (a right-to-left override in the subject, the display name,
the text) never reach the ticket, its page or staff's mail: «\u202eTXT.exe» in the
page's <title> and <h1> showed as «exe.TXT», «счёт\u202egpj.exe» as «счётexe.jpg».
The marks Hebrew and Arabic text needs (RLM, LRM) stay. Through `maild ingest` and
the site and relay of a real `maild serve`."""

from __future__ import annotations

import base64

import pytest

from maild.domain.bidi import without_bidi_controls
from tests.helpers import QUICK_OUTBOX, make_mail
from tests.integration.test_serve import wait_until
from tests.webclient import link_in, request, running_site

CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
HEBREW = "\u05e9\u05dc\u05d5\u05dd (\u05d4\u05d6\u05de\u05e0\u05d4 55)\u200f, \u200eOK"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    # mail of `maild ingest` (another process) goes at the daemon's next outbox pass
    yield from running_site(tmp_path_factory.mktemp("bidi"), pace=QUICK_OUTBOX)


def _word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def test_a_mails_bidi_controls_are_dropped_its_marks_kept(site) -> None:
    desk, _daemon, sink, base = site
    name, subject = _word("Иван \u202eвортеП"), _word("Счёт \u202eTXT.exe")
    raw = make_mail(
        sender=f"{name} <ivan@client.example>",
        subject=f"{subject} \u2066и\u2069 акт",
        body=f"Файл счёт\u202egpj.exe\u202c во вложении.\n{HEBREW}\n",
    )
    tid = desk.ingest_tid(raw)
    ticket = desk.ticket(tid)
    assert ticket["subject"] == "Счёт TXT.exe и акт"
    [first] = [m for m in ticket["messages"] if m["kind"] == "customer"]
    assert first["text"].strip() == f"Файл счётgpj.exe во вложении.\n{HEBREW}"
    shown = desk.run("ticket", "show", tid, "--json").out
    assert not any(c in shown for c in CONTROLS)

    [confirmation] = wait_until(lambda: sink.to("ivan@client.example"))
    page = request(link_in(confirmation.text, base)).text
    assert "<title>" in page and "Счёт TXT.exe и акт" in page
    assert "счётgpj.exe" in page and "\u200f" in page  # the RLM of the Hebrew line
    assert not any(c in page for c in CONTROLS)
    assert confirmation.text.startswith("Здравствуйте, Иван вортеП!")  # the name, unturned
    [notice] = wait_until(lambda: [m for m in sink.to("anna@example.com") if tid in m.subject])
    assert "Счёт TXT.exe и акт" in notice.subject and "счётgpj.exe" in notice.text
    assert not any(c in notice.subject + notice.text for c in CONTROLS)


def test_the_function_drops_exactly_the_embeddings_overrides_and_isolates() -> None:
    text = "".join(chr(c) for c in range(0x2000, 0x2070)) + "\u061c" + HEBREW
    kept = without_bidi_controls(text)
    assert kept == "".join(c for c in text if c not in CONTROLS)
    assert "\u200e" in kept and "\u200f" in kept and "\u061c" in kept
