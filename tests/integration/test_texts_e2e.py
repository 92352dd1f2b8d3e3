"""The texts people receive, read as they arrive (real CLI and jobs, real SMTP sink):
Russian words only, the ticket's own subject, dates as a Russian reader writes them."""

from __future__ import annotations

import re
from datetime import datetime, time

from maild import jobs
from maild.domain.calendar import BusinessCalendar
from maild.domain.policy import business_hours
from tests.helpers import dead_port, make_mail
from tests.integration.test_jobs import MSK, app_of, ingest_at, world  # noqa: F401

# Latin words that are not addresses, TIDs, file names or commands (#take)
LATIN_WORD = re.compile(r"(?<![\w@.#/+-])[A-Za-z]{3,}(?![\w@.])")


def latin_words(text: str) -> list[str]:
    """Latin words of a staff reminder or escalation outside what staff type or
    read as code: commands, maild's commands, the level id in brackets."""
    return [w for w in LATIN_WORD.findall(text) if w not in {"maild", "SPF", "DKIM"}]


def run_jobs(desk, clock, at: datetime) -> None:
    clock.now = at
    jobs.run_all(app_of(desk, clock), at)
    desk.flush()


def test_reminder_and_escalation_name_the_status_in_russian(world, sink):  # noqa: F811
    desk, clock = world  # Friday 20.11.2026 16:00; free: 24 business hours
    tid = ingest_at(desk, clock, make_mail())
    run_jobs(desk, clock, datetime(2026, 11, 25, 10, 30, tzinfo=MSK))  # past 75 %
    run_jobs(desk, clock, datetime(2026, 11, 25, 16, 30, tzinfo=MSK))  # past the deadline
    [reminder] = [r for r in sink.to("anna@example.com") if "Напоминание" in r.subject]
    [escalation] = [r for r in sink.to("head@example.com") if "Просрочена" in r.subject]
    for mail in (reminder, escalation):
        assert f"[TID#{tid}]" in mail.subject
        assert "Статус: новое, ответа ещё не было" in mail.text
        assert latin_words(mail.text.split("Команды (")[0]) == [], mail.text


def test_a_reminder_sent_after_the_deadline_does_not_say_it_is_near(world, sink):  # noqa: F811
    desk, clock = world  # Friday 20.11.2026 16:00; free: due Wednesday 25.11 13:00
    tid = ingest_at(desk, clock, make_mail())
    run_jobs(desk, clock, datetime(2026, 11, 26, 10, 0, tzinfo=MSK))  # the first run since
    [reminder] = [r for r in sink.to("anna@example.com") if "Напоминание" in r.subject]
    assert "истёк" in reminder.subject and "скоро" not in reminder.subject
    assert f"[TID#{tid}]" in reminder.subject
    assert "срок реакции уже истёк" in reminder.text and "истекает" not in reminder.text
    clock.now = datetime(2026, 11, 26, 10, 0, tzinfo=MSK)  # due Monday 30.11 16:00
    on_time = ingest_at(desk, clock, make_mail(subject="Второй вопрос"))
    run_jobs(desk, clock, datetime(2026, 11, 30, 11, 0, tzinfo=MSK))  # past 75 %
    mails = [r for r in sink.to("anna@example.com") if f"[TID#{on_time}]" in r.subject]
    [reminder] = [r for r in mails if "Напоминание" in r.subject]
    assert "скоро истекает срок реакции" in reminder.subject


def test_a_follow_up_is_acknowledged_under_the_tickets_subject(desk, sink):
    tid = desk.ingest_tid(make_mail(subject="Не работает оформление заказа"))
    desk.flush()
    for subject in (f"Re: [TID#{tid}]", f"Re: Обращение зарегистрировано [TID#{tid}]"):
        before = len(sink.received)
        desk.ingest(make_mail(subject=subject, body="Ещё подробности: ошибка в логе."))
        desk.flush()
        new = sink.wait_for(before + 3)[before:]  # the customer's and the staff's
        ack = [r for r in new if "ivan@shop-example.ru" in r.rcpt_tos]
        notice = [r for r in new if "anna@example.com" in r.rcpt_tos]
        for mail in ack + notice:
            assert mail.subject.endswith(f": Не работает оформление заказа [TID#{tid}]")
            assert "(без темы)" not in mail.subject and "зарегистрировано" not in mail.subject
        assert len(ack) == 1 and len(notice) == 1


def test_one_mail_per_staff_reply_is_signed_once_with_the_site_link_above(tmp_path, sink):
    from tests.helpers import Desk
    from tests.integration.test_staff_e2e import open_ticket, staff_reply

    desk = Desk(tmp_path, sink.port, web={"base_url": "https://support.example.com"})
    tid, _ = open_ticket(desk, sink)
    for body in ("#take\n#level vip\n", "Ошибка исправлена.\nАнна\n#close\n", "Проверьте.\n"):
        before = len(sink.to("ivan@shop-example.ru"))
        desk.ingest(staff_reply(tid, body))
        desk.flush()
        [mail] = sink.to("ivan@shop-example.ru")[before:]
        text = mail.text.replace("\r\n", "\n")
        assert text.count("\n--\n") <= 1 and text.count("Служба поддержки\n") <= 1, text
        assert text.count(f"[TID#{tid}] в теме") <= 1, text
        link = text.index("Вся переписка по обращению — на сайте поддержки:")
        signed = text.find("\n--\n")
        assert signed < 0 or link < signed, text  # the link above the signature
        assert "\n\n\n" not in text, text  # no stray empty lines
        assert text.endswith("\n--\nСлужба поддержки\nsupport@example.com\n"), text


