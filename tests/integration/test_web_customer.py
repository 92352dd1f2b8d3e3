"""The support site as a customer uses it, inside a real `maild serve` with a real
relay sink: posts in a row, sending twice, going back and refreshing after a post,
files the desk refuses, a ticket closed twice, «Задать вопрос» from a Cyrillic domain
or a blocked one, and links kept for days. What reaches the relay is counted."""

from __future__ import annotations

import itertools
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from maild.web import tokens
from tests.helpers import Daemon, make_mail, outbox_empty, staff_to
from tests.integration.test_serve import wait_until
from tests.integration.test_web import PNG, mail_in
from tests.webclient import link_in, post, request, running_site, site_desk

_ids = itertools.count(1)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    yield from running_site(tmp_path_factory.mktemp("customer"))


def opened(site, customer: str) -> tuple[str, str]:
    """A ticket `customer` opened by mail: (its page's URL from the confirmation, TID)."""
    _desk, daemon, sink, base = site
    n = next(_ids)
    raw = make_mail(sender=customer, body=f"Вопрос {n}", msgid=f"<cust{n}@c.example>")
    mail_in(daemon, raw, customer)
    [conf] = wait_until(lambda: sink.to(customer))
    link = link_in(conf.text, base)
    return link, link.rsplit("/", 1)[1].split(".")[0]


def notices(sink, tid: str) -> list:
    return [m for m in sink.to("anna@example.com") if f"[TID#{tid}]" in m.subject]


def test_several_posts_in_a_row_on_the_site_each_reach_staff(site):
    """A customer adds a screenshot, then a log, then one more word, then another,
    within a minute: each post went as an answer to the acknowledgement of the one
    before (no In-Reply-To: "the last mail the thread sent"), so the third made the
    customer a robot of another help desk, and staff heard of nothing after it."""
    desk, _daemon, sink, _base = site
    link, tid = opened(site, "petr@shop-example.ru")
    assert wait_until(lambda: len(notices(sink, tid)) == 1)
    for n in range(4):
        sent = post(link + "/reply", {"form": request(link).form_token(), "text": f"Ещё {n}"})
        assert sent.status == 303 and sent.headers["location"].endswith("?sent=reply")
        # each acknowledged before the next, as a customer reading their mail sees it
        assert wait_until(lambda n=n: len(sink.to("petr@shop-example.ru")) == n + 2)
    assert wait_until(lambda: len(notices(sink, tid)) == 5)
    ticket = desk.ticket(tid)
    # (every staff notice's cheat sheet names the robot mark: #human)
    assert "robots" not in ticket
    assert not [m for m in ticket["messages"] if m["kind"] == "note" and "робот" in m["text"]]
    assert [m["text"].strip() for m in ticket["messages"] if m["kind"] == "customer"][1:] == [
        "Ещё 0",
        "Ещё 1",
        "Ещё 2",
        "Ещё 3",
    ]


BMP = (  # a 1x1 24-bit BMP: the regulation takes BMP only inside an archive
    b"BM:\x00\x00\x00\x00\x00\x00\x006\x00\x00\x00(\x00\x00\x00\x01\x00\x00\x00\x01\x00"
    b"\x00\x00\x01\x00\x18\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\x00"
)


def test_a_post_with_a_refused_file_does_not_say_all_was_added(site):
    """A screenshot and a bare BMP: the page said «Ваше сообщение добавлено к
    обращению» at the top, while the BMP (refused by the regulation) was not; the
    customer, reading that, had no reason to look for the refusal in the thread."""
    _desk, _daemon, _sink, base = site
    link, _tid = opened(site, "olga@shop-example.ru")
    files = [("Снимок.png", "image/png", PNG), ("экран.bmp", "image/bmp", BMP)]
    sent = post(link + "/reply", {"form": request(link).form_token(), "text": "Скрины"}, files)
    assert sent.status == 303 and sent.headers["location"].endswith("?sent=files")
    page = " ".join(request(base + sent.headers["location"]).text.split())
    assert "добавлено к обращению, но не все файлы приняты" in page
    assert "экран.bmp: не принят — Файлы BMP принимаются только в архиве" in page
    assert "Снимок.png</a>" in page
    ok = post(link + "/reply", {"form": request(link).form_token()}, files[:1])
    assert ok.status == 303 and ok.headers["location"].endswith("?sent=reply")


