"""maild's own subject prefixes are stripped from the subject a customer's mail carries
back, every one its templates to customers put there (read from the templates, so a
template's words and the words stripped cannot drift apart)."""

from __future__ import annotations

import pytest

from maild.domain.mailnames import TO_CUSTOMERS
from maild.domain.ownsubjects import own_subjects, prefix_of, words_of
from maild.domain.tid import clean_subject
from maild.render import TEMPLATES, Renderer
from tests.helpers import support_config
from tests.unit.test_texts import variants

THEIRS = "Ошибка 500 при оформлении заказа"
# the customer templates whose subject ends in the customer's (web_confirm.txt: its own)
ENDING_IN_THEIRS = sorted(
    name
    for name in TO_CUSTOMERS
    if "{{ subject }}" in (TEMPLATES / name).read_text(encoding="utf-8").partition("\n")[0]
)


@pytest.fixture(scope="module")
def own():
    return Renderer(support_config()).own_subjects()


def test_every_customer_template_but_the_sites_ends_in_the_customers_subject():
    assert set(TO_CUSTOMERS) - set(ENDING_IN_THEIRS) == {"web_confirm.txt"}


@pytest.mark.parametrize("template", ENDING_IN_THEIRS)
def test_every_prefix_a_customer_gets_is_stripped_from_what_they_send_back(own, template):
    """A reply from a second address opens a ticket of its own: its subject was our
    prefix twice («Обращение зарегистрировано: Обращение зарегистрировано: ...»)."""
    first = (TEMPLATES / template).read_text(encoding="utf-8").partition("\n")[0]
    assert prefix_of(first) is not None, first  # a pattern reads it
    renderer = Renderer(support_config())
    for ctx in variants():
        subject, _ = renderer.text(template, {**ctx, "subject": THEIRS})
        ours = subject.rpartition(THEIRS)[0]
        assert ours.strip()  # the template does put words of its own on top
        for sent_back in (
            f"Re: {subject} [TID#1234-5678]",
            f"RE: Fwd: {subject} [TID#1234-5678]",
            f"Ответ: {ours.upper()}{THEIRS} [TID#1234-5678]",
            f"Re: {ours}Re: {subject} [TID#1234-5678]",
        ):
            assert clean_subject(sent_back, own) == THEIRS, (template, sent_back)


def test_a_customers_own_words_stay():
    own = own_subjects([prefix_of("Subject: Обращение зарегистрировано: {{ subject }}")])
    assert clean_subject("Обращение зарегистрировано не было", own) == (
        "Обращение зарегистрировано не было"
    )
    assert clean_subject("Re: Вопрос: Обращение зарегистрировано: x", own) == (
        "Вопрос: Обращение зарегистрировано: x"
    )
    assert clean_subject("Обращение зарегистрировано:", own) == ""
    assert clean_subject("Re: Ошибка [TID#1234-5678]") == "Ошибка"  # none given: as before


def test_a_value_in_the_prefix_stands_for_a_word_and_blocks_are_not_read():
    merged = prefix_of(
        "Subject: Обращение {{ tid }} объединено с обращением {{ x }}: {{ subject }}"
    )
    own = own_subjects([merged])
    subject = "Re: Обращение 1111-2222 объединено с обращением 3333-4444: Ошибка"
    assert clean_subject(subject, own) == "Ошибка"
    # a value is one word: the customer's own colon and words after it stay theirs
    assert clean_subject(f"{subject}: оплата: не проходит", own) == "Ошибка: оплата: не проходит"
    assert prefix_of("Subject: {% if a %}Да{% endif %}: {{ subject }}") is None
    assert prefix_of("Subject: Отчёт на {{ date }}") is None
    assert prefix_of("Subject:  : {{ subject }}") is None  # no words: the subject's own colon
    assert own_subjects([]) is None


def test_the_shipped_prefix_is_stripped_besides_an_overrides(tmp_path):
    """Mail sent before an admin's `[templates] path` file changed a subject's words is
    answered too: the shipped template's prefix is stripped as well as the file's."""
    shipped = (TEMPLATES / "confirmation.txt").read_text(encoding="utf-8")
    first, _, rest = shipped.partition("\n")
    edited = "Subject: Ваш вопрос получен: {{ subject }}"
    (tmp_path / "confirmation.txt").write_text(f"{edited}\n{rest}", encoding="utf-8")
    renderer = Renderer(support_config(), override=tmp_path)
    subject, _ = renderer.text("confirmation.txt", {**variants()[0], "subject": THEIRS})
    assert subject.startswith("Ваш вопрос получен: ")  # the admin's words are sent
    own = renderer.own_subjects()
    for sent in (first, edited):  # before the edit and after it
        ours = sent.removeprefix("Subject: ").replace("{{ subject }}", THEIRS)
        assert clean_subject(f"Re: {ours} [TID#1234-5678]", own) == THEIRS, sent


def test_the_words_that_name_our_mail_are_words_not_a_template_s_values():
    """A staff note names a held mail by its subject's words («в письме «Обращение
    зарегистрировано»»); a subject with a value in them has no fixed words to name it
    by, and a note must not show «{{ tid }}» (it names the mail otherwise)."""
    assert words_of("Subject:  Обращение  зарегистрировано: {{ subject }}\n") == (
        "Обращение зарегистрировано"
    )
    merged = "Subject: Обращение {{ tid }} объединено с обращением {{ merged_into }}: {{ subject }}"
    assert words_of(merged) is None
    assert words_of("Subject: Отчёт на {{ date }}") is None
