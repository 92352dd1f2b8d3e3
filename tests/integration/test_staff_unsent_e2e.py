"""A staff member's answer never vanishes silently: a reply that sends the customer
none of what the staff member wrote gets a mail back saying so. Real CLI, real sink."""

from __future__ import annotations

import email
import email.policy
import email.utils
import html
from datetime import datetime, timedelta
from email.message import EmailMessage

from tests.helpers import PNG, Desk, make_mail, staff_to
from tests.integration.test_staff_e2e import customer_mails, open_ticket, staff_reply

UNSENT = "Ответ клиенту не отправлен"


def outlook_reply(tid: str, quoted: str, *, top: str = "", inside: str = "") -> bytes:
    """Outlook's HTML reply: ``top`` above the "От:/Отправлено:" block, the original
    below it with no ">" quoting, and ``inside`` typed at the end of the original."""
    m = EmailMessage()
    m["From"] = "Анна <anna@example.com>"
    m["To"] = staff_to(tid)
    m["Subject"] = f"RE: Новое обращение [TID#{tid}]"
    m["Message-ID"] = email.utils.make_msgid(domain="corp.example")
    original = "".join(f"<p class=MsoNormal>{html.escape(s)}</p>" for s in quoted.splitlines())
    above = "".join(f"<p class=MsoNormal>{html.escape(s)}</p>" for s in top.splitlines())
    m.set_content(
        f"""<html><body><div class=WordSection1>{above}<p class=MsoNormal>&nbsp;</p>
<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">
<p class=MsoNormal><b>От:</b> Служба поддержки &lt;support@example.com&gt;<br>
<b>Отправлено:</b> 25 ноября 2026 г. 10:15<br><b>Кому:</b> anna@example.com<br>
<b>Тема:</b> Новое обращение [TID#{tid}]</p></div>
{original}<p class=MsoNormal style="color:#1F4E79">{html.escape(inside)}</p>
</div></body></html>""",
        subtype="html",
    )
    return m.as_bytes(policy=email.policy.SMTP)


def told(sink, address: str = "anna@example.com") -> list:
    return [r for r in sink.to(address) if UNSENT in r.subject]


def test_answer_typed_inside_outlooks_quoted_original_is_reported_to_staff(desk: Desk, sink):
    """Outlook appends the original below an "От:/Отправлено:" block, unquoted; the
    answer typed at its end is history to maild and the customer gets nothing (never
    the quoted notice). The staff member is told, with the lines that did not go."""
    tid, notice = open_ticket(desk, sink)
    before = len(customer_mails(sink))
    answer = "Иван, очистите кэш браузера и повторите оплату."
    desk.ingest(outlook_reply(tid, notice.text, inside=answer))
    desk.flush()
    assert len(customer_mails(sink)) == before
    [mail] = told(sink)
    assert mail.subject == f"{UNSENT}: Не работает оформление заказа [TID#{tid}]"
    assert "клиенту ничего не отправлено" in mail.text and "внутри цитаты" in mail.text
    assert f"    {answer}" in mail.text.splitlines()
    assert "Уровень:" not in mail.text  # the quoted notice is not what was "not sent"
    assert mail.msg["Reply-To"].addresses[0].addr_spec == staff_to(tid)  # reply to resend
    [note] = [m for m in desk.ticket(tid)["messages"] if m["from"] == "anna@example.com"]
    assert note["kind"] == "note" and answer in note["text"]  # the note keeps what came
    # the reply to that mail, the answer above the quote, goes to the customer
    desk.ingest(
        staff_reply(tid, answer + "\n\n" + "\n".join("> " + s for s in mail.text.splitlines()))
    )
    desk.flush()
    assert [r for r in customer_mails(sink) if answer in r.text]
    assert len(told(sink)) == 1


def test_a_command_with_the_answer_below_the_original_message_is_reported(desk: Desk, sink):
    """Outlook's plain text: "#wait" on top, the answer below "-----Original Message-----".
    The command runs; the staff member learns that the text did not go. (The customer
    had an answer before: #wait alone on a ticket never answered is refused.)"""
    tid, notice = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "Иван, смотрим."))
    desk.flush()
    before = len(customer_mails(sink))
    body = (
        "#wait\n\n-----Original Message-----\n"
        "From: Служба поддержки <support@example.com>\n"
        "Sent: Wednesday, November 25, 2026 10:15 AM\nTo: anna@example.com\n"
        f"Subject: Новое обращение [TID#{tid}]\n\n{notice.text}\nИван, пришлите журнал ошибок.\n"
    )
    desk.ingest(staff_reply(tid, body))
    desk.flush()
    assert desk.ticket(tid)["status"] == "waiting"
    assert len(customer_mails(sink)) == before
    [mail] = told(sink)
    assert "Выполненные команды: #wait" in mail.text
    assert "    Иван, пришлите журнал ошибок." in mail.text.splitlines()