def staff_close(site, tid: str, body: str) -> None:
    desk, daemon, _sink, _base = site
    reply_to = staff_to(tid)
    mail = make_mail(sender="anna@example.com", to=reply_to, subject=f"Re: [TID#{tid}]", body=body)
    mail_in(daemon, mail, "anna@example.com", reply_to)
    assert wait_until(lambda: desk.ticket(tid)["status"] == "closed")


def test_a_ticket_closed_again_asks_for_its_rating_again(site):
    """Rated 5, reopened («Открыть обращение снова»), answered and closed again: the
    closing letter asks for a rating of the new answer, and mail takes it, but the page
    still said «Ваша оценка: 5 из 5» and had no rating form."""
    desk, _daemon, sink, _base = site
    link, tid = opened(site, "nina@shop-example.ru")
    staff_close(site, tid, "Готово.\n#close")
    rated = post(link + "/rate", {"form": request(link).form_token(), "rating": "5"})
    assert rated.headers["location"].endswith("?sent=rate")
    page = request(link).text
    assert '<dd id="rating">5 из 5</dd>' in page and "Оцените работу" not in page
    again = post(link + "/reopen", {"form": request(link).form_token(), "text": "Снова"})
    assert again.headers["location"].endswith("?sent=reopen")
    assert 'id="rating"' not in request(link).text  # open: nothing to rate yet
    staff_close(site, tid, "Теперь исправлено.\n#close")
    page = request(link).text
    assert "Оцените работу" in page and 'id="rating"' not in page
    rated = post(link + "/rate", {"form": request(link).form_token(), "rating": "3"})
    assert rated.headers["location"].endswith("?sent=rate")
    assert desk.ticket(tid)["rating"] == 3
    assert '<dd id="rating">3 из 5</dd>' in request(link).text

    def thanks():
        return [m for m in sink.to("nina@shop-example.ru") if "Спасибо за оценку" in m.subject]

    assert wait_until(lambda: len(thanks()) == 2)
    assert all(f"[TID#{tid}]" in m.subject for m in thanks())


def test_a_closing_is_rated_once_from_the_site(site):
    """The page with the rating form kept (back after rating: Firefox keeps its form
    token), or any fresh token of the page (the reopen form's is of the same scope):
    each post rated the same closing again and mailed another «Спасибо за оценку»."""
    desk, _daemon, sink, _base = site
    link, tid = opened(site, "vasilisa@shop-example.ru")
    staff_close(site, tid, "Готово.\n#close")
    before = request(link).form_token()  # the page with the rating form
    rated = post(link + "/rate", {"form": before, "rating": "5"})
    assert rated.status == 303 and rated.headers["location"].endswith("?sent=rate")
    for form, rating in ((before, "1"), (request(link).form_token(), "2")):
        again = post(link + "/rate", {"form": form, "rating": rating})
        assert again.status == 400, again.headers
        assert "Вы уже оценили работу поддержки: 5 из 5." in again.text
        assert '<dd id="rating">5 из 5</dd>' in again.text and "Оцените работу" not in again.text

    def thanks():
        return [m for m in sink.to("vasilisa@shop-example.ru") if "Спасибо за оценку" in m.subject]

    assert wait_until(thanks)
    time.sleep(0.5)
    assert len(thanks()) == 1 and desk.ticket(tid)["rating"] == 5
    said = [m["text"].strip() for m in desk.ticket(tid)["messages"] if m["kind"] == "customer"]
    assert [t for t in said if t.startswith("Оценка")] == ["Оценка: 5"]


