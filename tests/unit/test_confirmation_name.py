"""The confirmation is called by its subject's words, and those are written once: in
its template (templates/confirmation.txt, or an admin's file in `[templates] path`).
The site's pages that tell a customer which mail holds their ticket's link and the
staff note that it was not sent read them from there (Renderer.subject_words), so a
subject changed in the template changes what they say, and they name the mail the
customer actually got."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from maild.domain.mailnames import unsent_note
from maild.render import TEMPLATES, Renderer
from maild.web.confirmletter import registered_mail
from tests.helpers import support_config
from tests.unit.test_texts import variants

NAME = "confirmation.txt"


def _with_subject(folder: Path, subject: str) -> Path:
    """`folder` holding confirmation.txt with the shipped text under `subject`."""
    folder.mkdir(parents=True, exist_ok=True)
    body = (TEMPLATES / NAME).read_text(encoding="utf-8").partition("\n")[2]
    (folder / NAME).write_text(f"Subject: {subject}: {{{{ subject }}}}\n{body}", encoding="utf-8")
    return folder


def _shipped_copy(tmp_path: Path, subject: str) -> Path:
    """A copy of the shipped templates whose confirmation's subject is `subject`."""
    copy = tmp_path / "shipped"
    shutil.copytree(TEMPLATES, copy)
    return _with_subject(copy, subject)


@pytest.mark.parametrize("where", ["shipped", "changed", "override"])
def test_the_site_and_staff_notes_name_the_confirmation_by_the_subject_it_goes_with(
    tmp_path, where
):
    templates, override = TEMPLATES, None
    if where == "changed":  # the shipped template's subject edited: the one place
        templates = _shipped_copy(tmp_path, "Ваш вопрос принят")
    if where == "override":  # an admin's confirmation.txt: what customers get
        override = _with_subject(tmp_path / "mine", "Заявка в техподдержку создана")
    renderer = Renderer(support_config(), templates, override)
    subject, _body = renderer.text(NAME, variants()[0])
    words = subject.rsplit(":", 1)[0]  # before the customer's own subject
    assert (
        words
        == {
            "shipped": (TEMPLATES / NAME).read_text(encoding="utf-8").split(":")[1].strip(),
            "changed": "Ваш вопрос принят",
            "override": "Заявка в техподдержку создана",
        }[where]
    )
    app = SimpleNamespace(renderer=renderer)
    assert registered_mail(app) == f"в письме «{words}»"
    note = unsent_note(NAME, ["ivan@example.com"], set(), "лимит", renderer.subject_words(NAME))
    named = words[:1].lower() + words[1:]
    assert note == f"Не отправлено уведомление «{named}» клиенту ivan@example.com: лимит"


def test_a_subject_with_values_is_not_quoted_as_a_name(tmp_path):
    """An admin's subject with a value in its words («Обращение {{ tid }} принято»)
    is no fixed name: the page says which mail in words of its own."""
    mine = _with_subject(tmp_path / "mine", "Обращение {{ tid }} принято")
    renderer = Renderer(support_config(), TEMPLATES, mine)
    assert renderer.subject_words(NAME) is None
    assert registered_mail(SimpleNamespace(renderer=renderer)) == "в письме о регистрации обращения"
    note = unsent_note(NAME, ["ivan@example.com"], set(), "лимит", None)
    assert note == "Не отправлено письмо клиенту ivan@example.com: лимит"
