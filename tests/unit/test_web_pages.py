"""maild.web.pages: what the site shows of a text is what redact would leave."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain.nearlabels import credentials_near_labels, redact_near_labels
from maild.domain.redact import MARKER, redact_credentials

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
    "Админка: admin / qwerty123",
    "Панель",
    "управления: admin / qwerty123",
    "FTP: ftp.shop.ru admin 9f8d7s",
    "пароль к ftp такой же qwerty1",
    "пароль qwerty",
    "RDP: 203.0.113.5 administrator RdpPass77",
    "VPN: vpn.shop.ru ivan Vpn12345",
    "DB_PASSWORD=DbPass124",
    "define('DB_PASSWORD', 'Wp$ecret9');",
    '$DBPassword = "BxPass55";',
    "'password' => 'Bx$et77',",
    "ключ API: sk_live_51Habc",
    "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig1",
    "curl -H 'authorization: basic dXNlcjpwYXNz'",
    "bearer 4f9a8b7c6d5e4f3a2b1c",
    "TeamViewer ID 123 456 789 пароль 4821",
    "AnyDesk 123456789, password: x7k2m9",
    "TeamViewer",
    "ID 123456789",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=12))
def test_redacting_near_labels_equals_redacting_everything(lines):
    text = "\n".join(lines)
    assert redact_near_labels(text) == redact_credentials(text)[0]
    # and a file of text holds access data as redact would find it (redaction.py)
    assert credentials_near_labels(text) == bool(redact_credentials(text)[1])


@pytest.mark.parametrize(
    "line",
    [
        "Logın: ivan.petrov",  # a Turkish keyboard's dotless «ı»: re.IGNORECASE's «i»
        "Учётная запись: root",  # «ё» as typed
        "Учетная запись: root",
    ],
)
def test_a_label_spelt_as_customers_type_it_is_near_itself(line: str) -> None:
    """A label redact reads (its rules ignore case, and take «ё» as «е») is a label
    stem here too: else the line was never searched, and the login stayed on the page
    and in the spool copy of a file of text it came in."""
    text = f"Добрый день!\n\n\n{line}\n\n\nСпасибо"
    assert redact_near_labels(text) == redact_credentials(text)[0]
    assert MARKER in redact_near_labels(text) and credentials_near_labels(text)


def test_a_two_word_label_over_two_lines_is_searched_from_its_first_word() -> None:
    """«Имя» alone holds no stem: it is searched as the line before «пользователя», or
    «Имя\nпользователя: ivan» was never matched and the login stayed on the page."""
    text = "Добрый день!\n\nИмя\nпользователя: ivan\n\nСпасибо"
    assert redact_near_labels(text) == redact_credentials(text)[0]
    assert "ivan" not in redact_near_labels(text) and credentials_near_labels(text)


def test_the_page_caches_keep_no_long_text():
    """Keyed by whole texts, the caches held every pasted log a page showed (input
    and output); a text over CACHED_TEXT characters is now computed each time."""
    from maild.web import pages

    texts = pages.ShownTexts()
    long = "login admin password=Qwerty123\n" * (pages.CACHED_TEXT // 30 + 1)  # just over
    assert "Qwerty123" not in texts.redacted(long)
    assert "Qwerty123" not in texts.customer_text(long, [])
    assert texts._redacted.cache_info().currsize == 0 and not texts._shown
    assert "Qwerty123" not in texts.customer_text(long[:100], [])
    assert texts._redacted.cache_info().currsize == 1 and len(texts._shown) == 1


def test_each_site_keeps_what_its_own_pages_showed():
    """What a page showed is kept by the site's Pages, not by the process: a second
    site (another desk's, a test's) starts with nothing of the first's, and the
    caches of each are bounded on their own."""
    from maild.web import pages

    one, two = pages.Pages("", "Поддержка"), pages.Pages("", "Поддержка")
    assert one.texts.customer_text("Пароль: S3cr3t!", []) == two.texts.redacted("Пароль: S3cr3t!")
    assert len(one.texts._shown) == 1 and not two.texts._shown
    for n in range(pages.SHOWN_MAX + 1):
        one.texts.customer_text(f"text {n}", [])
    assert len(one.texts._shown) <= pages.SHOWN_MAX
    one.texts.clear()
    assert not one.texts._shown and one.texts._redacted.cache_info().currsize == 0


def test_the_file_input_takes_what_the_desk_takes_and_says_the_size_limit():
    """With attachments.accept_other_types the input still took only pictures and
    archives (a phone's picker then offers no PDF at all); no label said how big a
    file may be, so a 15 MB screenshot went up and was refused after."""
    from maild.domain.attachments import AttachmentPolicy
    from maild.domain.filerules import IMAGES, NAMES, UPLOAD_TEXT, ZIPPED_ONLY
    from maild.web.pages import Pages, files_field

    strict = files_field(AttachmentPolicy(max_attachment_bytes=10 << 20))
    other = files_field(AttachmentPolicy(max_attachment_bytes=5 << 20, accept_other_types=True))
    offered = strict["accept"].split(",")
    assert {".jpg", ".jpeg", ".png", ".gif", ".zip", ".rar"} <= set(offered)
    assert set(IMAGES) <= set(offered)  # the file rule's pictures (domain/filerules.py)
    for zipped in ZIPPED_ONLY:  # BMP only zipped: not offered bare
        assert zipped not in offered and f".{NAMES[zipped].lower()}" not in offered
    for files, accept, label in [
        (strict, ' accept="', f"каждый не больше 10 МБ ({UPLOAD_TEXT})</label>"),
        (other, "", "Файлы: до 10, каждый не больше 5 МБ</label>"),
    ]:
        for name, context in [
            ("new.html", {"v": dict.fromkeys(("name", "email", "subject", "text"), "")}),
            ("ticket.html", {}),
        ]:
            page = Pages("", "Служба поддержки", files).render(name, **_page_context(context))
            field = page[page.index('<label for="files">') :].split("\n", 2)
            assert label in field[0], name
            assert ("accept=" in field[1]) == bool(accept) and accept in field[1], name


def _page_context(extra: dict) -> dict:
    """What the ticket and new-question templates need to render their reply form."""
    t = {"tid": "1", "subject": "s", "status": "s", "closed": False, "level": "l"}
    t.update(reaction="", due=None, overdue=False, zone_words="", created="", rating=None)
    t.update(created_iso="")
    t.update(entries=[])
    base = {"t": t, "base": "/t/x", "form": "f", "max_text": 10, "sent": None, "error": None}
    return {**base, "typed": "", "merged": None, **extra}


def test_the_footer_gives_the_business_hours_in_the_desks_time_zone():
    """«с 9:00 до 18:00 по московскому времени» stood on every page of a desk whose
    hours are another zone's (support.timezone: the business calendar's zone)."""
    from maild.domain.calendar import BusinessCalendar
    from maild.domain.policy import business_hours, hours_words
    from maild.web.pages import Pages

    def footer(zone: str) -> str:
        page = Pages("", "Поддержка", hours=hours_words(zone)).render(
            "notice.html", title="t", paragraphs=[], link=None, refresh=None
        )
        return page[page.index("<footer>") : page.index("</footer>")]

    # the calendar's hours (calendar.DAY_START, DAY_END): «с 9:00 до 18:00» by the regulation
    hours = business_hours(BusinessCalendar().day_start, BusinessCalendar().day_end)
    assert footer("Europe/Moscow").endswith(
        f"работает по рабочим дням {hours} по московскому времени."
    )
    yekaterinburg = footer("Asia/Yekaterinburg")
    assert yekaterinburg.endswith(f"{hours} по времени часового пояса Asia/Yekaterinburg.")


def test_a_text_shown_back_to_copy_is_labelled_by_the_words_before_it():
    """«Сервис временно недоступен» and «Слишком много недействительных ссылок» show a
    post's text back in a read-only box: named by «Ваш текст, чтобы его не потерять:»
    for a screen reader, as the expired link's page names its own (the browser test)."""
    import re

    from maild.web.pages import Pages

    page = Pages("", "Поддержка").render(
        "notice.html",
        title="Сервис временно недоступен",
        paragraphs=["Попробуйте позже.", "Ваш текст, чтобы его не потерять:"],
        typed="Мой текст",
        link=None,
        refresh=None,
    )
    box = re.search(r"<textarea[^>]*>", page).group(0)
    named = re.search(r'aria-labelledby="([^"]+)"', box).group(1)
    assert re.search(rf'<p id="{named}">Ваш текст, чтобы его не потерять:</p>', page)


