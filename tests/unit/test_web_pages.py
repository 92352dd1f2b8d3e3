"""maild.web.pages: what the site shows of a text is what redact would leave."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain.redact import redact_credentials
from maild.web.pages import redact_near_labels

LINES = [
    "Добрый день!",
    "Доступ в админку: https://shop.example.ru/bitrix/admin/",
    "Логин: admin",
    "Пароль: Qwerty123",
    "Пароль:",
    "Qwerty123",
    "логин admin пароль 12345",
    "Имя",
    "пользователя: ivan",
    "учетная",
    "запись: root",
    "FTP: ftp://user:pass@ftp.example.ru/",
    "ssh root@203.0.113.5 -p 22",
    "Данные для входа: admin / 12345",
    "",
    "   ",
    "После обновления корзина выдаёт ошибку 500.",
    "пришлите логин и пароль от админки",
    "token=abcdef\r",
    "Спасибо!",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=12))
def test_redacting_near_labels_equals_redacting_everything(lines):
    text = "\n".join(lines)
    assert redact_near_labels(text) == redact_credentials(text)[0]
