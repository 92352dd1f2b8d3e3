"""The rating scale is decided in one place (domain.ratingtext: WORST, BEST): the site's
rating form offers and accepts its grades, its page, the site's refusals and the mail
name it («4 из 5», «от 1 до 5»), and a mail's text is read for its grades. A scale made
1–10 there is the site's and the mail's at once."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from maild.domain import ratingtext
from maild.domain.ratingtext import WORDS, rating_of, scale, site_grade
from maild.render import Renderer
from maild.web.pages import Pages
from maild.web.rating import nothing_sent
from maild.web.ticketforms import TicketForms
from tests.unit.test_texts import SUPPORT, variants
from tests.unit.test_web_pages import _page_context

CLOSED = {"tid": "1111-2222", "status": "closed", "subject": "Не работает корзина"}


@pytest.fixture
def wider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratingtext, "BEST", 10)


def _posted(rating: str) -> str | None:
    forms = TicketForms(SimpleNamespace(cfg=SimpleNamespace(max_submissions_per_hour=10)))
    return forms.message_text("rate", {"rating": rating}, CLOSED)[0]


def _page(rating: int | None) -> str:
    ctx = _page_context({})
    ctx["t"] = dict(ctx["t"], closed=True, rate=True, rating=rating, rated_by=None)
    return Pages("", "Поддержка").render("ticket.html", **ctx)


def test_the_site_offers_and_accepts_the_grades_of_the_scale() -> None:
    assert [_posted(str(n)) for n in (1, 5)] == ["Оценка: 1", "Оценка: 5"]
    assert [_posted(v) for v in ("0", "6", "05", "5.0", "")] == [None] * 5
    page = _page(4)
    assert re.findall(r'name="rating" value="(\d+)"', page) == ["5", "4", "3", "2", "1"]
    assert "4 из 5</dd>" in page and "<p>5 — отлично, 1 — плохо.</p>" in page


@pytest.mark.usefixtures("wider")
def test_a_wider_scale_is_the_sites_form_page_and_words() -> None:
    assert _posted("7") == "Оценка: 7" and rating_of("Оценка: 7", site=True) == 7
    assert _posted("10") == "Оценка: 10" and _posted("11") is None
    page = _page(7)
    offered = re.findall(r'name="rating" value="(\d+)"', page)
    assert offered == [str(n) for n in range(10, 0, -1)]
    assert "7 из 10</dd>" in page and "<p>10 — отлично, 1 — плохо.</p>" in page
    assert nothing_sent("rate", CLOSED, None) == "Выберите, пожалуйста, оценку от 1 до 10."
    assert "оценили работу поддержки: 7 из 10." in nothing_sent("rate", CLOSED, 7)
    by = nothing_sent("rate", CLOSED, 7, "petr@example.com", "ivan@example.com")
    assert "petr@example.com: 7 из 10." in by


@pytest.mark.usefixtures("wider")
def test_a_wider_scale_is_the_mails() -> None:
    renderer = Renderer(SUPPORT)
    ctx = dict(variants()[0], rating=7, rated=7)
    said = {name: renderer.text(name, ctx)[1] for name in ("thanks.txt", "rated_already.txt")}
    said |= {n: renderer.text(n, ctx)[1] for n in ("acknowledgement.txt", "staff_followup.txt")}
    for name, text in said.items():
        assert "7 из 10" in text and "из 5" not in text, name
    resolved = " ".join(renderer.text("resolved.txt", ctx)[1].split())
    assert "цифрой от 1 до 10 в первой строке (10 — отлично, 1 — плохо)" in resolved
    assert "«Оценка: 10»" in resolved


def test_a_mail_is_read_for_the_grades_of_the_scale_and_no_other() -> None:
    """The words of the grades are written out beside the scale (WORDS): a scale
    changed without them would read «шесть» as no rating where «6» is one."""
    assert set(WORDS.values()) == set(scale())
    for n in scale():
        assert rating_of(str(n)) == n == rating_of(f"{n} из {ratingtext.BEST}")
        assert site_grade(str(n)) == n
    for n in (ratingtext.WORST - 1, ratingtext.BEST + 1):
        assert rating_of(str(n)) is None and site_grade(str(n)) is None
    assert rating_of(f"{ratingtext.BEST} из {ratingtext.OF_BEST}") == ratingtext.BEST