def test_a_closing_rated_on_the_site_is_not_rated_again_by_mail(site):
    """Rated 5 on the site, then «1» mailed in reply to the closing letter: the mail
    made the rating 1, mailed a second «Спасибо за оценку», and the page said «1 из 5».
    The first rating stands; the mail stays in the thread and its writer is told the
    closing is rated already."""
    desk, daemon, sink, _base = site
    who = "rater@shop-example.ru"
    link, tid = opened(site, who)
    staff_close(site, tid, "Готово.\n#close")
    rated = post(link + "/rate", {"form": request(link).form_token(), "rating": "5"})
    assert rated.status == 303
    assert wait_until(lambda: desk.ticket(tid).get("rating") == 5)
    [closing] = [m for m in sink.to(who) if "Готово." in m.text]
    reply = make_mail(
        sender=who,
        subject=f"Re: {closing.subject}",
        body="1",
        headers={"In-Reply-To": str(closing.msg["Message-ID"])},
    )
    mail_in(daemon, reply, who)

    def told():
        return [m for m in sink.to(who) if "Обращение уже оценено" in m.subject]

    [already] = wait_until(told)
    assert f"[TID#{tid}]" in already.subject and "5 из 5" in already.text
    time.sleep(0.5)
    thanks = [m for m in sink.to(who) if "Спасибо за оценку" in m.subject]
    ticket = desk.ticket(tid)
    assert len(thanks) == 1 and ticket["rating"] == 5 and ticket["status"] == "closed"
    said = [m["text"].strip() for m in ticket["messages"] if m["kind"] == "customer"]
    assert said[-2:] == ["Оценка: 5", "1"]  # the mail kept in the thread
    assert '<dd id="rating">5 из 5</dd>' in request(link).text


def test_a_rating_by_mail_that_proves_nothing_gives_way_to_the_customer_s_post(site):
    """«1» mailed to support@ under the customer's From, proving nothing of it, rated the
    closing, and the page showed «Ваша оценка: 1 из 5» and no rating form: the customer,
    whom the personal link proves, could not replace it there, as proven mail does. The
    page offers the form while that rating stands unproven, and the post replaces it."""
    desk, daemon, sink, _base = site
    who = "unproven@shop-example.ru"
    link, tid = opened(site, who)
    staff_close(site, tid, "Готово.\n#close")
    forged = make_mail(sender=who, subject=f"Re: [TID#{tid}] Вопрос", body="1")
    mail_in(daemon, forged, who)  # to support@ itself: no signed reply address, no DKIM
    assert wait_until(lambda: desk.ticket(tid)["rating"] == 1)
    page = request(link).text
    assert '<dd id="rating">1 из 5</dd>' in page and "Ваша оценка" not in page
    assert "Оцените работу" in page
    rated = post(link + "/rate", {"form": request(link).form_token(), "rating": "5"})
    assert rated.status == 303 and rated.headers["location"].endswith("?sent=rate"), rated.text
    assert desk.ticket(tid)["rating"] == 5
    page = request(link).text
    assert "<dt>Ваша оценка</dt>" in page and '<dd id="rating">5 из 5</dd>' in page
    assert "Оцените работу" not in page
    # proven now: it stands, a post again is refused as for any rated closing
    again = post(link + "/rate", {"form": request(link).form_token(), "rating": "1"})
    assert again.status == 400 and "Вы уже оценили работу поддержки: 5 из 5." in again.text
    assert wait_until(
        lambda: len([m for m in sink.to(who) if "Спасибо за оценку" in m.subject]) == 2
    )
    assert desk.ticket(tid)["rating"] == 5


def test_two_ratings_of_one_closing_posted_at_once_record_one(site):
    """Two tabs of the closed ticket's page (or a double click), «5» in one and «1» in
    the other, sent at the same instant: both posts read the ticket before either
    rating was stored, both were sent, the ticket took both and mailed two «Спасибо за
    оценку». One is recorded; the other is told, politely, that the closing is rated."""
    desk, _daemon, sink, _base = site
    link, tid = opened(site, "yaroslav@shop-example.ru")
    staff_close(site, tid, "Готово.\n#close")
    forms = {"5": request(link).form_token(), "1": request(link).form_token()}
    together = threading.Barrier(len(forms))

    def rate(rating: str):
        together.wait()
        return rating, post(link + "/rate", {"form": forms[rating], "rating": rating})

    with ThreadPoolExecutor(len(forms)) as pool:
        answers = dict(pool.map(rate, forms))
    [given] = [r for r, page in answers.items() if page.status == 303]
    [refused] = [page for page in answers.values() if page.status != 303]
    assert answers[given].headers["location"].endswith("?sent=rate")
    assert refused.status == 400
    assert f"Вы уже оценили работу поддержки: {given} из 5. Спасибо!" in refused.text

    def thanks():
        return [m for m in sink.to("yaroslav@shop-example.ru") if "Спасибо за оценку" in m.subject]

    assert wait_until(thanks)
    time.sleep(0.5)
    assert len(thanks()) == 1 and desk.ticket(tid)["rating"] == int(given)
    said = [m["text"].strip() for m in desk.ticket(tid)["messages"] if m["kind"] == "customer"]
    assert [t for t in said if t.startswith("Оценка")] == [f"Оценка: {given}"]
    assert desk.ticket(tid)["status"] == "closed"
    assert f'<dd id="rating">{given} из 5</dd>' in request(link).text


