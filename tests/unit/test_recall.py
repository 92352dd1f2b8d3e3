"""Outlook's request to recall a mail, as it reaches a mail system other than Exchange:
known by its winmail.dat's class (IPM.Outlook.Recall), or by the subject's prefix
together with the request's sentence naming the same mail; never by a word of the
subject alone («Отзыв» is a review too)."""

from __future__ import annotations

import email.policy
from datetime import timedelta
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain import limits
from maild.domain.message import parse
from maild.domain.recall import is_recall, recalled_subject
from maild.domain.sender import identify
from maild.domain.snapshot import Snapshot
from maild.domain.tnef import SIGNATURE, read_tnef
from tests.unit.test_decide import NOW, POLICY, _decide, _ticket
from tests.unit.test_tnef import attribute, prop, props

NOTICE = "Новое обращение (бесплатная, до 09.12 15:00): Ошибка 500 [TID#1234-5678]"


def winmail(message_class: str = "IPM.Outlook.Recall", *, in_props: bool = False, text=""):
    """A winmail.dat of a recall request: Outlook writes its class as attMessageClass
    (``in_props``: as PR_MESSAGE_CLASS only), and no text of its own (``text``: some)."""
    items = [prop(0x0003, 0x3FDE, 65001)]  # PR_INTERNET_CPID: UTF-8
    if in_props:
        items.append(prop(0x001F, 0x001A, f"{message_class}\0".encode("utf-16-le")))
    if text:
        items.append(prop(0x001F, 0x1000, f"{text}\0".encode("utf-16-le")))
    attrs = [attribute(1, 0x0008, 0x9006, (0x00010000).to_bytes(4, "little"))]
    if not in_props:
        attrs.append(attribute(1, 0x0007, 0x8008, f"{message_class}\0".encode()))
    attrs.append(attribute(1, 0x0006, 0x9003, props(*items)))
    return SIGNATURE + (0x1234).to_bytes(2, "little") + b"".join(attrs)