def test_a_command_typed_under_outlooks_original_is_reported_not_lost(desk: Desk, sink):
    """Outlook: the answer on top, «#close» typed at the very end of the mail, under the
    original. The answer went and the ticket stayed open, or, with «#close» alone,
    nothing happened at all, and the staff member believed the ticket closed. Now
    nothing goes, and the staff member is told the command stood in the quote; the
    reply with it on top runs it."""
    tid, notice = open_ticket(desk, sink)
    before = len(customer_mails(sink))
    desk.ingest(outlook_reply(tid, notice.text, top="Иван, обновите модуль.", inside="#close"))
    desk.ingest(outlook_reply(tid, notice.text, inside="#закрыть"))
    desk.flush()
    assert len(customer_mails(sink)) == before and desk.ticket(tid)["status"] == "new"
    told = [r for r in sink.to("anna@example.com") if "Команды не выполнены" in r.subject]
    assert [r.text.count("не выполнена: строка стоит внутри цитаты") for r in told] == [1, 1]
    assert "  - #close не выполнена" in told[0].text and "  - #закрыть" in told[1].text
    quote = "\n".join("> " + s for s in told[0].text.splitlines())
    desk.ingest(staff_reply(tid, f"Иван, обновите модуль.\n#close\n\n{quote}"))
    desk.flush()
    assert desk.ticket(tid)["status"] == "closed"
    assert [r for r in customer_mails(sink) if "обновите модуль" in r.text]


def test_an_answer_quoting_access_data_blanked_out_since_goes_and_echoes_none(desk, sink):
    """An answer above the quote of a notice whose customer text held a password, sent
    after the ticket blanked it out (two days after the close): the quoted «Пароль:
    S3cr3t!» was in no mail of the ticket any more, so the answer did not go, and the
    mail telling the staff member so quoted the password maild had just erased."""
    tid, notice = open_ticket(
        desk, sink, body="Не работает админка.\nЛогин: admin\nПароль: S3cr3t!"
    )
    desk.ingest(staff_reply(tid, "Готово, смените пароль.\n#close"))
    closed_at = datetime.fromisoformat(desk.ticket(tid)["closed_at"])
    later = (closed_at + timedelta(days=2, minutes=1)).isoformat()
    assert desk.run("jobs", "run", "--now", later, "--json").json()["redacted"] == 1
    desk.flush()
    before = len(sink.received)
    quote = "\n".join("> " + s for s in notice.text.splitlines())
    desk.ingest(staff_reply(tid, f"Иван, ещё: обновите модуль до 7.0.1.\n\n{quote}"))
    desk.flush()
    assert told(sink) == []
    assert not [r for r in sink.received[before:] if "S3cr3t" in r.text]
    assert [r for r in customer_mails(sink) if "обновите модуль до 7.0.1" in r.text]


def test_replies_that_hold_nothing_typed_send_no_such_mail(desk: Desk, sink):
    """A reply of commands and the bare quote, an empty reply, #note, and an answer
    above Outlook's quote: nothing of the staff member's was lost, nobody is told."""
    tid, notice = open_ticket(desk, sink)
    quote = "\n".join("> " + s for s in notice.text.splitlines())
    desk.ingest(
        staff_reply(tid, f"#critical\n\n25.11.2026 10:15, Служба поддержки пишет:\n{quote}")
    )
    desk.ingest(staff_reply(tid, "\n"))
    desk.ingest(staff_reply(tid, "#note\nКлиент звонил."))
    desk.ingest(outlook_reply(tid, notice.text, top="Иван, проверили: всё работает."))
    desk.ingest(make_mail(subject=f"Re: [TID#{tid}]", body="Спасибо, но осталась ошибка."))
    desk.flush()
    assert told(sink) == []
    [answer] = [r for r in customer_mails(sink) if "проверили" in r.text]
    assert "Уровень:" not in answer.text and "Новое обращение" not in answer.text


def test_a_reply_of_files_without_text_is_reported_not_dropped(desk: Desk, sink):
    """A manual attached to a reply with no text (or with "#close" only): a reply
    without text is commands and a quote to maild, so the file did not go; the staff
    member is told which files, instead of the customer silently never getting them.
    A signature's logo (a small embedded image) under commands is no such file."""
    tid, notice = open_ticket(desk, sink)
    before = len(customer_mails(sink))
    pdf = ("инструкция.pdf", "application/pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n")
    quote = "\n".join("> " + s for s in notice.text.splitlines())
    desk.ingest(staff_reply(tid, "\n", attachments=[pdf]))
    desk.ingest(staff_reply(tid, f"#critical\n\nAnna wrote:\n{quote}\n", attachments=[pdf]))
    desk.flush()
    assert len(customer_mails(sink)) == before
    mails = told(sink)
    assert len(mails) == 2
    for mail in mails:
        assert "клиенту ничего не отправлено" in mail.text
        assert "инструкция.pdf" in mail.text and "нет текста" in mail.text
    logo = make_mail(
        sender="Анна <anna@example.com>",
        to=staff_to(tid),
        subject=f"Re: [TID#{tid}]",
        body="#wait\n",
    )
    msg = email.message_from_bytes(logo, policy=email.policy.default)
    msg.add_related(b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "image", "png", cid="<logo@corp>")
    desk.ingest(msg.as_bytes(policy=email.policy.SMTP))
    desk.flush()
    assert len(told(sink)) == 2


