"""domain/banners.py: the external-mail banner and subject tags the mailbox's own mail
system adds are taken off; nothing else ever is."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from maild.domain.banners import DEFAULT_SUBJECT_TAGS, without_banner, without_subject_tags
from maild.domain.tid import find_tid

M365 = "CAUTION: This email originated from outside of the organization."
RU = "ВНИМАНИЕ: Это письмо пришло из внешней организации."
WARNING = (
    "CAUTION: This email originated from outside of the organization. Do not click links "
    "or open attachments unless you recognize the sender and know the content is safe."
)
RU_WARNING = f"{RU} Не открывайте вложения."
BANNERS = (WARNING, RU_WARNING)


def test_the_banner_paragraph_goes_and_the_text_under_it_stays():
    text = f"{WARNING}\n\n5\n\nСпасибо!\n"
    assert without_banner(text, BANNERS) == "5\n\nСпасибо!\n"


def test_case_wrapping_and_spaces_do_not_count():
    wrapped = (
        "caution:  this email originated\nfrom\xa0outside of the ORGANIZATION. Do not\n"
        "click links or open attachments unless you recognize the sender and know the "
        "content is safe.\n\nТекст"
    )
    assert without_banner(f"\n \n{wrapped}", BANNERS) == "Текст"


def test_the_lines_right_under_the_banner_stay():
    """The banner's paragraph went whole: a customer's text on the next line, with no
    blank line between (plain mail, HTML of <div>s or <br>), went with it (audit)."""
    text = f"{WARNING}\nЗдравствуйте! Сайт не работает, ошибка 500.\nКод: 123\n\nИван"
    assert without_banner(text, BANNERS) == text[len(WARNING) + 1 :]
    assert without_banner(f"{WARNING}\n#close\nИсправили.", BANNERS) == "#close\nИсправили."
    from maild.domain.html import html_to_text

    html = (
        f"<div style='color:red'>{WARNING}</div><div>Здравствуйте, сайт упал.</div><div>Иван</div>"
    )
    assert without_banner(html_to_text(html), BANNERS) == "Здравствуйте, сайт упал.\nИван"


def test_what_follows_the_banner_on_its_line_stays():
    """Inline HTML (<span>s) puts the sender's first words on the banner's line: they
    went with the rest of that line (audit); so do further sentences of a banner whose
    opening words alone were listed: the admin lists the whole banner."""
    from maild.domain.html import html_to_text

    html = f"<span>{WARNING}</span><span>Checkout fails with 500</span>"
    assert without_banner(html_to_text(html), BANNERS) == "Checkout fails with 500"
    assert without_banner(f"{WARNING}\n\n5", (M365,)) == f"{WARNING[len(M365) + 1 :]}\n\n5"


def test_a_russian_banner_and_two_stacked_banners():
    text = f"{RU_WARNING}\n\n{WARNING}\n\nОшибка 500"
    assert without_banner(text, BANNERS) == "Ошибка 500"


def test_a_banner_further_down_or_the_same_words_in_a_sentence_stay():
    down = f"Здравствуйте!\n\n{WARNING}\n\nОшибка"
    assert without_banner(down, BANNERS) == down
    inside = f"Nb: {WARNING}\n\nОшибка"
    assert without_banner(inside, BANNERS) == inside
    longer = "CAUTION: This email originated from outside of the organizations.\n\nx"
    assert without_banner(longer, BANNERS) == longer


def test_a_banner_listed_short_and_long_goes_whole_and_a_longer_word_stays():
    """Listed both as its first sentence and whole (Exchange adds either), the banner
    goes whole: the longest listed one that matches. A last word is whole too: a listed
    «CAUTION» takes nothing of a customer's «CAUTIONARY», nor a subject tag «External»
    of «Externally»."""
    assert without_banner(f"{WARNING}\n\n5", (M365, WARNING)) == "5"
    assert without_banner(f"{WARNING}\n\n5", (WARNING, M365)) == "5"
    cautionary = "CAUTIONARY tale: the site is down.\n"
    assert without_banner(cautionary, ("CAUTION",)) == cautionary
    subject = "Externally hosted site is down"
    assert without_subject_tags(subject, ("External",)) == subject
    assert without_subject_tags("External site is down", ("External",)) == "site is down"


def test_no_banners_configured_changes_nothing():
    text = f"{WARNING}\n\n5"
    assert without_banner(text, ()) is text
    assert without_banner(text, ("", "  ")) is text


def test_html_rendered_banner_is_its_own_paragraph():
    """Microsoft 365 puts the banner in a table: html_to_text ends it with a blank line."""
    from maild.domain.html import html_to_text

    html = (
        '<table style="background:#fff8e5"><tr><td><b>CAUTION:</b> This email originated '
        "from outside of the organization. Do not click links or open attachments unless "
        "you recognize the sender and know the content is safe.</td></tr></table>"
        "<div>5</div><div>Спасибо</div>"
    )
    assert without_banner(html_to_text(html), BANNERS) == "5\nСпасибо"


_lines = st.lists(
    st.one_of(
        st.text(alphabet=" \t\xa0\nabcCAUTION:.Вв5", max_size=30),
        st.sampled_from([M365, WARNING, RU, "", " ", "\n"]),
    ),
    max_size=8,
)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


@settings(max_examples=300, deadline=None)
@given(parts=_lines, banners=st.lists(st.sampled_from([M365, RU, "caution", " "]), max_size=3))
@example(parts=[WARNING, "", "5"], banners=[M365])
def test_the_result_is_a_suffix_and_text_without_a_banner_on_top_is_untouched(parts, banners):
    text = "\n".join(parts)
    out = without_banner(text, tuple(banners))
    assert text.endswith(out)
    if not any(b.strip() and _norm(text).startswith(_norm(b)) for b in banners):
        assert out is text


@settings(max_examples=300, deadline=None)
@given(body=st.text(alphabet=" \nabcВв5.", max_size=40))
def test_under_a_banner_the_whole_text_stays(body):
    body = re.sub(r"^(?: *\n)*", "", body)  # blank lines under the banner go with it
    assert without_banner(f"{WARNING}\n\n{body}", BANNERS) == body


def test_subject_tags_go_from_the_front_and_the_tid_stays():
    tags = DEFAULT_SUBJECT_TAGS
    assert without_subject_tags("[EXTERNAL] Не работает оплата", tags) == "Не работает оплата"
    assert without_subject_tags("[External] RE: [TID#1234-5678] Ошибка", tags) == (
        "RE: [TID#1234-5678] Ошибка"
    )
    assert without_subject_tags("RE: [ВНЕШНИЙ] Ответ [TID#1234-5678]", tags) == (
        "RE: Ответ [TID#1234-5678]"
    )
    assert without_subject_tags("[TID#1234-5678] [ВНЕШНЕЕ] x", tags) == "[TID#1234-5678] x"
    assert without_subject_tags("EXT: Ошибка", ("EXT:",)) == "Ошибка"
    # a tag listed with the spaces it was copied with is the tag all the same
    assert without_subject_tags("RE: [EXTERNAL] Ошибка", (" [EXTERNAL] ",)) == "RE: Ошибка"


def test_subject_tags_elsewhere_or_unlisted_stay():
    tags = DEFAULT_SUBJECT_TAGS
    for s in (
        "Ошибка [EXTERNAL]",
        "External: диск не виден",
        "[EXTERNALS] x",
        "Re: x",
        "Re:  код  «a  b»\tне  работает ",  # its spaces as they were, too
    ):
        assert without_subject_tags(s, tags) == s
    assert without_subject_tags("[EXTERNAL] x", ()) == "[EXTERNAL] x"


@settings(max_examples=300, deadline=None)
@given(
    subject=st.lists(
        st.sampled_from(
            ["[EXTERNAL]", "[external]", "RE:", "Fwd:", "[TID#1234-5678]", "x", "Ошибка"]
        ),
        max_size=6,
    ).map(" ".join)
)
def test_subject_tags_never_take_the_tid_or_words(subject):
    out = without_subject_tags(subject, DEFAULT_SUBJECT_TAGS)
    assert find_tid(out) == find_tid(subject)
    words = [w for w in subject.split() if w.lower() != "[external]"]
    assert [w for w in out.split() if w.lower() != "[external]"] == words


def test_charset_reads_the_mail_again_without_the_banner():
    """#charset reads the spooled mail again: the banner stays off."""
    from maild.domain.message import redecode
    from tests.helpers import make_mail

    raw = make_mail(body=f"{RU} Не открывайте вложения.\n\nОшибка 500", charset="koi8-r")
    assert redecode(raw, "koi8-r", BANNERS) == "Ошибка 500"
    assert redecode(raw, "koi8-r").startswith(RU)


