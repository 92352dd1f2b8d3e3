"""What people read: every count next to a noun agrees with it (1 день, 2 дня,
5 дней, 11 дней, 21 день), in the shipped templates, the site and the domain's texts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from maild.config import SupportConfig
from maild.domain.caps import Caps, cap_reached
from maild.domain.filetypes import size_text
from maild.domain.plural import ru_count
from maild.render import Renderer
from maild.web.pages import size_ru

COUNTS = [0, 1, 2, 5, 11, 12, 21, 22, 25, 111, 112, 121]
# the form Russian grammar asks for after each count: (one, few, many)
EXPECTED = {0: 2, 1: 0, 2: 1, 5: 2, 11: 2, 12: 2, 21: 0, 22: 1, 25: 2, 111: 2, 112: 2, 121: 0}

SUPPORT = SupportConfig(
    address="support@example.com",
    name="Служба поддержки",
    staff=("anna@example.com",),
    head="head@example.com",
    timezone="Europe/Moscow",
    max_auto_replies_per_hour=10,
)


def form(n: int, one: str, few: str, many: str) -> str:
    return f"{n} {(one, few, many)[EXPECTED[n]]}"


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(SUPPORT)


def ticket_ctx(**extra) -> dict:
    ctx = {
        "tid": "1234-5678",
        "subject": "Не работает корзина",
        "name": "Иван",
        "requester": "ivan@shop-example.ru",
        "level_id": "free",
        "level_name": "Бесплатная поддержка",
        "reaction": "24 рабочих часа",
        "due": "25.11.2026 16:00",
        "due_short": "25.11 16:00",
        "assignee": None,
        "status": "new",
        "site_link": None,
        "from_name": "Иван Петров",
        "refers_to": None,
        "automated": None,
        "problem": None,
        "free_expired": False,
        "attachments_more": 0,
        "charset_doubt": None,
        "asked_to_join": [],
        "asked_removed": [],
        "support_address": "support@example.com",
    }
    ctx.update(extra)
    return ctx


@pytest.mark.parametrize("n", COUNTS)
def test_ru_count_picks_the_form_grammar_asks_for(n):
    assert ru_count(n, "день", "дня", "дней") == form(n, "день", "дня", "дней")


@pytest.mark.parametrize("n", COUNTS)
def test_days_credentials_are_kept_after_closing(renderer, n):
    _, body = renderer.text("resolved.txt", ticket_ctx(keep_days=n))
    assert f"Через {form(n, 'день', 'дня', 'дней')} после закрытия" in body.replace("\n", " ")
    assert "дн." not in body


@pytest.mark.parametrize("n", COUNTS)
def test_days_a_confirmation_link_lasts(renderer, n):
    ctx = {"link": "https://support.example.com/c/x", "days": n}
    _, body = renderer.text("web_confirm.txt", ctx)
    assert f"Ссылка действует {form(n, 'день', 'дня', 'дней')}." in body


@pytest.mark.parametrize("n", COUNTS)
def test_attempts_in_the_alerts_to_the_head(renderer, n):
    times = form(n, "раз", "раза", "раз")
    meta = {"subject": "x", "attempts": n, "to": ["a@b.ru"], "queued_at": "", "last_error": ""}
    _, body = renderer.text("outbox_alert.txt", {"m": meta})
    assert f"отправить уже {times}." in body and "раз(а)" not in body
    ctx = {"attempts": n, "key": "k", "message_id": None, "sender": None, "subject": None}
    _, body = renderer.text("spool_alert.txt", {**ctx, "error": "x"})
    assert f"обработать {times}," in body and "раз(а)" not in body


@pytest.mark.parametrize("n", COUNTS)
@pytest.mark.parametrize("template", ["staff_new.txt", "staff_followup.txt"])
def test_attachment_sizes_in_staff_notices(renderer, n, template):
    a = {"filename": "a.png", "content_type": "image/png", "size": n, "accepted": True}
    ctx = ticket_ctx(
        attachments=[a], text="Текст", reason="-", reopened=False, sender="ivan@shop-example.ru"
    )
    _, body = renderer.text(template, ctx)
    assert f"(image/png, {form(n, 'байт', 'байта', 'байт')}): принято" in body


@pytest.mark.parametrize("n", COUNTS)
def test_sizes_in_refusals_and_on_the_site(n):
    assert size_text(n) == form(n, "байт", "байта", "байт")
    assert size_ru(n) == size_text(n)
    assert size_ru(1536 * 1024) == "1,5 МБ"  # the Russian decimal comma, as in mail


@pytest.mark.parametrize("n", [1, 2, 5, 21, 22])
def test_caps_name_their_limit_in_the_genitive(n):
    caps = Caps(per_address_hour=n, per_address_day=100, per_ticket_hour=100)
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    why = cap_reached(caps, [now] * n, [], now)
    letters = "автоматического письма" if n % 10 == 1 else "автоматических писем"
    assert why == f"не больше {n} {letters} адресу в час"