def test_the_same_form_sent_again_with_the_address_corrected_goes_to_that_address(site):
    """«Задать вопрос» sent with a typo in the address, then back and sent again with it
    corrected: Firefox keeps the page's hidden form token on going back, so the second
    post carried the first one's token, was taken for the same form sent twice and
    dropped, while the page said a letter went to the corrected address."""
    _desk, _daemon, sink, base = site
    headers = {"X-Forwarded-For": "192.0.2.77"}
    token = request(base + "/new", headers=headers).form_token()
    fields = {"subject": "Отчёт", "text": "Не строится отчёт.", "form": token}
    for address in ("typo@client.example", "right@client.example", "right@client.example"):
        sent = post(base + "/new", {**fields, "email": address}, headers=headers)
        assert sent.status == 200 and f"На адрес {address} отправлено письмо" in sent.text
    assert wait_until(lambda: sink.to("typo@client.example") and sink.to("right@client.example"))
    time.sleep(0.3)  # the same form sent twice as it was: one letter
    assert len(sink.to("right@client.example")) == 1
    link = link_in(sink.to("right@client.example")[0].text, base, "c")
    assert "Отчёт" in request(link).text


def test_a_second_post_from_the_same_page_is_not_taken_for_the_first_sent_twice(site):
    """Firefox keeps a page's hidden form token on going back: a reply, back, another
    reply went with the first one's token, so the same Message-ID, and the pipeline
    dropped it as the first one again while the page said «добавлено»; so did
    «Открыть обращение снова» after a rating from the same page."""
    desk, _daemon, _sink, _base = site
    link, tid = opened(site, "vera@shop-example.ru")
    token = request(link).form_token()
    for text in ("Первый ответ", "Второй ответ", "Второй ответ"):
        sent = post(link + "/reply", {"form": token, "text": text})
        assert sent.headers["location"].endswith("?sent=reply")
    staff_close(site, tid, "Готово.\n#close")
    token = request(link).form_token()
    assert post(link + "/rate", {"form": token, "rating": "4"}).status == 303
    reopened = post(link + "/reopen", {"form": token, "text": "Нет, не готово"})
    assert reopened.headers["location"].endswith("?sent=reopen")
    ticket = desk.ticket(tid)
    texts = [m["text"].strip() for m in ticket["messages"] if m["kind"] == "customer"]
    assert texts[1:3] == ["Первый ответ", "Второй ответ"] and len(texts) == 5
    assert ticket["status"] == "open" and "Нет, не готово" in texts[-1]


def test_an_address_at_a_cyrillic_domain_gets_its_confirmation(site):
    """Firefox sends «info@магазин.рф» as typed (Chrome turns the domain into ASCII
    itself): the form said «Проверьте адрес», though the relay delivers to it."""
    _desk, _daemon, sink, base = site
    headers = {"X-Forwarded-For": "192.0.2.78"}
    fields = {"email": "Info@Магазин.РФ", "subject": "Доставка", "text": "Где заказ?"}
    fields["form"] = request(base + "/new", headers=headers).form_token()
    sent = post(base + "/new", fields, headers=headers)
    assert sent.status == 200 and "На адрес info@xn--80aairftm.xn--p1ai отправлено" in sent.text
    [mail] = wait_until(lambda: sink.to("info@xn--80aairftm.xn--p1ai"))
    assert "Доставка" in request(link_in(mail.text, base, "c")).text