def test_a_quote_is_cut_by_the_texts_before_it_on_this_page_not_another_s():
    """What a page shows of a customer's mail is kept by the text and the texts before
    it: the same mail on a page where its quote was never shown keeps that quote (kept
    by the text alone, the first page's cut stood on every page after)."""
    from maild.web.pages import ShownTexts

    prev = "Добрый день! Корзина выдаёт ошибку 500 после обновления модуля оплаты."
    mail = f"Спасибо, жду.\n\n> {prev}"
    texts = ShownTexts()
    assert texts.customer_text(mail, [prev]) == "Спасибо, жду."
    assert texts.customer_text(mail, []) == mail


def test_a_whole_text_s_file_is_utf8_with_a_broken_mail_s_lone_surrogate_as_a_question_mark():
    """The whole text's download of a mail whose decoding left a lone surrogate: "?"
    there, valid UTF-8 (as bytes of the surrogate it was no UTF-8 a reader opens)."""
    from maild.web.pages import ShownTexts

    assert ShownTexts().text_file("Ошибка \ud800 500") == "Ошибка ? 500".encode()


def test_the_page_calls_the_viewer_s_own_mail_theirs_and_others_by_address():
    """«Вы» over the viewer's own mail, another customer's address over theirs, «Служба
    поддержки» over an answer."""
    from datetime import datetime
    from types import SimpleNamespace

    from maild.web.pages import ShownTexts, _entry

    app = SimpleNamespace(fmt_time=str, local=datetime.fromisoformat)
    at = "2026-12-01T10:00:00+03:00"
    mail = {"kind": "customer", "from": "ivan@shop.ru", "text": "t", "received_at": at}
    answer = {**mail, "kind": "staff", "from": "anna@example.com"}
    texts = ShownTexts()
    assert _entry(app, texts, 0, mail, "ivan@shop.ru", [])["who"] == "Вы"
    assert _entry(app, texts, 0, mail, "petr@shop.ru", [])["who"] == "ivan@shop.ru"
    assert _entry(app, texts, 0, answer, "ivan@shop.ru", [])["who"] == "Служба поддержки"


