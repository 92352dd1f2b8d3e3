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
    "ПАРОЛЬ ОТ LOGİN: Qwerty123",  # the stems are looked for in case-folded text
    "paſsword=abc",
    "Спасибо!",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=12))
def test_redacting_near_labels_equals_redacting_everything(lines):
    text = "\n".join(lines)
    assert redact_near_labels(text) == redact_credentials(text)[0]


def test_the_page_caches_keep_no_long_text():
    """Keyed by whole texts, the caches held every pasted log a page showed (input
    and output); a text over CACHED_TEXT characters is now computed each time."""
    from maild.web import pages

    pages.clear_caches()
    long = "login admin password=Qwerty123\n" * (pages.CACHED_TEXT // 30 + 1)  # just over
    assert "Qwerty123" not in pages.redacted(long)
    assert "Qwerty123" not in pages._customer_text(long, [])
    assert pages._redacted_cached.cache_info().currsize == 0 and not pages._SHOWN
    assert "Qwerty123" not in pages._customer_text(long[:100], [])
    assert pages._redacted_cached.cache_info().currsize == 1 and len(pages._SHOWN) == 1
