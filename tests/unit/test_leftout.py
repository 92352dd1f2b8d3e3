"""The pure rules of what a mail into a ticket leaves out and who is told
(domain/leftout.py, domain/knownfiles.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain import knownfiles as known
from maild.domain import leftout, logos
from maild.domain.attachments import AttachmentDecision
from maild.domain.message import fallback_message, parse
from maild.domain.mimeparts import RawAttachment

A, B = known.digest(b"a"), known.digest(b"b")


def customer(sender: str, *sha: str, to=("support@example.com",), cc=()) -> dict:
    files = [{"filename": "f.png", "sha256": s} for s in sha]
    return {"direction": "in", "kind": "customer", "from": sender, "to": list(to),
            "cc": list(cc), "attachments": files}  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "Кнопка справа, см. снимок экрана ниже.",
        "Скриншот во вложении.",
        "см. рисунок",
        "Прикрепляю фото ошибки.",
        "Screenshot attached",
        "Кнопка появится, как на скриншоте ниже.",
        "Ниже скриншот настроек.",
        "Настройки\nна снимке\nниже",  # a line wrapped in the sentence
    ],
)
def test_a_text_that_points_at_a_picture(text):
    assert leftout.pointed_at(text) == {"picture"}


@pytest.mark.parametrize(
    "text",
    ["Инструкция и прайс во вложении.", "Прайс прилагаю.", "См. ниже.", "Файл приложила."],
)
def test_a_text_that_points_at_a_file(text):
    assert leftout.pointed_at(text) == {"file"}


@pytest.mark.parametrize(
    "text",
    [
        "Кнопка справа вверху.",
        "Обновите модуль до 7.1.",
        "",
        # a topic's words, no pointing (a signature's logo brought the mail with them)
        "Иван, обновите PHP до версии не ниже 8.1.",
        "Иван, фото товаров пропали из-за кеша: очистите его.",
        "Изображения в каталоге не отображаются, картинки товаров тоже.",
        "Размер изображения ниже 100 КБ не сжимается.",
        "Сдвиньте блок на 10 см. ниже",
        "Загрузите фото не ниже Full HD.",  # «не ниже»: a measure, not a place
        # asking the customer for one
        "Прикрепите, пожалуйста, скриншот ошибки.",
        "Please attach a screenshot.",
    ],
)
def test_a_text_that_does_not(text):
    assert leftout.pointed_at(text) == set()


def went(*kinds: str) -> list:
    return [AttachmentDecision(f"f{i}", "x/y", 1, True, None, k) for i, k in enumerate(kinds)]


@pytest.mark.parametrize(
    ("text", "carried", "told"),
    [
        ("Скриншот во вложении.", went(), True),
        ("Скриншот во вложении.", went("other"), True),  # a PDF is no screenshot
        ("Скриншот во вложении.", went("image"), False),
        ("Инструкция и прайс во вложении.", went("other", "archive"), False),
        ("Инструкция и прайс во вложении.", went(), True),
        ("Кнопка справа, см. снимок экрана ниже.", went("image"), False),
        ("Иван, обновите PHP до версии не ниже 8.1.", went(), False),
    ],
)
def test_a_text_points_past_what_its_answer_carried(text, carried, told):
    assert leftout.points_past(text, carried) is told


@settings(max_examples=200)
@given(
    st.text(alphabet=st.sampled_from("фото скриншот ниже не 8.1 см во вложении\n.!"), max_size=200)
)
def test_a_text_that_points_at_nothing_is_never_told(text):
    """Whatever the text, what it points at is a picture or a file, and an answer that
    carried a picture and a file leaves nothing pointed at uncarried."""
    assert leftout.pointed_at(text) <= {"picture", "file"}
    assert not leftout.points_past(text, went("image", "other"))


def staff(logos_: list[str], sender: str = "anna@example.com") -> dict:
    return {"direction": "out", "kind": "staff", "from": sender, "logos": logos_}


def test_a_logo_is_new_against_the_staff_members_earlier_answers_only():
    first = staff([A])
    assert not leftout.new_logo(first, [first])  # the first answer here: a logo
    again = staff([A])
    assert not leftout.new_logo(again, [first, again])
    other = staff([B])
    assert leftout.new_logo(other, [first, other])
    boris = staff([B], "boris@example.com")
    assert not leftout.new_logo(boris, [first, boris])  # Anna's logo is not Boris's


def test_names_leave_out_what_the_quoted_mail_shows():
    typed = RawAttachment("error.png", "image/png", b"a")
    quoted = RawAttachment("image002.png", "image/png", b"b", True, logos.QUOTE)
    logo = RawAttachment(None, "image/png", b"c", True, logos.SIGNATURE)
    assert leftout.names([typed, quoted], [logo]) == {
        "held_files": ["error.png"],
        "logo_files": ["(без имени)"],
    }


def test_held_files_of_a_staff_answer_are_what_every_recipient_had():
    messages = [
        customer("ivan@shop-example.ru", A),
        customer("petr@client.example", B),
        customer("olga@shop-example.ru", B, cc=["ivan@shop-example.ru"]),
        {
            "direction": "out",
            "kind": "staff",
            "from": "anna@example.com",
            "to": ["ivan@shop-example.ru"],
            "attachments": [{"sha256": B}],
        },  # fmt: skip
    ]
    assert known.had_by_all(messages, ["ivan@shop-example.ru"]) == {A, B}  # B: a Cc of Olga's
    assert known.had_by_all(messages, ["petr@client.example"]) == {B}
    both = ["ivan@shop-example.ru", "petr@client.example"]
    assert known.had_by_all(messages, both) == {B}
    assert known.had_by_all(messages, []) == frozenset()
    assert known.held(messages) == {A, B}


def test_a_file_support_sent_before_is_no_file_a_customer_had():
    """Only a customer's own mail (or one they were a To/Cc of) makes a file theirs: the
    manual a staff member sent before, relayed or with the customer in Cc, goes again
    when asked for (a staff answer's record is an incoming mail of kind "staff")."""
    answer = {"direction": "in", "kind": "staff", "from": "anna@example.com",
              "to": ["support@example.com"], "cc": ["ivan@shop-example.ru"],
              "attachments": [{"sha256": A}]}  # fmt: skip
    relayed = {"direction": "out", "kind": "staff", "from": "support@example.com",
               "to": ["ivan@shop-example.ru"], "attachments": [{"sha256": A}]}  # fmt: skip
    assert known.had_by_all([answer, relayed], ["ivan@shop-example.ru"]) == frozenset()
    assert known.held([answer, relayed]) == {A}


def test_a_post_on_the_site_keeps_a_file_the_ticket_holds():
    """The file a customer picks in the site's form is theirs to send again (a post
    quotes nothing): a post (X-Maild-Source: web) keeps it, a mail leaves it out."""
    files = (RawAttachment("a.png", "image/png", b"a"),)
    raw = b"X-Maild-Source: web\r\nSubject: x\r\n\r\nx\r\n"
    post = replace(parse(raw), attachments=files)
    kept, gone = known.without_held(post, frozenset({A}))
    assert [a.filename for a in kept.attachments] == ["a.png"] and gone == []
    mail = replace(parse(raw[21:]), attachments=files)
    assert known.without_held(mail, frozenset({A}))[0].attachments == ()


def test_without_held_gives_the_files_left_out():
    files = (RawAttachment("a.png", "image/png", b"a"), RawAttachment("b.png", "image/png", b"b"))
    msg = replace(fallback_message(b"Subject: x\r\n\r\nx\r\n", "test"), attachments=files)
    kept, gone = known.without_held(msg, frozenset({A}))
    assert [a.filename for a in kept.attachments] == ["b.png"]
    assert [a.filename for a in gone] == ["a.png"]
