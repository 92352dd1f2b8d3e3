"""The support site over HTTP, inside a real `maild serve` subprocess with a real
relay sink: personal links, refusals, escaping, headers, forms and their limits."""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest

from maild.web import tokens
from tests.helpers import PNG, Daemon, make_mail, staff_to
from tests.integration.test_serve import wait_until
from tests.webclient import link_in, post, request, site_desk

CUSTOMER = "ivan@shop-example.ru"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from tests.helpers import Sink

    sink = Sink().start()
    desk, base = site_desk(
        tmp_path_factory.mktemp("site"),
        sink.port,
        web={"max_submissions_per_hour": 2},
        attachments={"max_message_bytes": 1_000_000},
    )
    daemon = Daemon(desk).start()
    assert wait_until(lambda: "site on" in daemon.logtext(), 10)
    yield desk, daemon, sink, base
    assert daemon.stop() == 0  # SIGTERM stops the site with the rest
    sink.stop()


def mail_in(daemon, raw: bytes, sender: str = CUSTOMER, to: str = "support@example.com") -> None:
    with smtplib.SMTP("127.0.0.1", daemon.port) as s:
        s.sendmail(sender, [to], raw)


@pytest.fixture(scope="module")
def ticket(site):
    """A customer's ticket by mail: a <script> in the text, a PNG and an HTML file."""
    desk, daemon, sink, base = site
    body = "Ошибка <script>alert(1)</script> на странице заказа.\nПароль: qwerty123"
    files = [("screen.png", "image/png", PNG), ("page.html", "text/html", b"<b>x</b>")]
    mail_in(daemon, make_mail(body=body, msgid="<w1@c.example>", attachments=files))
    [conf] = wait_until(lambda: sink.to(CUSTOMER))
    # staff's notices too: a test counting the notices after them did count one of these
    assert wait_until(lambda: sink.to("anna@example.com") and sink.to("boris@example.com"))
    return conf, link_in(conf.text, base)


def test_customer_mail_has_a_link_staff_mail_none_and_the_store_no_token(site, ticket):
    desk, _daemon, sink, base = site
    conf, link = ticket
    [staff] = wait_until(lambda: sink.to("anna@example.com"))
    assert "/t/" not in staff.text
    tid = conf.subject.split("[TID#")[1].rstrip("]")
    token = link.rsplit("/", 1)[1]
    assert token.startswith(tid + ".")
    assert token not in str(desk.ticket(tid))  # ticket show --json: masked
    quoted = make_mail(
        subject=f"Re: {conf.subject}",
        body=f"Спасибо.\n\n> {conf.text.replace(chr(10), chr(10) + '> ')}",
        msgid="<w1-quote@c.example>",
    )
    mail_in(_daemon, quoted)  # a reply quoting the whole confirmation, link and all
    assert wait_until(lambda: len(desk.ticket(tid)["messages"]) > 3)
    assert token not in str(desk.ticket(tid))
    # the notice of the reply itself (the count of stored messages does not wait for it)
    told = f"Новое письмо клиента: Не работает оформление заказа [TID#{tid}]"
    assert wait_until(lambda: [m for m in sink.to("anna@example.com") if m.subject == told])
    assert all(token not in m.text for m in sink.to("anna@example.com"))
    page = request(link).text  # the page shows what is new in a reply, not the quote
    assert "Спасибо." in page and "Обращения обрабатываются" not in page


def test_ticket_page_escapes_shows_files_and_sends_safe_headers(site, ticket):
    _conf, link = ticket
    page = request(link)
    assert page.status == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>" not in page.text
    assert "qwerty123" not in page.text  # access data are never on the web
    assert "page.html: не принят" in page.text
    # as in the confirmation mail: "не более 24 рабочих часа" was ungrammatical
    assert "<dt>Максимальное время реакции</dt><dd>24 рабочих часа</dd>" in page.text
    # the state in the words of the status mail («Состояние обращения ...: зарегистрировано, ...»)
    assert '<dd id="status">Зарегистрировано, ожидает ответа сотрудника</dd>' in page.text
    assert "set-cookie" not in page.headers
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "script-src" not in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    f = request(link + "/file/0/0")
    assert f.status == 200 and f.body == PNG
    assert f.headers["content-type"] == "image/png"
    assert f.headers["content-disposition"].startswith("attachment;")
    assert request(link + "/file/0/1").status == 404  # the refused HTML is not served


