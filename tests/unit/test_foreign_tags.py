"""Other desks' ticket tags (maild.domain.robots.FOREIGN_TAG_RE): RT's, Russian
desks' confirmations, Jira's keys; and a customer's own words that are none."""

from __future__ import annotations

import pytest

from maild.domain.robots import FOREIGN_TAG_RE


@pytest.mark.parametrize(
    ("subject", "tag"),
    [
        ("[tickets.keeper.htb #300000] AutoReply: x", "[tickets.keeper.htb #300000]"),  # RT
        ("[DNS-FW #894024] Alta en servicio", "[DNS-FW #894024]"),
        ("[vendor.ru #5001] AutoReply: Re: x", "[vendor.ru #5001]"),
        ("Re: x [Заявка №5001]", "[Заявка №5001]"),
        ("[Обращение № 77] Re: x", "[Обращение № 77]"),
        ("Ваше обращение №5001 зарегистрировано (Re: x)", "Ваше обращение №5001 зарегистрировано"),
        ("Заявка № 123 принята в работу", "Заявка № 123 принята"),
        ("Ваш запрос #88 получен", "Ваш запрос #88 получен"),
        ("Создана заявка №777: x", "Создана заявка №777"),
        ("Зарегистрировано новое обращение №15", "Зарегистрировано новое обращение №15"),
        ("[SD-12] Re: x", "[SD-12]"),  # Jira, in brackets
        ("[JIRA] (SD-12) x", "[JIRA] (SD-12)"),
    ],
)
def test_other_desks_tags(subject: str, tag: str) -> None:
    assert FOREIGN_TAG_RE.findall(subject) == [tag]


@pytest.mark.parametrize(
    "subject",
    [
        "Re: Вопрос по заявке №5",  # a customer's words: not the nominative of a desk
        "Re: по обращению №5 нет ответа",
        "Заявка №5 не обработана",  # no desk says so of its own ticket
        "Моё обращение №5 принято?",
        "Re: Заявка №5 принята, но не обработана",  # a reply's subject: a person's
        "SD-5001 Вопрос по интеграции",  # a bare key may be a model's: «XR-500 ...»
        "Re: Ошибка 500 [TID#4821-7730]",  # ours
        "[TID #4821-7730] x",
        # ours typed by hand (tid.TAG_RE): "[TID4821-7730]" is no Jira key
        "Re: [TID4821-7730] Ошибка 500",
        "Re: [ TID4821-7730 ] Ошибка 500",
        "Re: [TID 4821-7730] Ошибка 500",
        "Re: [TID№4821-7730] Ошибка 500",
        "Re: [TID:4821-7730] Ошибка 500",
        "Re: [TID＃4821-7730] Ошибка 500",
        "Re: Модель XR-500 не включается",  # a model's name, no Jira key
        "Re: [xr-500] не включается",  # Jira writes its keys in capitals
        "[важно] заказ #5",
        "Re: [срочно] заказ #5",
        "Re: case study",
    ],
)
def test_a_customers_own_subjects_hold_no_foreign_tag(subject: str) -> None:
    assert FOREIGN_TAG_RE.findall(subject) == []
