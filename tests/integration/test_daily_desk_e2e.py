"""The desk staff use every day from their mail client (issue 22), end to end:
the real CLI (`maild ingest`, `maild jobs run`), a real aiosmtpd relay sink."""

from __future__ import annotations

import json
from datetime import date, timedelta
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from maild.domain.calendar import BusinessCalendar
from tests.helpers import Desk, make_mail, staff_to
from tests.integration.test_staff_e2e import open_ticket, staff_reply

CUSTOMER = "ivan@shop-example.ru"


def sent_after(sink, address: str, before: int, desk: Desk) -> list:
    """Mail to ``address`` that reached the sink after the first ``before`` ones."""
    desk.flush()
    sink.wait_for(len(sink.received))
    return sink.to(address)[before:]


def test_command_on_the_last_line_and_one_mail_per_reply(desk, sink):
    tid, _ = open_ticket(desk, sink)
    before = len(sink.to(CUSTOMER))
    desk.ingest(staff_reply(tid, "Добрый день!\nОшибка исправлена в 7.0.1.\n\nАнна\n#close\n"))
    assert desk.ticket(tid)["status"] == "closed"
    [mail] = sent_after(sink, CUSTOMER, before, desk)  # one mail, not three
    assert "Ошибка исправлена" in mail.text and "от 1 до 5" in mail.text
    assert "#close" not in mail.text and "Работа по обращению начата" not in mail.text
    assert f"[TID#{tid}]" in mail.subject
    # an unknown #word inside the text is text; at the top it is an error to staff
    desk.ingest(staff_reply(tid, "#reopen\nСмотрите раздел\n#новинки\nв каталоге."))
    [mail] = sent_after(sink, CUSTOMER, before + 1, desk)
    assert "#новинки" in mail.text and "#reopen" not in mail.text
    desk.ingest(staff_reply(tid, "#zakryt\nТекст", sender="boris@example.com"))
    [err] = [r for r in sent_after(sink, "boris@example.com", 0, desk) if "не выполн" in r.subject]
    assert "#zakryt" in err.text
    assert len(sink.to(CUSTOMER)) == before + 2


def test_take_alone_tells_the_customer_work_started(desk, sink):
    tid, _ = open_ticket(desk, sink)
    before = len(sink.to(CUSTOMER))
    desk.ingest(staff_reply(tid, "#take\n#level vip\n"))  # two notices, one mail
    [mail] = sent_after(sink, CUSTOMER, before, desk)
    assert "Работа по обращению начата" in mail.subject
    assert "VIP поддержка" in mail.text


def test_saved_answers_from_the_shipped_set_and_an_override_dir(desk, sink, tmp_path):
    override = tmp_path / "local-templates"
    (override / "answers").mkdir(parents=True)
    (override / "answers" / "version.txt").write_text(
        "{{ name }}, пришлите версию продукта по обращению {{ tid }} ({{ level_name }}).\n",
        encoding="utf-8",
    )
    (override / "answers" / "bmp_screenshots.txt").write_text(
        "Наш локальный текст про BMP.\n", encoding="utf-8"
    )
    desk.sections["templates"] = {"path": str(override)}
    desk.write_config()
    listed = desk.run("answers", "list", "--json").json()
    names = [a["name"] for a in listed]
    assert {"request_info", "not_supported", "bmp_screenshots", "version"} <= set(names)
    assert "request_info" in desk.run("answers", "list").out
    tid, notice = open_ticket(desk, sink)
    assert "request_info" in notice.text and "version" in notice.text  # the cheat sheet
    before = len(sink.to(CUSTOMER))
    desk.ingest(
        staff_reply(
            tid,
            "Здравствуйте!\n#answer version\nИ ещё:\n#фтыцук иьз_ыскуутырщеы\n"
            "#answer not_supported\nАнна",
        )
    )
    [mail] = sent_after(sink, CUSTOMER, before, desk)
    text = mail.text
    assert f"Иван Петров, пришлите версию продукта по обращению {tid}" in text
    assert "Наш локальный текст про BMP." in text  # the override wins, file by file
    assert "Не производится установка" in text or "НЕ выполняются" in text
    assert text.index("пришлите версию") < text.index("И ещё:") < text.index("локальный")
    assert "#answer" not in text
    # an unknown name: an error to staff listing the names, nothing to the customer
    desk.ingest(staff_reply(tid, "#answer nope\nТекст"))
    [err] = [
        r for r in sent_after(sink, "anna@example.com", 0, desk) if "не выполнены" in r.subject
    ]
    assert "nope" in err.text and "request_info" in err.text
    assert len(sink.to(CUSTOMER)) == before + 1