def test_tampered_foreign_and_expired_links_get_a_plain_page(site, ticket):
    desk, daemon, sink, base = site
    _conf, link = ticket
    tid, expiry, mac = link.rsplit("/", 1)[1].split(".")
    bad = f"{base}/t/{tid}.{expiry}.{mac[:-2]}{'AA' if mac[-2:] != 'AA' else 'BB'}"
    longer = f"{base}/t/{tid}.{int(expiry) + 1}.{mac}"
    key = (desk.root / "data" / "web_secret").read_bytes()
    stranger = tokens.ticket_token(key, tid, "other@evil.example", datetime.now(UTC), 90)
    old = tokens.ticket_token(key, tid, CUSTOMER, datetime.now(UTC) - timedelta(days=91), 90)
    for url, text in [
        (bad, "недействительна"),
        (longer, "недействительна"),
        (f"{base}/t/{stranger}", "недействительна"),
        (f"{base}/t/{old}", "истёк"),
        (f"{base}/t/../../etc", "не найдена"),
    ]:
        page = request(url)
        assert page.status in (403, 404), url
        assert text in page.text and "Переписка" not in page.text
        assert page.headers["x-content-type-options"] == "nosniff"
    assert mac not in daemon.logtext() and "/t/…" in daemon.logtext()
    expired = request(f"{base}/t/{old}")
    before = len(sink.to(CUSTOMER))
    sent = post(f"{base}/t/{old}/renew", {"form": expired.form_token()})
    assert sent.status == 200 and CUSTOMER in sent.text
    [fresh] = wait_until(lambda: sink.to(CUSTOMER)[before:])
    assert f"[TID#{tid}]" in fresh.subject
    assert request(link_in(fresh.text, base)).status == 200
    assert post(f"{base}/t/{stranger}/renew", {"form": expired.form_token()}).status == 403
    for form in ({"form": "1767225600.forged.mac"}, {}):  # the owner's link, no page's form
        assert post(f"{base}/t/{old}/renew", form).status == 403, form


def test_new_links_to_one_address_stop_at_the_hours_allowance_of_letters_sent(site):
    """An old link found in a forwarded mail gets its finder nothing but mail to its
    owner, and at most web.max_submissions_per_hour (2 here) letters an hour per
    address, however many of the owner's tickets the finder holds old links of. A press
    after Back, within SENT_LATELY of the letter, sends none and so costs none: the
    allowance counts letters, and a customer who pressed twice still gets a link for
    another ticket. Each press's outcome is in the store before its page is answered:
    nothing here waits on the clock."""
    desk, daemon, sink, base = site
    who = "olga@shop-example.ru"
    questions = ("Не печатается счёт.", "Как сменить пароль?", "Где взять акт сверки?")
    # three texts: one text thrice, each after our confirmation of the one before, is
    # a robot's and gets no third confirmation (robotrounds.OPENING_RUN)
    for n, question in enumerate(questions):
        raw = make_mail(
            sender=f"Ольга <{who}>",
            subject=f"Вопрос {n}",
            msgid=f"<hour{n}@c.example>",
            body=question,
        )
        mail_in(daemon, raw, sender=who)
    confs = wait_until(lambda: len(sink.to(who)) >= 3 and sink.to(who))
    assert confs, sink.to(who)
    tids = sorted(link_in(c.text, base).rsplit("/", 1)[1].split(".")[0] for c in confs)
    key = (desk.root / "data" / "web_secret").read_bytes()
    days_ago = datetime.now(UTC) - timedelta(days=91)

    def press(tid: str) -> int:  # the expired page loaded anew: a form of its own
        old = f"{base}/t/{tokens.ticket_token(key, tid, who, days_ago, 90)}"
        return post(f"{old}/renew", {"form": request(old).form_token()}).status

    first, second, third = tids
    assert [press(first), press(first), press(second), press(third)] == [200, 200, 200, 429]
    asked = "Вы запросили новую ссылку"  # web_link.txt, as the thread records it
    letters = [[m for m in desk.ticket(t)["messages"] if asked in m["text"]] for t in tids]
    assert [len(sent) for sent in letters] == [1, 1, 0]


def test_a_reply_posted_after_the_link_expired_is_shown_back_to_copy(site, ticket):
    """The page stayed open while its link expired: the reply is not sent (the link no
    longer opens the ticket), but its text comes back on the expired-link page, ready
    to copy, beside the button that mails a fresh link."""
    desk, daemon, sink, base = site
    _conf, link = ticket
    tid = link.rsplit("/", 1)[1].split(".")[0]
    key = (desk.root / "data" / "web_secret").read_bytes()
    old = tokens.ticket_token(key, tid, CUSTOMER, datetime.now(UTC) - timedelta(days=91), 90)
    page = request(link)  # opened while the link was good
    text = "Долгий ответ <b>с разметкой</b>,\nнабранный полчаса."
    sent = post(f"{base}/t/{old}/reply", {"form": page.form_token(), "text": text})
    assert sent.status == 403 and "истёк" in sent.text  # a reply taken is spooled, then 303
    assert "Долгий ответ &lt;b&gt;с разметкой&lt;/b&gt;,\nнабранный полчаса." in sent.text
    assert "не отправлено" in sent.text and "/renew" in sent.text