def test_a_plain_text_bounce_under_a_long_banner_is_read_as_one():
    """qmail's opening line is looked for near the top: under a long banner it was
    not found until the banner was off; with it off, the report is read as without it."""
    from maild.domain.message import parse, without_marks

    bounce = (
        b"From: MAILER-DAEMON@mail.shop.example\r\nTo: support@example.com\r\n"
        b"Subject: failure notice\r\n\r\n"
        b"Hi. This is the qmail-send program at mail.shop.example.\r\n"
        b"I'm afraid I wasn't able to deliver your message to the following addresses.\r\n\r\n"
        b"<ivan@shop.example>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
        b"--- Below this line is a copy of the message.\r\n\r\n"
        b"From: support@example.com\r\nMessage-ID: <ours.1@example.com>\r\n\r\nHello\r\n"
    )
    plain = parse(bounce)
    head, body = bounce.split(b"\r\n\r\n", 1)
    long_banner = " ".join([WARNING] * 20).encode()
    bannered = parse(head + b"\r\n\r\n" + long_banner + b"\r\n\r\n" + body)
    assert plain.delivery_status and bannered.delivery_status is None  # hidden by it
    msg = without_marks(bannered, BANNERS, ())
    assert (msg.delivery_status, msg.reported_message_id) == (
        plain.delivery_status,
        plain.reported_message_id,
    )
    assert msg.text == plain.text
    # a mail under the banner that is no bounce stays one that is none
    other = parse(head + b"\r\n\r\n" + long_banner + b"\r\n\r\nHi. This is Ivan.")
    assert without_marks(other, BANNERS, ()).delivery_status is None


def test_unseen_characters_in_the_banner_do_not_hide_it():
    """A zero-width space after «CAUTION:», a soft hyphen inside a word, a BOM before it
    (audit): the banner was kept. Such characters count for nothing, in the banner
    listed too."""
    zwsp, shy, bom = "\u200b", "\u00ad", "\ufeff"
    for banner in (
        WARNING.replace(": ", ":" + zwsp + " "),
        WARNING.replace(": ", ":" + zwsp),
        bom + WARNING.replace("originated", "orig" + shy + "inated"),
    ):
        assert without_banner(banner + "\nТекст", BANNERS) == "Текст", banner
    listed = (WARNING.replace("email", "e" + zwsp + "mail"),)
    assert without_banner(WARNING + "\nТекст", listed) == "Текст"