def test_merge_moves_the_conversation(desk, sink):
    old, _ = open_ticket(desk, sink, subject="Ошибка 500 в корзине")
    colleague = "Пётр <petr@shop-example.ru>"
    dup = desk.ingest_tid(make_mail(sender=colleague, subject="Корзина не работает"))
    desk.flush()
    before = len(sink.to("petr@shop-example.ru"))
    desk.ingest(staff_reply(dup, "#merge 0000-0001\n"))  # no such ticket: staff are told
    [err] = [r for r in sent_after(sink, "anna@example.com", 0, desk) if "не выполн" in r.subject]
    assert "0000-0001" in err.text and desk.ticket(dup)["status"] == "new"
    desk.ingest(staff_reply(dup, f"#merge {old}\n"))
    src, dst = desk.ticket(dup), desk.ticket(old)
    assert src["status"] == "closed" and src["merged_into"] == old
    assert "merged_into" not in dst and dst["merged_from"] == [dup]
    assert "petr@shop-example.ru" in dst["participants"]
    assert f"merged from [TID#{dup}]" in desk.run("ticket", "show", old).out
    assert any(m["from"] == "petr@shop-example.ru" for m in dst["messages"])
    [told] = sent_after(sink, "petr@shop-example.ru", before, desk)
    assert f"[TID#{old}]" in told.subject and old in told.text
    # later mail to the merged TID lands in the surviving ticket
    later = make_mail(sender=colleague, subject=f"Re: [TID#{dup}]", body="Ещё скриншот.")
    assert desk.ingest_tid(later) == old
    assert desk.ticket(dup)["status"] == "closed"
    before = len(sink.to(CUSTOMER))
    desk.ingest(staff_reply(old, "Исправили, проверьте."))
    mails = sent_after(sink, "petr@shop-example.ru", 0, desk)
    assert any("Исправили" in r.text for r in mails)  # participants moved too
    assert any("Исправили" in r.text for r in sink.to(CUSTOMER)[before:])


def test_status_question_changes_nothing_and_rating_gets_thanks(desk, sink):
    tid, _ = open_ticket(desk, sink)
    due = desk.ticket(tid)["reaction_due"]
    staff_before = len(sink.to("anna@example.com"))
    before = len(sink.to(CUSTOMER))
    desk.ingest(make_mail(subject=f"Re: [TID#{tid}]", body="Добрый день! Какой статус?\nИван"))
    [status] = sent_after(sink, CUSTOMER, before, desk)
    assert "Состояние обращения" in status.subject and f"[TID#{tid}]" in status.subject
    assert "Бесплатная поддержка" in status.text and "не позднее" in status.text
    t = desk.ticket(tid)
    assert t["status"] == "new" and t["reaction_due"] == due
    assert len(sink.to("anna@example.com")) == staff_before  # no staff notice
    # on a closed ticket: no reopen; a rating gets one short thank-you
    desk.ingest(staff_reply(tid, "Готово.\n#close"))
    desk.flush()
    before = len(sink.to(CUSTOMER))
    desk.ingest(make_mail(subject=f"Re: [TID#{tid}]", body="статус?"))
    desk.ingest(make_mail(subject=f"Re: [TID#{tid}]", body="5"))
    status, thanks = sent_after(sink, CUSTOMER, before, desk)
    assert "закрыто" in status.text and "ответ сотрудника" in status.text
    assert "Спасибо за оценку" in thanks.subject
    t = desk.ticket(tid)
    assert t["status"] == "closed" and t["rating"] == 5
    assert len(sink.to("anna@example.com")) == staff_before + 0


