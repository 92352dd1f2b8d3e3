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
        # ServiceDesk Plus, Zendesk, RT without brackets (at the start, with a colon)
        ("[Request ID :##12345##] : Re: x", "[Request ID :##12345##]"),
        ("Request received: Re: x", "Request received:"),
        ("RT #123: Re: x", "RT #123:"),
        # 1C: a date after the number; a desk leaving out «№»; letters before it
        (
            "Обращение № 00000123 от 23.11.2026 зарегистрировано",
            "Обращение № 00000123 от 23.11.2026 зарегистрировано",
        ),
        ("Заявка 123 зарегистрирована: Re: x", "Заявка 123 зарегистрирована"),
        ("Запрос SR-12345 создан", "Запрос SR-12345 создан"),
        ("Ваш запрос SR-5 принят (Re: x)", "Ваш запрос SR-5 принят"),
        # ServiceNow, HappyFox
        ("[INC0012345] Re: x", "[INC0012345]"),
        ("Incident INC0012345 has been opened for you", "Incident INC0012345"),
        ("Инцидент INC0012345 зарегистрирован", "Инцидент INC0012345"),
        ("#ABC00012345 Re: x", "#ABC00012345"),
        ("Re: x [#ABC00012345]", "[#ABC00012345]"),
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
        "Заявка 123 не работает",  # a customer's «№»-less number: no desk's words
        "Заявка 123 принята?",  # asked, not said
        "Заявка №123 принята?",
        "Re: Заявка 123 зарегистрирована",  # a reply's subject: a person's
        "Заявка 5 созданная вчера не работает",
        "Заявка на 123 рубля принята",
        "Запрос SR-5 не создан",
        "Обращение от 23.11.2026 не обработано",
        "RT #123 не работает",  # RT's number in prose, not its subject's «RT #123:»
        "Re: по RT #123: ответа нет",
        "Re: Request received: x",
        "Request for quote 2026",
        "incident with INC0012345",  # ServiceNow's number in a person's words
        "Re: [INC001] x",  # not ServiceNow's seven digits
        "Заказ #AB1234 не пришёл",  # an order's number, no padded counter
        "Заказ #ABC12345678",
        "Заказ #abc00012345",  # HappyFox writes capitals
    ],
)
def test_a_customers_own_subjects_hold_no_foreign_tag(subject: str) -> None:
    assert FOREIGN_TAG_RE.findall(subject) == []
