"""The ticket page and «Задать вопрос» as a customer reads them, on a phone most often,
inside a real `maild serve` with a real relay sink: the way from the top of a long
thread to its form, files a refused post drops, counts and times in words."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from maild.domain.longtext import mailed_text
from maild.domain.plural import ru_plural
from maild.web import tokens
from tests.helpers import make_mail
from tests.integration.test_serve import wait_until
from tests.integration.test_web import PNG, mail_in
from tests.integration.test_web_customer import opened, staff_close
from tests.webclient import link_in, post, request, running_site


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    yield from running_site(tmp_path_factory.mktemp("phone"))


def jump(page: str) -> str:
    """The words of the link at the top of the page that leads to its form, which
    the page has once, under the id the link names."""
    found = re.findall(r'<a href="#answer">([^<]+)</a>', page)
    assert len(found) == 1 and page.count('id="answer"') == 1, found
    assert page.index('href="#answer"') < page.index("<h2>Переписка")
    return found[0]


def test_the_top_of_the_page_links_the_form_at_its_end(site):
    """A 100-message ticket put its reply form ~20 phone screens down (~205 with a
    long text), and nothing at the top led there: a link near the status does."""
    link, tid = opened(site, "oleg@shop-example.ru")
    page = request(link).text
    assert jump(page) == "Ответить ↓"
    assert re.search(r'<form method="post" action="[^"]+/reply"[^>]* id="answer">', page)
    staff_close(site, tid, "Готово.\n#close")
    page = request(link).text
    assert jump(page) == "Оценить / открыть снова ↓"
    assert re.search(r'<form method="post" action="[^"]+/rate"[^>]* id="answer">', page)
    rated = post(link + "/rate", {"form": request(link).form_token(), "rating": "5"})
    assert rated.headers["location"].endswith("?sent=rate")
    page = request(link).text  # rated: the reopen form alone
    assert jump(page) == "Открыть снова ↓"
    assert re.search(r'<form method="post" action="[^"]+/reopen"[^>]* id="answer">', page)


AGAIN = "Выбранные файлы не отправлены: приложите их, пожалуйста, заново."


def test_a_refused_reply_with_files_says_to_choose_them_again(site):
    """A form over a day old is refused, its text typed back into it; the file chosen
    is gone (a file input cannot be filled in), and the page did not say so."""
    desk, _daemon, _sink, _base = site
    link, tid = opened(site, "rita@shop-example.ru")
    key = (desk.root / "data" / "web_secret").read_bytes()
    then = datetime.now(UTC) - timedelta(days=2)
    stale = tokens.form_token(key, f"t|{tid}|rita@shop-example.ru", then)
    fields = {"form": stale, "text": "Вот экран"}
    sent = post(link + "/reply", fields, [("экран.png", "image/png", PNG)])
    assert sent.status == 400 and "Форма устарела" in sent.text and AGAIN in sent.text
    assert "Вот экран</textarea>" in sent.text
    plain = post(link + "/reply", fields)  # no file chosen: no word of files
    assert plain.status == 400 and "Форма устарела" in plain.text and AGAIN not in plain.text


def test_a_refused_question_with_files_says_to_choose_them_again(site):
    """«Задать вопрос» with a mistyped address comes back to correct it, its files
    silently dropped."""
    _desk, _daemon, _sink, base = site
    ask = {"email": "ivan@", "subject": "Ошибка", "text": "Экран приложен"}
    ask["form"] = request(base + "/new").form_token()
    sent = post(base + "/new", ask, [("экран.png", "image/png", PNG)])
    assert sent.status == 400 and "Проверьте адрес" in sent.text and AGAIN in sent.text
    plain = post(base + "/new", ask)
    assert plain.status == 400 and "Проверьте адрес" in plain.text and AGAIN not in plain.text


def _long_text(ending: int) -> str:
    """A text longer than a page shows, of which it shows a count of characters that
    ends in `ending`."""
    lines = [f"строка журнала {i}: обработан заказ" for i in range(5000)]
    for pad in range(10):
        text = "\n".join([lines[0] + "." * pad, *lines[1:]])
        if mailed_text(text)[1]["shown"] % 10 == ending:
            return text
    raise AssertionError("no text with that count")


def test_the_start_of_a_long_text_is_counted_in_words_that_agree(site):
    """«выше его первые 99 992 знаков»: the noun in the form its number asks for."""
    _desk, daemon, sink, base = site
    customer = "long@client.example"
    text = _long_text(2)
    shown = mailed_text(text)[1]["shown"]
    mail_in(daemon, make_mail(sender=customer, body=text), sender=customer)
    [conf] = wait_until(lambda: sink.to(customer), 20)
    page = request(link_in(conf.text, base)).text
    told = re.search(r"первые ([\d\xa0]+) (\w+) из ([\d\xa0]+)\.", page)
    assert int(told.group(1).replace("\xa0", "")) == shown and shown % 10 == 2
    assert told.group(2) == ru_plural(shown, "знак", "знака", "знаков") == "знака"


def test_the_page_says_in_which_zone_its_times_are(site):
    """Only the deadline said «(время московское)»; the times of the messages and
    «Создано» said nothing of their zone, and no <time> carried a machine's time."""
    link, _tid = opened(site, "zoya@shop-example.ru")
    page = request(link).text
    assert "<h2>Переписка <small>(время московское)</small></h2>" in page
    created = re.search(r'<dt>Создано</dt><dd><time datetime="([^"]+)">([^<]+)</time> ', page)
    assert created and page[created.end() :].startswith("(время московское)</dd>")
    when = datetime.fromisoformat(created.group(1))
    assert when.utcoffset() == timedelta(hours=3)
    assert when.strftime("%d.%m.%Y %H:%M") == created.group(2)
    times = re.findall(
        r'<p class="meta"><b>[^<]+</b> <time datetime="([^"]+)">([^<]+)</time>', page
    )
    assert times and all(
        datetime.fromisoformat(iso).strftime("%d.%m.%Y %H:%M") == shown for iso, shown in times
    )