def with_signature_image(tid: str, image: bytes, again: bool = False) -> bytes:
    """A customer's "статус?" from a mail client that signs with an image the HTML
    shows in place (multipart/related, a Content-ID); ``again``: a later such mail."""
    m = EmailMessage()
    m["From"] = CUSTOMER
    m["To"] = "support@example.com"
    m["Subject"] = f"Re: [TID#{tid}]"
    m["Message-ID"] = f"<logo-{len(image)}{'-again' if again else ''}@shop-example.ru>"
    m.set_content("Какой статус?\n-- \nИван Петров\nООО «Магазин»\n+7 495 000-00-00\n")
    m.add_alternative('<p>Какой статус?</p><p>Иван Петров<br><img src="cid:logo"></p>', "html")
    m.get_payload()[1].add_related(image, "image", "png", cid="<logo>")
    return m.as_bytes(policy=SMTP)


def test_a_status_question_signed_with_a_logo_is_still_one(desk, sink):
    """A customer's picture under the signature is kept as a file: the first time it
    comes it is news for staff (a screenshot pasted there looks the same); the same
    logo with every later mail is a file the ticket holds (knownfiles.py), so «статус?»
    signed with it is still only a status question."""
    tid, _ = open_ticket(desk, sink)
    staff_before = len(sink.to("anna@example.com"))
    logo = PNG_HEADER + bytes(2000) + PNG_END
    desk.ingest(with_signature_image(tid, logo))
    assert len(sent_after(sink, "anna@example.com", staff_before, desk)) == 1  # new: news
    staff_before, before = len(sink.to("anna@example.com")), len(sink.to(CUSTOMER))
    desk.ingest(with_signature_image(tid, logo, again=True))
    [status] = sent_after(sink, CUSTOMER, before, desk)
    assert "Состояние обращения" in status.subject
    assert len(sink.to("anna@example.com")) == staff_before  # no staff notice
    msgid = f"<logo-{len(logo)}@shop-example.ru>"
    [message] = [m for m in desk.ticket(tid)["messages"] if m["message_id"] == msgid]
    assert message["attachments"][0]["accepted"] is True  # kept in the thread all the same
    # an embedded image the size of a screenshot is news: staff hear of it
    desk.ingest(with_signature_image(tid, PNG_HEADER + bytes(200_000) + PNG_END))
    assert len(sent_after(sink, "anna@example.com", staff_before, desk)) == 1


PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
PNG_END = b"\0\0\0\0IEND\xaeB`\x82"  # a PNG ends with this chunk


def html_only(tid: str, html: str) -> bytes:
    m = EmailMessage()
    m["From"] = "Анна <anna@example.com>"
    m["To"] = staff_to(tid)  # the notice's Reply-To, signed for Anna
    m["Subject"] = f"RE: [TID#{tid}]"
    m["Message-ID"] = "<outlook-1@example.com>"
    m.set_content(html, subtype="html", charset="utf-8")
    return m.as_bytes(policy=SMTP)


def test_html_only_reply_and_russian_layout(desk, sink):
    tid, _ = open_ticket(desk, sink)
    before = len(sink.to(CUSTOMER))
    html = (
        "<html><body><div>Добрый день!</div><div>Проверили, всё работает.</div>"
        "<div>&nbsp;</div><div>#сдщыу</div><div>&nbsp;</div>"
        "<div style='border-top:solid'><b>From:</b> Служба поддержки<br><b>Sent:</b> вчера"
        "<br><b>To:</b> anna@example.com<br><b>Subject:</b> Новое обращение</div>"
        "<p>Ошибка 500 при оформлении заказа.</p></body></html>"
    )
    desk.ingest(html_only(tid, html))
    assert desk.ticket(tid)["status"] == "closed"
    [mail] = sent_after(sink, CUSTOMER, before, desk)
    assert "Проверили" in mail.text and "#сдщыу" not in mail.text and "от 1 до 5" in mail.text


