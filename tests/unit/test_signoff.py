"""Unit tests for maild.domain.signoff: what a mail client adds to a reply by itself."""

from __future__ import annotations

import pytest

from maild.domain.signoff import only_sign_off, without_greeting_to

NOTICE = "Новое обращение 1234-5678\n----- текст обращения -----\nНе работает оплата.\n"
FOOTER = (
    "Это сообщение и любые вложения к нему являются конфиденциальными и предназначены "
    "исключительно для адресата."
)


@pytest.mark.parametrize(
    "text",
    [
        "-- \nС уважением,\nАнна Смирнова",
        "--\nОтправлено из мобильной Яндекс Почты",
        "Отправлено с iPhone",
        "Отправлено из приложения Почта для Windows",
        "Sent from my iPad",
        "Получить Outlook для Android",
        # Samsung Email, Huawei's mail app, Spark, BlueMail (Android)
        "Отправлено с устройства Samsung Galaxy",
        "Sent from my Galaxy",
        "Sent from my Samsung Galaxy smartphone.",
        "Отправлено с моего телефона Huawei",
        "Sent with Spark",
        "Отправлено с помощью BlueMail",
        # a company's confidentiality footer under the signature (Outlook), or alone
        "С уважением,\nАнна Смирнова\nВедущий специалист\nТел.: +7 (495) 123-45-67\n\n"
        "Это сообщение и любые вложения к нему являются конфиденциальными и предназначены "
        "исключительно для адресата. Если вы получили это сообщение по ошибке, сообщите "
        "отправителю и удалите его.",
        "-- \nАнна\n\nThis e-mail and any attachments are confidential and intended solely\n"
        "for the addressee. If you have received this e-mail in error, please delete it.",
        "Пожалуйста, подумайте об окружающей среде, прежде чем распечатывать это письмо, "
        "и о том, нужно ли его печатать вообще.",
        "С уважением,\nАнна Смирнова\nСлужба поддержки ООО «Пример»\nтел. +7 495 123-45-67\n"
        "[image001.png]",
        "С уважением, Анна",
        "С уважением, Анна Смирнова.",
        "Best regards,\nAnna",
        # The Bat!'s template: a greeting, the customer's text quoted, its signature
        "Здравствуйте, Служба.\n\nВы писали 3 декабря 2026 г., 10:00:\n\nСП> Не работает оплата."
        "\n\n-- \nС уважением,\n Анна                          mailto:anna@example.com",
        # Thunderbird: the attribution over the customer's quoted text
        "03.12.2026 10:00, Служба поддержки пишет:\n> Не работает оплата.\n\n-- \nАнна",
        "Иван, добрый день!\n\nС уважением, Анна",
        # Thunderbird replying on top: the signature, the customer's long text under it
        "-- \nАнна\n\n03.12.2026 10:00, Служба поддержки пишет:\n"
        + "\n".join(f"> Не работает оплата, попытка {i}." for i in range(12)),
        # The Bat!'s English template
        "Hello Служба,\n\nThursday, December 3, 2026, 10:00:00 AM, you wrote:\n\n"
        "СП> Не работает оплата.\n\n-- \nBest regards,\n Анна",
        "Уважаемый Иван Петрович!",
        "",
        # a surname with initials; a post longer than 60 characters; more apps' taglines
        "С уважением,\nСмирнова А.В.",
        "С уважением,\nА. В. Смирнова\nСмирнова А. В.",
        "С уважением,\nАнна Смирнова\n"
        "Ведущий специалист отдела технической поддержки клиентов ООО «Ромашка»\n"
        "тел. +7 495 000-00-00",
        "Отправлено из приложения Почта Mail.ru для Android",
        "Sent from Yahoo Mail on Android",
        # every closing closes (closings.VALEDICTION_RE), a name of up to three words
        # after it, one starting with Ё too
        "С наилучшими пожеланиями,\nАнна",
        "Всего наилучшего,\nАнна",
        "Всего доброго!",
        "Warm regards,\nAnna",
        "Sincerely,\nAnna Smirnova",
        "Best wishes,\nAnna",
        "Kind regards, Anna",
        "С уважением, Анна Петровна Смирнова",
        "С уважением, Ёлкина Анна",
        # under "-- " a signature's line may be a sentence (its hours, a slogan)
        "-- \nАнна Смирнова\nРаботаем ежедневно с 9:00 до 18:00.",
    ],
)
def test_what_the_client_adds_says_nothing(text: str) -> None:
    assert only_sign_off(text, [NOTICE])