def mail(
    subject: str,
    text: str | None,
    *,
    html: str | None = None,
    dat: bytes | None = None,
    forwarded: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    m = EmailMessage()
    m["From"] = "Анна Смирнова <anna@example.com>"
    m["To"] = "support+1234-5678.x@example.com"
    m["Subject"] = subject
    m["Message-ID"] = "<r1@corp.example>"
    for k, v in (headers or {}).items():
        m[k] = v
    if text is not None:
        m.set_content(text)
    if html is not None:
        m.add_alternative(html, subtype="html") if text is not None else m.set_content(
            html, subtype="html"
        )
    if dat is not None:
        m.add_attachment(dat, "application", "ms-tnef", filename="winmail.dat")
    if forwarded is not None:
        m.add_attachment(forwarded, "message", "rfc822")
    return m.as_bytes(policy=email.policy.SMTP)


EXCHANGE_ONLINE = {  # what Exchange Online writes on a request it converts on its way out
    "Thread-Topic": f"RE: {NOTICE}",
    "X-CallingTelephoneNumber": "IPM.Note",
    "X-MS-Has-Attach": "",
    "x-ms-traffictypediagnostic": "AM9PR04MB8604:EE_|DB8PR04MB7131:EE_LegacyOutlookRecall",
}
LONG = "Не работает оформление заказа после обновления " * 8  # cut at MAX_SUBJECT

RECALLS = {
    "russian outlook": mail(
        f"Отзыв: RE: {NOTICE}",
        f'Анна Смирнова хочет отозвать сообщение "RE: {NOTICE}".\n',
        headers=EXCHANGE_ONLINE,
    ),
    "russian, in guillemets": mail(
        f"Отзыв: RE: {NOTICE}", f"Анна Смирнова хочет отозвать сообщение «RE: {NOTICE}».\n"
    ),
    "english outlook": mail(
        f"Recall: RE: {NOTICE}",
        f'Anna Smirnova would like to recall the message, "RE: {NOTICE}".\n',
        headers=EXCHANGE_ONLINE,
    ),
    "german outlook": mail(
        f"Rückruf: AW: {NOTICE}",
        f'Anna Smirnova möchte die Nachricht "AW: {NOTICE}" zurückrufen.\n',
    ),
    "the sentence wrapped, a disclaimer under it": mail(
        f"Отзыв: RE: {NOTICE}",
        f'Анна Смирнова хочет отозвать\nсообщение "RE: {NOTICE}".\n\n'
        "Это сообщение конфиденциально.\n",
    ),
    "html only": mail(
        f"Отзыв: RE: {NOTICE}",
        None,
        html=f"<html><body><p>Анна Смирнова хочет отозвать сообщение "
        f"&quot;RE: {NOTICE}&quot;.</p></body></html>",
    ),
    "the subject cut at its limit": mail(
        f"Отзыв: RE: {LONG}", f'Анна Смирнова хочет отозвать сообщение "RE: {LONG}".\n'
    ),
    "outlook 2002: text and a winmail.dat of the class alone": mail(
        "Recall: [RFC] down and down_interruptible on x86",
        'Balbir Singh would like to recall the message, "[RFC] down and down_interruptible".',
        dat=winmail(),
    ),
    "the class as PR_MESSAGE_CLASS": mail("Отзыв: RE: x", None, dat=winmail(in_props=True)),
    "the class, the text in the winmail.dat": mail(
        f"Отзыв: RE: {NOTICE}", None, dat=winmail(text="Анна Смирнова хочет отозвать сообщение.")
    ),
    "the class, in a language no sentence here knows": mail(
        f"Rappel : RE: {NOTICE}",
        f"Anna Smirnova souhaite rappeler le message « RE: {NOTICE} ».",
        dat=winmail(),
    ),
    # [MS-OXOMSG] compares a message class case-blind: any writer's case is the class
    "the class in another case": mail(f"RE: {NOTICE}", None, dat=winmail("ipm.OUTLOOK.recall")),
    # blank lines before the sentence are no first paragraph of their own
    "the text opening with blank lines": mail(
        f"Отзыв: RE: {NOTICE}", f'\n\n  \nАнна Смирнова хочет отозвать сообщение "RE: {NOTICE}".\n'
    ),
}


@pytest.mark.parametrize("name", RECALLS)
def test_outlooks_recall_requests_are_known(name):
    assert is_recall(parse(RECALLS[name])), name


NOT_RECALLS = {
    "a customer's review": mail("Отзыв: отличная поддержка", "Спасибо, всё работает!"),
    "a review of the answer": mail(f"Отзыв: RE: {NOTICE}", "Ответ помог, спасибо."),
    "a review titled so": mail("Отзыв о работе поддержки", "Всё хорошо."),
    "reviews": mail(f"Отзывы: RE: {NOTICE}", f'Анна хочет отозвать сообщение "RE: {NOTICE}".'),
    "the sentence without the prefix": mail(
        f"RE: {NOTICE}", f'Анна Смирнова хочет отозвать сообщение "RE: {NOTICE}".'
    ),
    "the prefix inside the subject": mail(
        f"RE: Отзыв: {NOTICE}", f'Анна Смирнова хочет отозвать сообщение "{NOTICE}".'
    ),
    "the sentence naming another mail": mail(
        f"Отзыв: RE: {NOTICE}", 'Анна Смирнова хочет отозвать сообщение "RE: Счёт № 5".'
    ),
    "the sentence not the first paragraph": mail(
        f"Отзыв: RE: {NOTICE}",
        f'Иван, добрый день!\n\nАнна Смирнова хочет отозвать сообщение "RE: {NOTICE}".',
    ),
    "more words after the sentence": mail(
        f"Отзыв: RE: {NOTICE}",
        f'Клиент хочет отозвать сообщение "RE: {NOTICE}". Подскажите, как быть?',
    ),
    "a long text before the words": mail(
        f"Отзыв: RE: {NOTICE}",
        "Иван, " * 60 + f'клиент хочет отозвать сообщение "RE: {NOTICE}".',
    ),
    "an answer's winmail.dat": mail(f"Отзыв: RE: {NOTICE}", "Ответ.", dat=winmail("IPM.Note")),
    # a subject cut at its limit names the mail only by its beginning: another's is none
    "the cut subject, the sentence naming another mail": mail(
        f"Отзыв: RE: {LONG}", 'Анна Смирнова хочет отозвать сообщение "RE: Счёт № 5".'
    ),
    # a first paragraph longer than any request is not searched (the search costs the
    # square of what it reads), even when it names the cut subject
    "a first paragraph past the limit": mail(
        f"Отзыв: RE: {LONG * 8}", f'Анна Смирнова хочет отозвать сообщение "RE: {LONG * 8}".'
    ),
    "a recall forwarded in a mail": mail(
        "Fwd: пришёл отзыв письма",
        "Пересылаю, что пришло.",
        forwarded=mail(f"Отзыв: RE: {NOTICE}", "Анна хочет отозвать.", dat=winmail()),
    ),
}


@pytest.mark.parametrize("name", NOT_RECALLS)
def test_mail_that_only_looks_like_one_is_none(name):
    assert not is_recall(parse(NOT_RECALLS[name])), name


def test_the_recalled_subject_is_what_follows_the_prefix():
    assert recalled_subject(f"Отзыв: RE: {NOTICE}") == f"RE: {NOTICE}"
    assert recalled_subject("RECALL:  Re:  x") == "Re: x"
    assert recalled_subject("Отзыв о работе") is None
    assert recalled_subject("Отзыв:") is None


def test_a_winmail_dat_names_its_class():
    assert read_tnef(winmail()).message_class == "IPM.Outlook.Recall"
    assert read_tnef(winmail(in_props=True)).message_class == "IPM.Outlook.Recall"
    assert parse(RECALLS["outlook 2002: text and a winmail.dat of the class alone"]).attachments
    assert parse(mail("x", "y")).message_class == ""


def test_the_writer_is_told_when_her_own_answer_went_not_a_colleagues() -> None:
    """staff_recall.txt names when the answer she asks back went: her last one on the
    ticket (not her first), though Boris answered after her."""
    ticket, messages = _ticket()
    answers = (("anna@example.com", 5), ("anna@example.com", 3), ("boris@example.com", 1))
    for who, hours in answers:
        at = (NOW - timedelta(hours=hours)).isoformat()
        messages.append({"message_id": f"<{hours}@corp.example>", "direction": "out",
                         "kind": "staff", "from": who, "received_at": at, "text": "Ответ",
                         "attachments": []})  # fmt: skip
    ident = identify("anna@example.com", [], [], NOW.date())
    snap = Snapshot("1111-2222", (ticket, messages), ident, True)
    d = _decide(snap, parse(mail(f"Отзыв: RE: {NOTICE}", None, dat=winmail())))
    [told] = d.outgoing
    assert told.template == "staff_recall.txt" and told.to == ["anna@example.com"]
    assert told.context["answered_at"] == POLICY.fmt_time(messages[2]["received_at"])


_CHARS = st.characters(whitelist_categories=("L", "N", "P", "S", "Zs"))
_LINE = st.text(_CHARS, max_size=200)  # a subject: what a header can carry
_TEXT = st.text(_CHARS | st.just("\n"), max_size=300)


@settings(max_examples=150)
@given(subject=_LINE, text=_TEXT)
def test_no_mail_without_the_class_or_a_recall_prefix_is_one(subject, text):
    if recalled_subject(" ".join(subject.split())) is None:
        assert not is_recall(parse(mail(subject, text or " ")))


@settings(max_examples=150)
@given(recalled=_LINE, text=_TEXT)
def test_no_text_without_the_requests_sentence_is_one(recalled, text):
    words = ("recall the message", "отозвать сообщение", "die Nachricht")
    if not any(w.lower() in text.lower() for w in words):
        assert not is_recall(parse(mail(f"Отзыв: {recalled}", text or " ")))


@settings(max_examples=100)
@given(name=st.from_regex(r"[А-Яа-яA-Za-z ,.]{1,40}", fullmatch=True), words=_LINE)
def test_the_sentence_naming_the_subject_is_one_whatever_the_names(name, words):
    recalled = " ".join(words.replace('"', " ").split())[: limits.MAX_SUBJECT - 20]
    if recalled.strip() and name.strip():
        raw = mail(f"Отзыв: {recalled}", f'{name.strip()} хочет отозвать сообщение "{recalled}".')
        assert is_recall(parse(raw))