def test_charset_rereads_the_last_customer_message(desk, sink):
    # a short reply from an old DOS client: cp866, no charset label
    raw = (
        b"From: ivan@shop-example.ru\r\nTo: support@example.com\r\nSubject: Vopros\r\n"
        b"Message-ID: <dos-1@shop-example.ru>\r\nContent-Type: text/plain\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + "Да\r\n".encode("cp866")
    )
    tid = desk.ingest_tid(raw)
    [notice] = sent_after(sink, "anna@example.com", 0, desk)
    assert "неуверенно" in notice.text and "#charset" in notice.text
    desk.ingest(staff_reply(tid, "#charset cp866"))
    [reread] = [
        r for r in sent_after(sink, "anna@example.com", 1, desk) if "перечитано" in r.subject
    ]
    assert "Да" in reread.text and "cp866" in reread.subject
    assert reread.subject.endswith(f": Vopros [TID#{tid}]")  # the ticket's, not the reply's
    assert desk.ticket(tid)["messages"][0]["text"] == "Да"


def business_monday() -> date:
    """A Monday a month ahead that is a business day: every ticket made now is overdue."""
    cal = BusinessCalendar(tz="Europe/Moscow")
    d = date.today() + timedelta(days=30)
    while d.weekday() != 0 or not cal.is_working_day(d) or cal.is_working_day(d - timedelta(2)):
        d += timedelta(days=1)
    return d


def digest_at(desk: Desk, day: date, hhmm: str) -> int:
    r = desk.run("jobs", "run", "--now", f"{day.isoformat()}T{hhmm}:00+03:00", "--json")
    return r.json()["digest"]


@pytest.mark.daily_mail
def test_morning_queue(desk, sink):
    monday = business_monday()
    assert digest_at(desk, monday - timedelta(days=7), "09:05") == 0  # nothing open: no mail
    # (after the store exists: maild refuses a non-empty folder that is not a store)
    (desk.root / "data" / "quarantine").mkdir(parents=True, exist_ok=True)
    (desk.root / "data" / "quarantine" / "q1.json").write_text(json.dumps({}))
    first = desk.ingest_tid(make_mail(subject="Обычный вопрос"))
    urgent = desk.ingest_tid(make_mail(sender="petr@x.example", subject="Сайт лежит"))
    mine = desk.ingest_tid(make_mail(sender="olga@y.example", subject="Вопрос Ольги"))
    waits = desk.ingest_tid(make_mail(sender="oleg@z.example", subject="Ждём лог"))
    desk.ingest(staff_reply(urgent, "#critical"))
    desk.ingest(staff_reply(mine, "#assign boris@example.com"))
    desk.ingest(staff_reply(waits, "Пришлите лог.\n#wait"))
    desk.flush()
    # a Saturday, then before the time: nothing; at 09:05 on a business day: one each
    assert digest_at(desk, monday - timedelta(days=2), "09:05") == 0
    assert digest_at(desk, monday, "08:55") == 0
    assert digest_at(desk, monday, "09:05") == 2
    assert digest_at(desk, monday, "10:05") == 0  # once a day
    desk.flush()
    sink.wait_for(len(sink.received))
    [anna] = [r for r in sink.to("anna@example.com") if "Очередь обращений" in r.subject]
    [boris] = [r for r in sink.to("boris@example.com") if "Очередь обращений" in r.subject]
    text = anna.text
    assert monday.strftime("%d.%m.%Y") in anna.subject and "просрочено 3" in anna.subject
    assert text.index(urgent) < text.index(first) < text.index("Ждут ответа клиента")
    assert text.index("Ждут ответа клиента") < text.index(waits)
    assert "ПРОСРОЧЕНО" in text and "В карантине писем: 1" in text
    # a greeting for any schedule.digest_time, not «Доброе утро!» at 15:00
    assert text.startswith("Здравствуйте!")
    assert boris.text.index("Назначены вам") < boris.text.index(mine) < boris.text.index(urgent)