@pytest.mark.parametrize(
    "text",
    [
        "Спасибо!",  # "#close" over it thanks the customer
        "Да",
        "Здравствуйте, исправили.",
        "Hello, it works now",
        "Добрый день! Исправили в 7.0.2.",
        "Иван, очистите кэш.\n\n-- \nАнна",
        "С уважением,\nАнна\n\nP.S. Очистите кэш браузера.",
        "PS> Restart-Service maild\n-- \nАнна",
        "Отправлено с задержкой, извините: письмо ушло в 10:00.",
        "Отправлено из почты сайта на ваш адрес в 10:00, проверьте спам.",
        "Отправлено с устройства, которое вы указали в заявке.",
        "Sent the Galaxy fix to your team.",
        "Пароли мы не храним: данные конфиденциальны.",
        # a footer's words on a short line typed: a footer is a paragraph of legal text
        "Пароль является конфиденциальной информацией, никому его не сообщайте.",
        "Здравствуйте!\n\nЭти данные являются конфиденциальными.\n\nС уважением,\nАнна",
        "С уважением,\nАнна\n\nP.S. Ваши данные конфиденциальны: мы удалили их из переписки, "
        "смените, пожалуйста, пароль администратора сайта и FTP сегодня же.",
        "С уважением к вашему времени сообщаем, что ошибка исправлена в версии 7.0.2.",
        "С уважением к вашему времени\nсообщаем, что ошибка исправлена",
        # a line of three or more dashes is no signature separator: text under it is text
        "---\nОбновите модуль до версии 7.0.2.",
        "-\nОбновите модуль до версии 7.0.2.",
        # a footer is its paragraph: the text under it, past a blank line, is typed
        "С уважением,\nАнна\n\n" + FOOTER + "\n\nP.S. Очистите кэш браузера.",
        FOOTER + "\n\nОчистите кэш браузера.",
    ],
)
def test_a_line_the_staff_member_typed_says_something(text: str) -> None:
    assert not only_sign_off(text, [NOTICE])


@pytest.mark.parametrize(
    ("text", "customer", "sent"),
    [
        ("Здравствуйте, Служба.\n\nИван, очистите кэш.", "Иван Петров", "Иван, очистите кэш."),
        ("Hello Служба,\r\n\r\nочистите кэш.", "", "очистите кэш."),
        ("Добрый день, Служба поддержки!\nочистите кэш.", "", "очистите кэш."),
        ("Hello СЛУЖБА,\nочистите кэш.", "", "очистите кэш."),  # a template's capitals
        # greeting the customer: theirs
        ("Здравствуйте, Иван.\nочистите кэш.", "Иван Петров", None),
        # the customer's name is support's first word: cannot tell, kept
        ("Здравствуйте, Служба.\nочистите кэш.", "Служба Иванова", None),
        # not on the first line: the staff member's text
        ("Очистите кэш.\nЗдравствуйте, Служба.", "", None),
    ],
)
def test_a_greeting_to_support_itself_does_not_reach_the_customer(
    text: str, customer: str, sent: str | None
) -> None:
    assert without_greeting_to(text, "Служба поддержки", customer) == (sent or text)


def test_a_signature_holds_eight_lines_under_its_separator_at_most() -> None:
    contacts = ["Анна Смирнова", "Служба поддержки", "ООО Ромашка", "+7 495 000-00-00",
                "anna@example.com", "Москва", "ул. Тверская, 1", "офис 5", "9–18"]  # fmt: skip
    assert only_sign_off("-- \n" + "\n".join(contacts[:8]), [])
    assert not only_sign_off("-- \n" + "\n".join(contacts), [])  # nine: more than contacts