def test_a_request_from_a_cyrillic_domain_gets_the_level_of_its_license(site):
    """The form spells «zakaz@окна.рф» as zakaz@xn--80atjc.xn--p1ai; the license was
    registered as typed, in Unicode: the request got free support, while the same
    person's UTF-8 mail got the license's level."""
    desk, _daemon, sink, base = site
    added = desk.run(
        "license", "add", "--key", "OKNA", "--level", "vip", "--email", "zakaz@окна.рф"
    )
    assert added.code == 0, added.err
    headers = {"X-Forwarded-For": "192.0.2.80"}
    fields = {"email": "zakaz@окна.рф", "subject": "Окна", "text": "Когда замер?"}
    fields["form"] = request(base + "/new", headers=headers).form_token()
    assert post(base + "/new", fields, headers=headers).status == 200
    [mail] = wait_until(lambda: sink.to("zakaz@xn--80atjc.xn--p1ai"))
    link = link_in(mail.text, base, "c")
    assert post(link, {"form": request(link).form_token()}).status in (200, 303)
    [ticket] = wait_until(lambda: desk.tickets("--requester", "zakaz@xn--80atjc.xn--p1ai"))
    assert ticket["level"] == "vip", ticket["identification"]


def test_a_confirmed_request_kept_in_the_quarantine_ends_on_a_page_that_says_so(site):
    """«Задать вопрос» from an address blocked (`maild block add`) after its link was
    mailed: the pipeline keeps the request in the quarantine for staff and opens no
    ticket; the page after the click said «Обращение регистрируется…» and looked again
    every 2 seconds, for ever. (Blocked before, it gets no link: test_web_blocked.)"""
    desk, _daemon, sink, base = site
    headers = {"X-Forwarded-For": "192.0.2.79"}
    fields = {"email": "bob@blocked.example", "subject": "Вопрос", "text": "Как?"}
    fields["form"] = request(base + "/new", headers=headers).form_token()
    assert post(base + "/new", fields, headers=headers).status == 200
    [mail] = wait_until(lambda: sink.to("bob@blocked.example"))
    assert desk.run("block", "add", "blocked.example").code == 0
    link = link_in(mail.text, base, "c")
    started = time.monotonic()
    done = post(link, {"form": request(link).form_token()})
    assert time.monotonic() - started < 4  # not the whole wait for a ticket (5 s)
    for page in (done, request(link)):  # the click's answer, the link opened again
        assert page.status == 200 and "Обращение принято" in page.text, page.text
        assert 'http-equiv="refresh"' not in page.text and "bob@blocked.example" in page.text
    assert [e["from"] for e in desk.run("spam", "list", "--json").json()] == ["bob@blocked.example"]


def test_the_confirmation_link_opened_days_after_the_click_names_the_ticket(site):
    """The first mail from the site, kept to come back by: days later its link said
    «Ссылка недействительна или устарела. Заполните форму ещё раз», and a customer who
    did opened the same question twice."""
    desk, _daemon, sink, base = site
    headers = {"X-Forwarded-For": "192.0.2.80"}
    fields = {"email": "lev@client.example", "subject": "Отчёт", "text": "Не строится."}
    fields["form"] = request(base + "/new", headers=headers).form_token()
    assert post(base + "/new", fields, headers=headers).status == 200
    [mail] = wait_until(lambda: sink.to("lev@client.example"))
    link = link_in(mail.text, base, "c")
    done = post(link, {"form": request(link).form_token()})
    tid = done.headers["location"].split("/t/")[1].split(".")[0]
    key = (desk.root / "data" / "web_secret").read_bytes()
    sub_id = link.rsplit("/", 1)[1].split(".")[0]
    days_ago = datetime.now(UTC) - timedelta(days=3)
    old = tokens.confirm_token(key, sub_id, "lev@client.example", days_ago, 2)
    page = " ".join(request(f"{base}/c/{old}").text.split())
    assert "Обращение уже зарегистрировано" in page and f"под номером {tid}." in page
    assert "Заполните" not in page and "Подтвердить" not in page
    never = request(f"{base}/c/{sub_id}0.{old.split('.', 1)[1]}")  # no such request
    assert "Если вы уже подтверждали обращение, оно зарегистрировано" in never.text


def test_a_forms_address_opened_again_leads_to_the_ticket_not_a_405(site):
    """A refused post's page (an empty reply, a stale form, the expired-link page) stands
    at /t/<token>/reply: opened again from the history, or by a phone reloading the tab,
    it was «Так эту страницу открыть нельзя» (405) with no way back to the ticket."""
    _desk, _daemon, _sink, base = site
    link, _tid = opened(site, "ira@shop-example.ru")
    refused = post(link + "/reply", {"form": request(link).form_token(), "text": " "})
    assert refused.status == 400 and "Напишите сообщение" in refused.text
    for form in ("reply", "rate", "reopen", "renew"):
        again = request(f"{link}/{form}")
        assert again.status == 303 and base + again.headers["location"] == link, form
    assert request(f"{base}/t/nonsense/reply").status == 404