def test_the_outbox_alert_gives_the_queued_time_in_moscow_time_not_iso(tmp_path):
    import email
    import email.policy

    from tests.helpers import Desk
    from tests.integration.test_jobs import Clock

    desk = Desk(tmp_path, dead_port(), schedule={"outbox_give_up_attempts": 2})
    clock = Clock(datetime(2026, 11, 23, 10, 0, tzinfo=MSK))
    ingest_at(desk, clock, make_mail())
    app = app_of(desk, clock)
    for _ in range(2):  # nothing listens on the relay's port
        app.outbox.flush(app.config.outbound, clock.now)
    assert jobs.outbox_alerts(app, clock.now) == 3
    mails: dict[str, bytes] = {}
    alerts = [m for m in app.outbox.entries(mails) if m["kind"] == "alert"]
    texts = [
        email.message_from_bytes(mails[m["id"]], policy=email.policy.default).get_content()
        for m in alerts
    ]
    [text] = texts  # one mail names the three
    assert text.count("Поставлено в очередь: 23.11.2026 10:00 (МСК)") == 3
    assert text.count("Попыток: 2") == 3 and "T10:00" not in text


def test_a_webmails_blank_lines_of_nbsp_stay_blank_lines(desk, sink):
    """Mail.ru and Yandex write a mail of HTML only, a <div> a line and
    <div>&nbsp;</div> for an empty one: staff and `ticket show` read its paragraphs
    apart, as the customer saw them when writing (the empty lines were lost, and the
    greeting, the question and the signature ran together)."""
    import base64

    html = (
        "<HTML><BODY><div>Добрый день!</div><div>&nbsp;</div>"
        "<div>Не активируется лицензия.</div><div>Ключ вводил дважды.</div>"
        "<div>&nbsp;</div><div>--&nbsp;</div><div>Анна</div></BODY></HTML>"
    )
    raw = (
        "From: =?utf-8?B?" + base64.b64encode("Анна".encode()).decode() + "?= "
        "<anna.k@mailru-example.ru>\r\n"
        "To: support@example.com\r\nSubject: License\r\n"
        "Message-ID: <1606291200.1@f1.mail-example.ru>\r\nMIME-Version: 1.0\r\n"
        "X-Mailer: Mail.Ru Mailer 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(html.encode()).decode()
    ).encode()
    tid = desk.ingest_tid(raw)
    desk.flush()
    expected = "Добрый день!\n\nНе активируется лицензия.\nКлюч вводил дважды.\n\n--"
    assert desk.ticket(tid)["messages"][0]["text"].startswith(expected)
    [notice] = sink.to("anna@example.com")
    assert expected in notice.text.replace("\r\n", "\n"), notice.text


def test_a_desk_in_another_time_zone_names_it_after_each_time(tmp_path, sink):
    """Times in mail are the desk's (support.timezone): «(МСК)» for staff and «(время
    московское)» for customers only when that is Moscow; a desk in Yekaterinburg says
    so, two hours off Moscow."""
    from tests.helpers import Desk

    desk = Desk(tmp_path, sink.port, support={"timezone": "Asia/Yekaterinburg"})
    desk.ingest(make_mail())
    desk.flush()
    [notice] = sink.to("anna@example.com")
    [due] = [line for line in notice.text.splitlines() if line.startswith("Реакция не позднее")]
    assert due.endswith("(Asia/Yekaterinburg)") and "МСК" not in notice.text
    [confirmation] = sink.to("ivan@shop-example.ru")  # and the customer's, in words
    assert "(часовой пояс Asia/Yekaterinburg)" in confirmation.text
    # the business hours too: «с 9:00 до 18:00 по московскому времени» were Yekaterinburg's
    assert "московск" not in confirmation.text
    hours = business_hours(BusinessCalendar().day_start, BusinessCalendar().day_end)
    assert f"{hours} по времени часового пояса Asia/Yekaterinburg." in confirmation.text


def test_the_business_hours_customers_read_are_the_calendars(tmp_path, sink, monkeypatch):
    """The confirmation and the site's footer said «с 9:00 до 18:00» in their own
    words: business hours changed in the calendar (calendar.DAY_START, DAY_END, what
    deadlines count) left both promising the old ones. Both are the calendar's now."""
    from maild.app import App
    from maild.config import load
    from maild.domain import calendar
    from maild.web.views import Site
    from tests.helpers import Desk

    monkeypatch.setattr(calendar, "DAY_START", time(10))
    monkeypatch.setattr(calendar, "DAY_END", time(19, 30))
    web = {"listen": "127.0.0.1:18999", "base_url": "https://support.example.com"}
    desk = Desk(tmp_path, sink.port, web=web)
    desk.ingest(make_mail())
    desk.flush()
    [confirmation] = sink.to("ivan@shop-example.ru")
    text = confirmation.text.replace("\r\n", "\n")
    assert "по рабочим дням\nс 10:00 до 19:30 по московскому времени." in text
    # the old hours nowhere (a deadline may fall at 18:00 itself: «... 09.12.2026 18:00»)
    assert "с 9:00" not in text and "до 18:00" not in text
    page = Site(App(load(desk.config)), None).notice("Проверьте почту").text
    footer = page[page.index("<footer>") : page.index("</footer>")]
    assert footer.endswith("по рабочим дням с 10:00 до 19:30 по московскому времени.")