def test_a_cut_text_s_note_gives_the_size_of_the_whole_text_s_file():
    """«Скачать весь текст (файл .txt, …)»: the size of the file the link gives (the
    whole text in UTF-8), not of the part the page shows above it."""
    from datetime import datetime
    from types import SimpleNamespace

    from maild.web.pages import ShownTexts, _entry, size_ru

    app = SimpleNamespace(fmt_time=str, local=datetime.fromisoformat)
    whole = "я" * 150_000  # two bytes a character; the page shows 100,000 of them
    mail = {"kind": "customer", "from": "ivan@shop.ru", "text": whole}
    texts = ShownTexts()
    cut = _entry(app, texts, 0, {**mail, "received_at": "2026-12-01T10:00:00+03:00"}, "", [])
    assert cut["cut"]["total"] == 150_000 and cut["cut"]["shown"] < 150_000
    assert cut["cut"]["size"] == size_ru(len(texts.text_file(whole))) == size_ru(300_000)


def test_a_file_maild_forget_erased_has_no_download_link_on_the_page():
    """`maild forget` erases a file and keeps its record accepted, with no sha256: the
    page offered a download of it that found nothing. It says it is not kept."""
    from datetime import datetime
    from types import SimpleNamespace

    from maild.domain.forget import ERASED
    from maild.web.pages import ShownTexts, _entry

    app = SimpleNamespace(fmt_time=str, local=datetime.fromisoformat)
    kept = {"filename": "a.png", "size": 5, "accepted": True, "sha256": "ab" * 32}
    erased = {**kept, "filename": ERASED, "sha256": None}
    at = "2026-12-01T10:00:00+03:00"
    mail = {"kind": "customer", "from": "ivan@shop.ru", "text": "t", "received_at": at}
    mail["attachments"] = [kept, erased]
    files = _entry(app, ShownTexts(), 0, mail, "ivan@shop.ru", [])["files"]
    assert [f["accepted"] for f in files] == [True, False]
    assert files[1]["reason"] == "файл не сохранён"


def test_a_customer_of_a_ticket_merged_in_reads_the_level_they_wait_by():
    """A VIP customer's ticket merged into a standard one: they wait there by their own
    VIP deadline (mergedwait), and their page gives the level and reaction time of it,
    not the target's; the target's own requester reads the target's."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from maild.web.pages import ShownTexts, ticket_view

    support = SimpleNamespace(head="")
    app = SimpleNamespace(
        fmt_time=str,
        local=datetime.fromisoformat,
        now=lambda: datetime(2026, 12, 1, tzinfo=UTC),
        renderer=SimpleNamespace(zone_words=""),
        config=SimpleNamespace(web=None, support=support),
    )
    due = "2026-12-02T10:00:00+03:00"
    wait = {"requester": "petr@firm.ru", "level": "vip", "reaction_due": due}
    ticket = {
        **{"tid": "1111-1111", "subject": "s", "status": "open", "level": "standard"},
        **{"created_at": "2026-12-01T10:00:00+03:00", "requester": "ivan@shop.ru"},
        "merged_waits": [wait],
    }
    merged_in = ticket_view(app, ShownTexts(), ticket, [], "petr@firm.ru")
    own = ticket_view(app, ShownTexts(), ticket, [], "ivan@shop.ru")
    assert "VIP" in merged_in["level"] and merged_in["due"] == due
    assert "VIP" not in own["level"] and own["reaction"] != merged_in["reaction"]
