"""Only a notice that quotes a customer's own mail sets it between the customer-text
lines («----- текст обращения/письма -----» ... «----- конец текста -----»), the one
quoted text a staff reply may pass on to the customer (staffquote.for_customer). The
head's note, a staff member's own mail not sent on, a mail server's report are set
between lines of their own, and can hold no marker line themselves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from maild.domain.staffquote import TEXT_END_RE, TEXT_START_RE, for_customer, theirs, unmarked
from tests.unit.test_texts import TEMPLATES, renderer, variants  # noqa: F401

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates"
# the notices that quote mail a customer sent: a new ticket, a follow-up (a mail
# server's report aside: `report`), the customer's mail re-read in another charset
CUSTOMER_MAIL = {"staff_new.txt", "staff_followup.txt", "staff_charset.txt"}
REPORTS_TOO = {"staff_new.txt", "staff_followup.txt"}  # the others quote no report
# the customer's copy of a staff answer: its text is the answer, no mail quoted
ANSWER = "staff_reply.txt"
SECRET = "переведите 15000 руб. на карту 4276"
FORGED = f"{SECRET}\n----- текст письма -----\nsecret-inside\n----- конец текста -----"


def test_only_notices_quoting_customer_mail_use_the_customer_text_lines():
    users = {
        p.name
        for p in TEMPLATE_DIR.glob("*.txt")
        for line in p.read_text(encoding="utf-8").splitlines()
        if TEXT_START_RE.fullmatch(line.strip()) or TEXT_END_RE.fullmatch(line.strip())
    }
    assert users == CUSTOMER_MAIL


def test_every_other_quoted_text_is_unmarked():
    """A template that shows a mail's text outside the customer's block shows it
    through `unmarked`, as staff_followup does a mail server's report."""
    for p in TEMPLATE_DIR.glob("*.txt"):
        if p.name == ANSWER:
            continue
        shown = re.findall(r"\{\{\s*text\b[^}]*\}\}", p.read_text(encoding="utf-8"))
        bare = [s for s in shown if "unmarked" not in s]
        if p.name in CUSTOMER_MAIL:
            assert len(bare) <= 1, p.name  # the customer's block
        else:
            assert bare == [], p.name


@pytest.mark.parametrize("template", [t for t in TEMPLATES if t != ANSWER])
def test_a_staff_reply_below_any_notice_passes_on_only_customer_text(renderer, template):  # noqa: F811
    """Rendered as the desk fills it, quoted whole ("> ") above the answer (as
    Thunderbird answers): what the customer would get holds no line of the quoted
    text, but for the customer's own."""
    for ctx in variants():
        report = template in REPORTS_TOO and ctx.get("report")
        customers = template in CUSTOMER_MAIL and not report
        # the customer's own text, markers and all, is the customer's to see: it is
        # shown plain here, to see it pass
        text = SECRET if customers else FORGED
        _, body = renderer.text(template, dict(ctx, text=text))
        quoted = "\n".join(("> " + line).rstrip() for line in body.splitlines())
        got = for_customer(f"Служба поддержки пишет:\n{quoted}\n\nОтвет сотрудника.\n")
        assert got.endswith("Ответ сотрудника.")
        if customers and SECRET in body:
            assert SECRET in got, (template, got)
        else:
            assert SECRET not in got and "secret-inside" not in got, (template, got)


@pytest.mark.parametrize("run", ["---", "----", "-----"])
def test_a_marker_of_the_fewest_hyphens_in_quoted_text_is_broken_too(run):
    """The customer-text lines need three hyphens each side, no more: «--- текст
    письма ---» in a forged staff mail, quoted in its notice and quoted again above a
    staff answer, would pass the block's words to the customer as theirs."""
    forged = f"{run} текст письма {run}\n{SECRET}\n{run} конец текста {run}"
    quoted = "".join(f"> {line}\n" for line in unmarked(forged).splitlines())
    got = for_customer(f"Служба поддержки пишет:\n{quoted}\nДобрый день! Исправили.\n")
    assert got == "Добрый день! Исправили."


def test_unmarked_leaves_no_marker_however_lines_join():
    text = "a\n----- текст письма -----\nb\n---------\n> ----- конец текста -----"
    shown = unmarked(text)
    assert "---" not in shown and "–––––" in shown
    assert not TEXT_START_RE.search(shown.replace("\n", " "))


# lines a customer's text may hold that show as a notice's own end of the customer's text
FAKE_ENDS = [
    "----- конец текста -----",
    "  ----- КОНЕЦ ТЕКСТА -----",
    "‒‒‒‒‒ конец текста ‒‒‒‒‒",  # figure dashes
    "————— конец текста —————",  # em dashes
    "\u2212\u2212\u2212\u2212\u2212 конец текста \u2212\u2212\u2212\u2212\u2212",  # minus signs
    "－－－－－ конец текста －－－－－",  # fullwidth hyphen-minus
    "----- кoнец тekста -----",  # Latin «o», «e», «k»
    "-----\u00ad конец\u200b текста -----",  # a soft hyphen, a zero-width space
    "----- текст обращения -----",
    "----- конец письма -----",
]


@pytest.mark.parametrize("fake", FAKE_ENDS)
def test_a_customer_text_cannot_end_itself_in_the_notice(renderer, fake):  # noqa: F811
    """A customer who writes the notice's end line, then lines of the notice's own
    («Уровень: VIP», «Ответьте на это письмо, сохранив [TID#1111-2222]»), had them
    read by staff as maild's words below the end of the text: the line shows quoted."""
    text = f"Здравствуйте.\n{fake}\n\nУровень: VIP (vip)\nОтветьте на это письмо"
    for template in sorted(CUSTOMER_MAIL):
        for ctx in variants():
            if template in REPORTS_TOO and ctx.get("report"):
                continue
            _, body = renderer.text(template, dict(ctx, text=text))
            assert f"\nЗдравствуйте.\n> {fake}\n\nУровень: VIP" in body, (template, body)
            ends = [line for line in body.splitlines() if TEXT_END_RE.fullmatch(line.strip())]
            assert len(ends) == 1, (template, body)


def test_a_customer_text_with_the_marker_quoted_passes_on_whole():
    """Quoted in the notice, the customer's end line is theirs for a staff reply too:
    the text under it is passed on with it, as the customer wrote it."""
    notice = "----- текст обращения -----\n" + theirs(
        "Начало.\n----- конец текста -----\nПродолжение."
    )
    quoted = "".join(f"> {line}\n" for line in f"{notice}\n----- конец текста -----".split("\n"))
    got = for_customer(f"Служба поддержки пишет:\n{quoted}\nОтвет.\n")
    assert "> Продолжение." in got and "> > ----- конец текста -----" in got
    assert theirs("a - b\n-- \nподпись") == "a - b\n-- \nподпись"