def test_reopening_on_the_site_takes_a_screenshot_of_what_is_still_wrong(site):
    """«Вопрос не решён?» had a text field only: a customer reopening could not show the
    error that remained, as a reply by mail with a screenshot does."""
    desk, _daemon, _sink, _base = site
    link, tid = opened(site, "roman@shop-example.ru")
    staff_close(site, tid, "Готово.\n#close")
    page = request(link).text
    reopen_form = page[page.index('/reopen"') : page.index("</form>", page.index('/reopen"'))]
    assert 'type="file" name="files"' in reopen_form
    sent = post(
        link + "/reopen",
        {"form": request(link).form_token(), "text": "Ошибка осталась"},
        [("ещё ошибка.png", "image/png", PNG)],
    )
    assert sent.headers["location"].endswith("?sent=reopen")
    ticket = desk.ticket(tid)
    assert ticket["status"] == "open"
    [last] = [m for m in ticket["messages"] if m["kind"] == "customer"][-1:]
    files = [(a["filename"], a["accepted"]) for a in last["attachments"]]
    assert files == [("ещё ошибка.png", True)]


def test_the_same_question_sent_again_from_a_fresh_form_mails_one_link(site):
    """Back from «Проверьте почту» (Chrome loads the form again: a new form token, the
    fields filled in as they were) and «Отправить» once more, unsure it went: a second
    letter with a second link, and two tickets when both were clicked. Once the first
    is registered, the same question again is a new request."""
    desk, _daemon, sink, base = site
    headers = {"X-Forwarded-For": "192.0.2.81"}
    fields = {"email": "zoya@client.example", "subject": "Касса", "text": "Не печатает чек."}
    for _ in range(2):
        fields["form"] = request(base + "/new", headers=headers).form_token()
        sent = post(base + "/new", fields, headers=headers)
        assert sent.status == 200 and "На адрес zoya@client.example отправлено" in sent.text
    [mail] = wait_until(lambda: sink.to("zoya@client.example"))
    time.sleep(0.3)
    assert len(sink.to("zoya@client.example")) == 1
    link = link_in(mail.text, base, "c")
    assert post(link, {"form": request(link).form_token()}).status == 303
    fields["form"] = request(base + "/new", headers=headers).form_token()
    assert post(base + "/new", fields, headers=headers).status == 200
    assert wait_until(lambda: len(sink.to("zoya@client.example")) == 3)  # + registration
    asks = [m for m in sink.to("zoya@client.example") if "Подтвердите" in m.subject]
    again = link_in(asks[-1].text, base, "c")
    assert again != link
    assert post(again, {"form": request(again).form_token()}).status == 303
    mine = [t for t in desk.tickets() if t["requester"] == "zoya@client.example"]
    assert len(mine) == 2


def test_the_same_question_sent_again_costs_no_second_confirmation(tmp_path):
    """The same question sent again while the first waits for its click is dropped
    before it costs anything: under web.max_confirmations_per_hour = 2, a customer who
    pressed «Отправить» twice leaves room for one more customer this hour. (The test
    above counts letters, which the outbox's one key once also keeps at one.)"""
    site = running_site(tmp_path, web={"max_confirmations_per_hour": 2})
    desk, _daemon, sink, base = next(site)
    try:
        fields = {"email": "zoya@client.example", "subject": "Касса", "text": "Не печатает чек."}
        for n in range(2):  # back and «Отправить» again: a fresh form each time
            headers = {"X-Forwarded-For": f"192.0.2.{90 + n}"}
            fields["form"] = request(base + "/new", headers=headers).form_token()
            assert post(base + "/new", fields, headers=headers).status == 200
        assert wait_until(lambda: outbox_empty(desk))
        assert len(sink.to("zoya@client.example")) == 1
        headers = {"X-Forwarded-For": "198.51.100.7"}
        other = {"email": "petr@client.example", "subject": "Вопрос", "text": "Как?"}
        other["form"] = request(base + "/new", headers=headers).form_token()
        page = post(base + "/new", other, headers=headers)
        assert page.status == 200, page.text[:300]
    finally:
        next(site, None)