def test_a_numbered_last_line_right_above_the_attribution_reaches_the_customer(desk, sink):
    """ "2. Перезапустите сервер." directly above "Служба поддержки <...> пишет:" was
    read as the first line of a wrapped attribution and cut: the customer got the
    steps without the last one, and nobody knew."""
    tid, notice = open_ticket(desk, sink)
    quote = "\n".join("> " + s for s in notice.text.splitlines())
    steps = "Сделайте так:\n1. Очистите кэш.\n2. Перезапустите сервер."
    desk.ingest(
        staff_reply(tid, f"{steps}\nСлужба поддержки <support@example.com> пишет:\n{quote}")
    )
    desk.flush()
    [answer] = [r for r in customer_mails(sink) if "Сделайте так:" in r.text]
    assert answer.text.splitlines()[:3] == steps.splitlines()


def test_a_signature_above_the_quote_with_the_answer_inside_is_not_sent_alone(desk, sink):
    """Outlook puts the signature above the original: with the answer typed inside
    the original, the customer got a mail of «С уважением, Анна» alone and the answer
    was lost. A signature alone is no answer then: nothing goes, the staff member is
    told, with the answer's lines."""
    tid, notice = open_ticket(desk, sink)
    before = len(customer_mails(sink))
    answer = "Иван, обновите модуль оплаты до версии 7.1."
    top = "С уважением,\nАнна Смирнова\nСлужба поддержки"
    desk.ingest(outlook_reply(tid, notice.text, top=top, inside=answer))
    desk.flush()
    assert len(customer_mails(sink)) == before
    [mail] = told(sink)
    assert f"    {answer}" in mail.text.splitlines()
    assert "    С уважением," not in mail.text.splitlines()
    # a signature alone under a command, with nothing typed elsewhere, is no answer
    # either: the command's notice goes (signoff), and there is nothing to tell
    desk.ingest(staff_reply(tid, "#take\n\n--\nАнна Смирнова\n"))
    desk.flush()
    assert [r.subject.split(":")[0] for r in customer_mails(sink)[before:]] == [
        "Работа по обращению начата"
    ]
    assert len(told(sink)) == 1


def test_a_notice_quoted_under_a_header_maild_does_not_know_is_refused_plainly(desk, sink):
    """Outlook in a German UI ("Von:", "Gesendet:", "An:", "Betreff:") sets the notice
    unquoted under a header maild does not know, so the notice read as the staff
    member's own text. Nothing reached the customer only because the cheat sheet's
    lines failed as commands: staff got eight errors about commands they never typed.
    Now they are told their text could not be separated from the quoted notice."""
    tid, notice = open_ticket(desk, sink)
    head = ["Von: Служба поддержки <support@example.com>", "Gesendet: Donnerstag, 3. Dezember"]
    head += ["An: Anna <anna@example.com>", "Betreff: Neues"]
    body = "\n".join(["#close", "Иван, здравствуйте. Исправлено.", "", *head, "", notice.text])
    desk.ingest(staff_reply(tid, body))
    desk.flush()
    assert [r for r in customer_mails(sink) if "зарегистрировано" not in r.subject] == []
    [err] = [r for r in sink.to("anna@example.com") if "не выполнены" in r.subject]
    [problem] = [s for s in err.text.splitlines() if s.startswith("  - ")]
    assert "не удалось отделить" in problem and "#level" not in problem
    assert desk.ticket(tid)["status"] != "closed"


def test_an_answer_goes_without_its_signatures_logo_but_with_its_files(desk: Desk, sink):
    """Outlook's HTML signature shows its logo in place (multipart/related, a
    Content-ID): each answer reached the customer with one more image001.png, and a
    logo the file checks refused (cut short) stopped the answer."""
    tid, _ = open_ticket(desk, sink)
    for n, logo in enumerate((PNG, PNG[:-20])):
        answer = make_mail(
            sender="Анна <anna@example.com>",
            to=staff_to(tid),
            subject=f"Re: [TID#{tid}]",
            body=f"Иван, инструкция {n} во вложении.\n",
        )
        msg = email.message_from_bytes(answer, policy=email.policy.default)
        msg.add_related(logo, "image", "png", cid="<logo@corp>")
        msg.get_payload()[-1].set_param("filename", "image001.png", header="Content-Disposition")
        msg.make_mixed()
        msg.add_attachment(b"%PDF-1.4\n%%EOF\n", "application", "pdf", filename="manual.pdf")
        desk.ingest(msg.as_bytes(policy=email.policy.SMTP))
        desk.flush()
        [sent] = [r for r in customer_mails(sink) if f"инструкция {n} во вложении" in r.text]
        names = [p.get_filename() for p in sent.msg.iter_attachments()]
        assert names == ["manual.pdf"], names