def test_reply_needs_the_form_token_and_reaches_staff(site, ticket):
    desk, daemon, sink, base = site
    _conf, link = ticket
    before = len(sink.to("anna@example.com"))
    typed = "подделка\nвторая строка <b>"
    forged = post(link + "/reply", {"form": "1.abc.def", "text": typed})
    assert forged.status == 400 and "Форма устарела" in forged.text
    # «отправьте ещё раз»: what was typed is in the fresh page's form, not lost
    assert ">подделка\nвторая строка &lt;b&gt;</textarea>" in forged.text
    page = request(link)
    r = post(
        link + "/reply",
        {"form": page.form_token(), "text": "Вот скриншот"},
        [("shot.png", "image/png", PNG)],
    )
    assert r.status == 303 and r.headers["location"].endswith("?sent=reply")
    again = post(
        link + "/reply",
        {"form": page.form_token(), "text": "Вот скриншот"},
        [("shot.png", "image/png", PNG)],
    )
    assert again.status == 303  # the same form submitted twice (a double click): stored once
    mails = wait_until(lambda: sink.to("anna@example.com")[before:])
    assert len(mails) == 1 and "Вот скриншот" in mails[0].text
    assert "подделка" not in str(desk.tickets())
    shown = request(base + r.headers["location"]).text
    assert "Ваше сообщение добавлено" in shown and "Вот скриншот" in shown and "shot.png" in shown


def test_a_pasted_log_reaches_the_ticket_whole(site, ticket):
    """A log of 50,000 characters pasted into the reply: the textarea's maxlength
    (20,000) made the browser cut it without a word, and so did the server; mail
    takes any length, and the page shows 100,000 characters of a text."""
    desk, _daemon, _sink, _base = site
    _conf, link = ticket
    log = "".join(f"2026-12-03 10:15:{i % 60:02d} ERROR Order {i}: timeout\n" for i in range(1300))
    assert 50_000 < len(log) < 100_000
    page = request(link)
    assert 'maxlength="100000"' in page.text
    r = post(link + "/reply", {"form": page.form_token(), "text": "Журнал:\n" + log})
    assert r.status == 303
    tid = link.rsplit("/", 1)[1].split(".")[0]

    def whole() -> bool:
        texts = [m["text"] for m in desk.ticket(tid)["messages"] if m["kind"] == "customer"]
        return any(log.strip() in t for t in texts)

    # (stored by now, unless the page said «?sent=later»: not within views.WAIT_STORED)
    assert wait_until(whole)


def test_new_form_honeypot_rate_limit_and_confirmation(site):
    desk, daemon, sink, base = site
    form = request(base + "/new")
    assert form.status == 200 and 'name="website"' in form.text
    fields = {"name": "Олег", "email": "oleg@client.example", "subject": "Вопрос", "text": "Как?"}
    bot = post(base + "/new", {**fields, "website": "http://spam", "form": form.form_token()})
    assert bot.status == 200 and "Проверьте почту" in bot.text
    before = len(sink.received)
    inside_all = ("anna@example.com", "head@example.com", "support+x@example.com")
    # a staff member's plus-address, the support domain's role mailboxes: ours too
    roles = ("anna+x@example.com", "postmaster@example.com", "mailer-daemon@example.com")
    for inside in (*inside_all, *roles):
        refused = post(
            base + "/new", {**fields, "email": inside, "form": request(base + "/new").form_token()}
        )
        assert refused.status == 400 and "Проверьте адрес" in refused.text, inside
    time.sleep(0.5)
    assert not sink.to("oleg@client.example")
    # no confirmation link went to support's side (the module's daemon may still be
    # relaying the mail of the tests before: only confirmations count)
    confirmations = [r for r in sink.received[before:] if "Подтвердите" in r.msg["Subject"]]
    assert confirmations == []
    for n in range(2):  # two questions (the same one again is one request)
        more = {"text": f"Как? {n}" if n else "Как?"}
        ok = post(base + "/new", {**fields, **more, "form": request(base + "/new").form_token()})
        assert ok.status == 200, n
    third = {**fields, "text": "Как? 3", "form": request(base + "/new").form_token()}
    limited = post(base + "/new", third)
    assert limited.status == 429  # and another way to ask (one office, one IP, many people)
    assert "напишите нам письмо на адрес support@example.com" in limited.text
    mails = wait_until(
        lambda: sink.to("oleg@client.example")[1:] and sink.to("oleg@client.example")
    )
    assert len(mails) == 2 and "[TID#" not in mails[0].subject  # no ticket before the click
    assert not [t for t in desk.tickets() if t["requester"] == "oleg@client.example"]
    link = link_in(mails[0].text, base, "c")
    assert link.rsplit("/", 1)[1] not in daemon.logtext()
    confirm = request(link)
    assert confirm.status == 200 and "Подтвердить" in confirm.text
    # the form and the page after it name the button the link's page really has
    button = re.search(r'<button type="submit">([^<]+)</button>', confirm.text)[1]
    assert button == "Подтвердить и отправить обращение"
    for page in (form.text, bot.text):
        assert f"нажмите «{button}»" in " ".join(page.split())
    done = post(link, {"form": confirm.form_token()})
    assert done.status == 303 and "/t/" in done.headers["location"]
    assert "Как?" in request(base + done.headers["location"]).text
    assert sum(t["requester"] == "oleg@client.example" for t in desk.tickets()) == 1
    # opened and posted, the confirmation link is in the access log masked, as /t/ is
    assert link.rsplit("/", 1)[1] not in daemon.logtext() and "/c/… 303" in daemon.logtext()