def test_the_same_question_sent_again_after_its_link_expired_gets_a_new_link(tmp_path, sink):
    """A confirmation link left unclicked for its 2 days; the customer fills the form in
    again with the same question, as the page of the expired link asks: the page said
    «отправлено письмо со ссылкой», but no letter went, the request taken for the one
    whose link waited (dead) for its click. Sent again on the link's last day, the same
    question is the request still waiting: no second letter. Days pass on the daemon's
    clock: to the day after the link's last, not 3 days, whose scheduler's sweep took
    the old request (sitepending.sweep) and left nothing to tell it from."""
    desk, base = site_desk(tmp_path, sink.port)
    headers = {"X-Forwarded-For": "192.0.2.82"}
    fields = {"email": "petr@client.example", "subject": "Счёт", "text": "Не печатается."}

    def ask() -> None:
        fields["form"] = request(base + "/new", headers=headers).form_token()
        sent = post(base + "/new", fields, headers=headers)
        assert sent.status == 200 and "На адрес petr@client.example отправлено" in sent.text

    def letters() -> list:
        return sink.to("petr@client.example")

    def serving(days_ahead: float) -> Daemon:
        daemon = Daemon(desk, days_ahead=days_ahead)
        started = daemon.logtext().count("site on") if daemon.log.exists() else 0
        daemon.start()  # its log goes on the last one's: its own "site on" is the next
        assert wait_until(lambda: daemon.logtext().count("site on") > started, 10)
        return daemon

    daemon = serving(0)
    try:
        ask()
        [first] = wait_until(letters)
    finally:
        daemon.stop()
    expires = tokens.split(link_in(first.text, base, "c").rsplit("/", 1)[1])[1]

    def at(day: int, second: int) -> float:
        """The days ahead that set the daemon's clock to `second` of `day` (tokens.day_of)."""
        return (day * 86400 + second - time.time()) / 86400

    daemon = serving(at(expires, 43200))  # the link's last day: it still opens
    try:
        ask()
        assert wait_until(lambda: outbox_empty(desk))
        assert len(letters()) == 1, "a second link went while the first was valid"
    finally:
        daemon.stop()
    daemon = serving(at(expires + 1, 1))
    try:
        old = request(link_in(first.text, base, "c"))  # opens nothing, says nothing is
        assert old.status == 403 and "устарела" in old.text  # registered: nothing is
        assert "Обращение уже зарегистрировано" not in old.text
        for _ in range(2):  # sent twice while its new link waits: one letter
            ask()
        assert wait_until(lambda: letters()[1:]), "the page said a letter went: none did"
        time.sleep(0.3)
        [_, second] = letters()
        link = link_in(second.text, base, "c")
        assert link != link_in(first.text, base, "c")
        assert post(link, {"form": request(link).form_token()}).status == 303
        mine = wait_until(lambda: [t["requester"] for t in desk.tickets()])
        assert mine == ["petr@client.example"]
    finally:
        daemon.stop()


def test_the_same_reply_sent_again_after_going_back_reaches_staff_once(site):
    """Back from the page after a reply, Chrome loads the form again (a new form token)
    with the text still typed in it; «Отправить» once more, thinking it had not gone,
    sent staff the same message a second time."""
    desk, _daemon, sink, _base = site
    link, tid = opened(site, "gleb@shop-example.ru")
    files = [("экран.png", "image/png", PNG)]
    for _ in range(2):
        fields = {"form": request(link).form_token(), "text": "Вот экран ошибки"}
        sent = post(link + "/reply", fields, files)
        assert sent.headers["location"].endswith("?sent=reply")
    other = post(link + "/reply", {"form": request(link).form_token(), "text": "И ещё одно"})
    assert other.headers["location"].endswith("?sent=reply")
    for _ in range(2):  # a file alone, alike
        post(link + "/reply", {"form": request(link).form_token(), "text": ""}, files)
    mine = [m for m in desk.ticket(tid)["messages"] if m["kind"] == "customer"]
    assert [m["text"].strip() for m in mine[1:3]] == ["Вот экран ошибки", "И ещё одно"]
    assert len(mine) == 4 and mine[3]["attachments"][0]["filename"] == "экран.png"
    assert wait_until(lambda: len(notices(sink, tid)) == 4)
    ask = make_mail(sender="anna@example.com", to=staff_to(tid), subject=f"Re: [TID#{tid}]")
    mail_in(site[1], ask, "anna@example.com", staff_to(tid))  # staff ask something new
    assert wait_until(lambda: [m for m in desk.ticket(tid)["messages"] if m["kind"] == "staff"])
    for _ in range(2):  # the same file again, for the new question: a new reply, once
        post(link + "/reply", {"form": request(link).form_token(), "text": ""}, files)
    mine = [m for m in desk.ticket(tid)["messages"] if m["kind"] == "customer"]
    assert len(mine) == 5 and mine[4]["attachments"][0]["filename"] == "экран.png"


def test_the_new_link_page_refreshed_mails_the_link_once(site):
    """«Прислать новую ссылку» answers the POST itself: the page refreshed (F5, the
    browser sends the form again) or the button pressed twice a second apart mailed
    a second letter each time; so did the button once more after Back, which loads
    the expired page anew (no-store) with a new form."""
    desk, _daemon, sink, base = site
    _link, tid = opened(site, "yana@shop-example.ru")
    key = (desk.root / "data" / "web_secret").read_bytes()
    days_ago = datetime.now(UTC) - timedelta(days=91)
    old = tokens.ticket_token(key, tid, "yana@shop-example.ru", days_ago, 90)
    form = request(f"{base}/t/{old}").form_token()

    def letters():
        return [m for m in sink.to("yana@shop-example.ru") if "Новая ссылка" in m.subject]

    for n in range(2):
        sent = post(f"{base}/t/{old}/renew", {"form": form})
        assert sent.status == 200 and "Новая ссылка отправлена" in sent.text
        time.sleep(1.05 - n)  # past the second the letter's key was made of
    assert wait_until(letters)
    time.sleep(0.3)
    assert len(letters()) == 1 and f"[TID#{tid}]" in letters()[0].subject
    for _ in range(2):  # Back, and the new page's button: the same page, no letter
        fresh = post(f"{base}/t/{old}/renew", {"form": request(f"{base}/t/{old}").form_token()})
        assert fresh.status == 200 and "Новая ссылка отправлена" in fresh.text
    time.sleep(0.5)
    assert len(letters()) == 1


def test_a_confirmation_posted_twice_at_once_leads_both_to_the_ticket(site):
    """A double tap on a slow phone: the second post's body came after the first had
    confirmed the request, whose held mail was gone from the pending folder: a 500 and
    a traceback, then a 503 «временная неполадка» naming the submission as a TID."""
    _desk, daemon, sink, base = site
    form = request(base + "/new", headers={"X-Forwarded-For": "198.51.100.77"}).form_token()
    ask = {"email": "twice@client.example", "subject": "Вопрос", "text": "Текст", "form": form}
    assert post(base + "/new", ask, headers={"X-Forwarded-For": "198.51.100.77"}).status == 200
    [mail] = wait_until(lambda: sink.to("twice@client.example"))
    link = link_in(mail.text, base, "c")
    token = request(link).form_token()
    boundary = uuid.uuid4().hex
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="form"\r\n\r\n{token}\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    parts = urlsplit(link)
    with socket.create_connection((parts.hostname, parts.port)) as s:
        s.sendall(  # the second post: its head now, its body after the first post
            f"POST {parts.path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        )
        time.sleep(0.3)
        first = post(link, {"form": token})
        assert first.status == 303
        s.sendall(body)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode()
    assert head.startswith("HTTP/1.1 303 ") and f"Location: {first.headers['location']}" in head
    assert "not served" not in daemon.logtext() and "Traceback" not in daemon.logtext()


def test_the_ticket_page_names_the_head_of_support_and_the_public_form_does_not(site):
    """The regulation lets a customer write to the head of support to comment on or
    speed up an urgent question: the ticket's page says whom (support.head), as the
    closing letter does; the public «Задать вопрос» form, reached with no ticket link,
    does not name him."""
    _desk, _daemon, _sink, base = site
    link, _tid = opened(site, "head-reader@shop-example.ru")
    page = " ".join(request(link).text.split())
    assert 'руководителю службы поддержки (<a href="mailto:head@example.com">' in page
    assert "недовольны работой поддержки" in page
    headers = {"X-Forwarded-For": "203.0.113.77"}
    assert "head@example.com" not in request(base + "/new", headers=headers).text