def test_a_question_with_a_blank_subject_or_text_is_refused_and_mails_nothing(site):
    """A subject or a text of spaces alone passes the browser's `required` but says
    nothing: each one's form comes back, «Заполните тему и текст вопроса», and no link
    is mailed (a question with a text and no subject, or a subject and no text, was
    sent on: a ticket «(без текста)»)."""
    _desk, _daemon, sink, base = site
    fields = {"name": "", "email": "pustoy@client.example"}
    for blank in ({"subject": "Вопрос", "text": "  \n "}, {"subject": "   ", "text": "Как?"}):
        form = request(base + "/new").form_token()
        refused = post(base + "/new", {**fields, **blank, "form": form})
        assert refused.status == 400, blank
        assert "Заполните тему и текст вопроса" in refused.text, blank
    time.sleep(0.3)
    assert not sink.to("pustoy@client.example")


def answered_page(site, customer: str, answer: str, shows: str, files=()) -> str:
    """The customer's page once it shows ``shows`` of a staff answer (``answer``, with
    ``files``) to the question the customer mailed."""
    _desk, daemon, sink, base = site
    mail_in(daemon, make_mail(sender=customer, body="Не могу войти."), customer)
    [conf] = wait_until(lambda: sink.to(customer))
    tid = conf.subject.split("[TID#")[1].rstrip("]")
    reply = make_mail(sender="anna@example.com", to=staff_to(tid), body=answer, attachments=files)
    mail_in(daemon, reply, "anna@example.com", staff_to(tid))
    link = link_in(conf.text, base)

    def answered() -> str | None:
        text = request(link).text
        return text if shows in text else None

    page = wait_until(answered)
    assert page, f"{shows!r} not on the page"
    return page


def test_a_staff_answer_on_the_page_is_the_desks_with_its_access_data_blanked(site):
    """A staff answer shows on the page as «Служба поддержки», never its writer's
    address (staff addresses are not the customer's to know), and access data in it
    (a temporary password given by mail) are blanked as in a customer's text: the page
    is behind a link that may be forwarded; the mail is the place for them."""
    body = "Сбросили доступ.\nПароль: Zx9-temp-41"
    page = answered_page(site, "lena@shop-example.ru", body, "Сбросили доступ.")
    assert "Служба поддержки" in page and "anna@example.com" not in page
    assert "Zx9-temp-41" not in page


def test_a_file_is_served_as_its_type_only_when_that_is_a_picture_or_zip(site):
    """Staff may send any file (README, Attachments), and the customer's page offers it
    for download. It is served as its own type only when that is a picture or a ZIP
    archive: an HTML page (or SVG, or anything a browser would run) comes as
    application/octet-stream, to be saved, never opened as a page of the site."""
    base = site[3]
    html = b"<html><script>alert(document.cookie)</script></html>"
    files = [("инструкция.html", "text/html", html), ("снимок.png", "image/png", PNG)]
    page = answered_page(site, "kira@shop-example.ru", "Во вложении.", "инструкция.html", files)
    served = {}
    for href in re.findall(r'href="([^"]*/file/\d+/\d+)"', page):
        got = request(href if href.startswith("http") else base + href)
        served[got.body] = got.headers["content-type"]
    assert served == {html: "application/octet-stream", PNG: "image/png"}, served


def test_body_cap_rating_only_when_closed_and_reopen(site):
    desk, daemon, sink, base = site
    mail_in(daemon, make_mail(body="Второй вопрос", msgid="<w2@c.example>"))
    conf = wait_until(
        lambda: [
            m
            for m in sink.to(CUSTOMER)
            if "Второй вопрос" in m.subject or m.msg["In-Reply-To"] == "<w2@c.example>"
        ]
    )
    link = link_in(conf[0].text, base)
    tid = link.rsplit("/", 1)[1].split(".")[0]
    big = post(
        link + "/reply",
        {"form": request(link).form_token(), "text": "x"},
        [("big.png", "image/png", b"\0" * 2_200_000)],
    )
    assert big.status == 413 and "не больше 976,6 КБ" in big.text
    # files of the limit itself, with the form's fields around them, are not too big
    # (here the form is stale: the size is judged first, and no mail is made)
    near = post(
        link + "/reply",
        {"form": "1.abc.def", "text": "x"},
        [("near.png", "image/png", b"\0" * 1_000_000)],
    )
    assert near.status == 400 and "Форма устарела" in near.text, near.status
    early = post(link + "/rate", {"form": request(link).form_token(), "rating": "5"})
    assert early.status == 400 and desk.ticket(tid).get("rating") is None
    # the rating form has no text: its refusal speaks of the rating, not of a message
    assert "Оценку можно поставить, когда обращение будет закрыто" in early.text
    assert "Напишите сообщение" not in early.text
    reply_to = staff_to(tid)  # the notice's Reply-To: what makes the reply count as staff

    def staff_close(body: str) -> None:
        mail = make_mail(
            sender="anna@example.com", to=reply_to, subject=f"Re: x [TID#{tid}]", body=body
        )
        mail_in(daemon, mail, "anna@example.com", reply_to)
        assert wait_until(lambda: desk.ticket(tid)["status"] == "closed")

    staff_close("#close\nГотово.")
    page = request(link)
    assert "Оцените работу" in page.text and "Открыть обращение снова" in page.text
    r = post(link + "/reopen", {"form": page.form_token(), "text": "Снова ошибка"})
    assert r.status == 303 and r.headers["location"].endswith("?sent=reopen")
    assert desk.ticket(tid)["status"] == "open"
    assert "Снова ошибка" in request(link).text
    # a rating from the closed page left open (another tab, a Cc participant reopened)
    stale = post(link + "/rate", {"form": page.form_token(), "rating": "5"})
    assert stale.status == 400 and "будет закрыто" in stale.text
    assert "Напишите сообщение" not in stale.text

    # so is its reopen form: what it says goes as a reply, not «Прошу открыть снова»,
    # and nothing typed sends nothing (the page said «Обращение открыто снова»)
    def said() -> list[str]:
        return [m["text"] for m in desk.ticket(tid)["messages"] if m["kind"] == "customer"]

    before = said()
    again = post(link + "/reopen", {"form": page.form_token(), "text": "И ещё скриншот"})
    assert again.status == 303 and again.headers["location"].endswith("?sent=reply")
    assert said()[len(before) :] == ["И ещё скриншот\n"]
    empty = post(link + "/reopen", {"form": page.form_token()})
    assert empty.status == 400 and "уже открыто снова" in empty.text
    assert len(said()) == len(before) + 1
    staff_close("#close\nИсправлено.")
    blank = post(link + "/rate", {"form": request(link).form_token()})  # no button's value
    assert blank.status == 400 and "Выберите, пожалуйста, оценку от 1 до 5" in blank.text


def test_a_tampered_confirmation_link_opens_nothing(site):
    desk, daemon, sink, base = site
    page = request(f"{base}/c/0123abcd.99999.AAAAAAAAAAAAAAAAAAAAAA")
    assert page.status == 403 and "Задать вопрос" in page.text
    assert post(f"{base}/c/0123abcd.99999.AAAAAAAAAAAAAAAAAAAAAA", {"form": "x"}).status == 403


def test_a_taken_site_port_stops_serve_with_71(tmp_path, sink):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        desk, _base = site_desk(tmp_path, sink.port)
        desk.sections["web"]["listen"] = f"127.0.0.1:{taken.getsockname()[1]}"
        desk.write_config()
        daemon = Daemon(desk)
        with contextlib.suppress(RuntimeError):  # it may exit before or after SMTP is up
            daemon.start()
        assert daemon.proc.wait(timeout=20) == 71  # EX_OSERR, as for a taken SMTP port
        daemon.stop()
        assert "cannot listen on" in daemon.logtext()
