"""Unit tests for maild.domain.redact: access data customers mail to support."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain.redact import MARKER, redact_credentials, redact_subject, redaction_due


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Пароль: Qwerty123", f"Пароль: {MARKER}"),
        ("пароль: Qwerty123", f"пароль: {MARKER}"),
        ("Пароль — Qwerty123", f"Пароль — {MARKER}"),
        ("Пароль - Qwerty123", f"Пароль - {MARKER}"),
        ("password: s3cr3t!", f"password: {MARKER}"),
        ("pass=s3cr3t", f"pass={MARKER}"),
        ("PWD = s3cr3t", f"PWD = {MARKER}"),
        ("login: admin", f"login: {MARKER}"),
        ("Логин: admin", f"Логин: {MARKER}"),
        ("user: admin", f"user: {MARKER}"),
        ("Username: admin", f"Username: {MARKER}"),
        ("Пользователь: admin", f"Пользователь: {MARKER}"),
        ("Имя пользователя: admin", f"Имя пользователя: {MARKER}"),
        ("Учетная запись: admin", f"Учетная запись: {MARKER}"),
        ("Учётная запись: admin", f"Учётная запись: {MARKER}"),  # «ё» as typed, too
        ("API key: sk_live_abc", f"API key: {MARKER}"),
        ("token=abcdef", f"token={MARKER}"),
        # each label by the rule of labels, not the settings' (which needs ":" or "=")
        ("pass — s3cr3t", f"pass — {MARKER}"),
        ("Token — abcdef12", f"Token — {MARKER}"),
        ("access_token — abcdef12", f"access_token — {MARKER}"),
        ("user — admin", f"user — {MARKER}"),
        # the sentence's punctuation after a value stays
        ("(пароль: Qwerty123)", f"(пароль: {MARKER})"),
        ("пароль: Qwerty123;", f"пароль: {MARKER};"),
    ],
)
def test_labelled_value_is_replaced_and_label_kept(line: str, expected: str) -> None:
    assert redact_credentials(line) == (expected, 1)


def test_typical_customer_mail() -> None:
    text = (
        "Добрый день!\n"
        "Доступ в админку: https://shop.example.ru/bitrix/admin/\n"
        "Логин: admin\n"
        "Пароль: Kx7#pq!2\n"
        "FTP: ftp://shopftp:Zz91aa@ftp.example.ru/public_html\n"
        "Спасибо!"
    )
    redacted, count = redact_credentials(text)
    assert redacted == (
        "Добрый день!\n"
        f"Доступ в админку: {MARKER}\n"
        f"Логин: {MARKER}\n"
        f"Пароль: {MARKER}\n"
        f"FTP: ftp://{MARKER}@ftp.example.ru/public_html\n"
        "Спасибо!"
    )
    assert count == 4
    for secret in ("admin\n", "Kx7#pq!2", "shopftp", "Zz91aa"):
        assert secret not in redacted


def test_qualified_label_before_colon() -> None:
    assert redact_credentials("Пароль от админки: 12345 (временный)") == (
        f"Пароль от админки: {MARKER} (временный)",
        1,
    )
    assert redact_credentials("FTP password: abc")[0] == f"FTP password: {MARKER}"


def test_login_and_password_on_one_line() -> None:
    assert redact_credentials("login: admin, password: 123.") == (
        f"login: {MARKER}, password: {MARKER}.",
        2,
    )


def test_combined_label_takes_the_rest_of_the_line() -> None:
    assert redact_credentials("Логин/пароль: admin / 12345") == (f"Логин/пароль: {MARKER}", 1)
    assert redact_credentials("логин и пароль: admin 12345")[0] == f"логин и пароль: {MARKER}"
    assert redact_credentials("Данные для входа: admin 12345")[0] == f"Данные для входа: {MARKER}"


def test_a_second_combined_label_after_a_url_on_its_line_is_redacted() -> None:
    # the first label's value is kept for the URL's host; what follows another label
    # on that line is no part of it
    text = "Доступ: ftp://user:pass@shop.ru, доступы к админке: admin Qw3rty9x"
    expected = f"Доступ: ftp://{MARKER}@shop.ru, доступы к админке: {MARKER}"
    assert redact_credentials(text) == (expected, 2)


def test_blank_login_does_not_expose_the_password() -> None:
    redacted, count = redact_credentials("Логин: Пароль: 123")
    assert "123" not in redacted
    assert count == 1


def test_login_password_pair_without_separators() -> None:
    text = "Админка https://shop.example.ru/admin логин admin пароль Qwerty123"
    assert redact_credentials(text) == (
        f"Админка https://shop.example.ru/admin логин {MARKER} пароль {MARKER}",
        2,
    )
    assert redact_credentials("login admin, password 123.")[0] == (
        f"login {MARKER}, password {MARKER}."
    )
    # a function word for a value: a sentence about them, not the pair itself
    prose = "логин admin пароль не подходит"
    assert redact_credentials(prose) == (prose, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("логин тот же, пароль Qwerty123", f"логин тот же, пароль {MARKER}"),
        ("Пароль 123456", f"Пароль {MARKER}"),
        ("пароль abc123 длинный", f"пароль {MARKER} длинный"),
        ("пароль от админки Adm1n2024.", f"пароль от админки {MARKER}."),
        ("пароль из СМС 884512, срочно", f"пароль из СМС {MARKER}, срочно"),
        ("password abc123def!", f"password {MARKER}!"),
        # one token: what follows is the sentence's
        ("пароль Qwerty123 не подходит", f"пароль {MARKER} не подходит"),
    ],
)
def test_bare_password_token_with_a_digit(text: str, expected: str) -> None:
    assert redact_credentials(text) == (expected, 1)


@pytest.mark.parametrize(
    "prose",
    [
        "Пароль неверный",
        "пароль от админки не подходит",
        "пароль 2 раза вводил",  # under six characters
        "пароль ab123 короткий",
        "Your password expired yesterday",  # Latin words without a digit
        "пароль к site1.ru",  # a domain, an address, a date are no secrets
        "пароль от 192.168.1.1",
        "пароль 12.05.2024 поменяли",
        "пароль на ivan2024@example.ru",
        "пароль Qwerty123Ж",  # not a Latin word
        "парольный abc12345",
        "пароль не приходит, хотя заказ 100500 оплачен",  # past three words: prose
        f"пароль {MARKER} abc12345",  # nothing hides behind a value already blanked
    ],
)
def test_bare_password_label_before_prose(prose: str) -> None:
    assert redact_credentials(prose) == (prose, 0)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("ftp://user:pass@host.ru", f"ftp://{MARKER}@host.ru"),
        ("https://admin:Secret1@shop.ru/admin", f"https://{MARKER}@shop.ru/admin"),
        ("sftp://deploy@203.0.113.5:2222/var/www", f"sftp://{MARKER}@203.0.113.5:2222/var/www"),
    ],
)
def test_url_userinfo(url: str, expected: str) -> None:
    assert redact_credentials(f"Адрес: {url} — проверьте") == (f"Адрес: {expected} — проверьте", 1)


def test_ssh_command_with_password_line() -> None:
    text = "ssh root@203.0.113.5 -p 22\nпароль: toor"
    assert redact_credentials(text) == (
        f"ssh {MARKER}@203.0.113.5 -p 22\nпароль: {MARKER}",
        2,
    )
    assert redact_credentials("ssh -p 2222 deploy@host.ru")[0] == f"ssh -p 2222 {MARKER}@host.ru"


def test_quoted_value_with_spaces() -> None:
    assert redact_credentials('Пароль: "my secret phrase" ок') == (f"Пароль: {MARKER} ок", 1)
    assert redact_credentials("Пароль: «два слова»")[0] == f"Пароль: {MARKER}"


@pytest.mark.parametrize(
    "prose",
    [
        "я забыл пароль от админки",
        "Пришлите, пожалуйста, логин и пароль от админки.",
        "Не могу войти: пишет «неверный пароль»",
        "Смените пароль после закрытия заявки.",
        "Пароль",
        "User-Agent: Mozilla/5.0",
        "Всего users: 15",
        "Письмо ушло на ivan@example.ru",
        "https://shop.example.ru/catalog/?page=2",
        "The bypass=1 flag",
    ],
)
def test_ordinary_prose_is_untouched(prose: str) -> None:
    assert redact_credentials(prose) == (prose, 0)


def test_value_alone_on_the_next_line() -> None:
    # How a form or an HTML table comes out as text.
    text = "Логин:\r\nadmin\r\nПароль:\r\n  Qwerty123\r\n\r\nСпасибо"
    assert redact_credentials(text) == (
        f"Логин:\r\n{MARKER}\r\nПароль:\r\n  {MARKER}\r\n\r\nСпасибо",
        2,
    )
    assert redact_credentials("Логин\nadmin\nПароль\n123")[0] == (
        f"Логин\n{MARKER}\nПароль\n{MARKER}"
    )


def test_blank_login_on_its_own_line_does_not_expose_the_password() -> None:
    assert redact_credentials("Логин:\nПароль:\n123") == (f"Логин:\nПароль:\n{MARKER}", 1)
    assert redact_credentials("Логин\nПароль\n123") == (f"Логин\nПароль\n{MARKER}", 1)


def test_prose_on_the_next_line_is_not_a_value() -> None:
    assert redact_credentials("Пароль:\nспасибо за помощь") == ("Пароль:\nспасибо за помощь", 0)
    assert redact_credentials("Смените пароль\nсрочно") == ("Смените пароль\nсрочно", 0)


def test_second_pass_changes_nothing() -> None:
    text = (
        "Логин: admin\nПароль: 1\nftp://u:p@h\nssh r@h\nлогин root пароль toor\nЛогин/пароль: a/b"
    )
    once, count = redact_credentials(text)
    assert count == 7
    assert redact_credentials(once) == (once, 0)


def test_already_redacted_text_is_left_alone() -> None:
    text = f"Пароль: {MARKER}\nДоступ: ftp://{MARKER}@host"
    assert redact_credentials(text) == (text, 0)


credential_lines = st.one_of(
    st.sampled_from(
        [
            "Пароль: ",
            "login: ",
            "pass=",
            "Логин/пароль: ",
            "ftp://",
            "ssh ",
            "логин ",
            " пароль ",
            "@",
            ":",
            "—",
            " - ",
            "\n",
            "Логин\n",
            '"',
            "«",
            MARKER,
            "DB_PASSWORD=",
            "'password' => '",
            "define('DB_USER', '",
            '$DBPassword = "',
            "Authorization: Bearer ",
            "TeamViewer ",
            "RDP: ",
            "ключ API: ",
            "'",
            " 123456789 ",
        ]
    ),
    st.text(max_size=8),
)


@settings(max_examples=120, deadline=None)
@given(st.lists(credential_lines, max_size=12).map("".join))
def test_idempotent_on_credential_shaped_text(text: str) -> None:
    once, _ = redact_credentials(text)
    assert redact_credentials(once) == (once, 0)


@settings(max_examples=80, deadline=None)
@given(st.text())
def test_never_raises_and_idempotent_on_arbitrary_text(text: str) -> None:
    once, count = redact_credentials(text)
    assert count >= 0
    assert redact_credentials(once) == (once, 0)
    if count == 0:
        assert once == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Админка: admin / qwerty123", f"Админка: {MARKER}"),
        ("Вход в админку: admin / qwerty123.", f"Вход в админку: {MARKER}."),
        ("админка admin/qwerty", f"админка {MARKER}"),
        ("Панель управления: root / Zx81kq", f"Панель управления: {MARKER}"),
        (
            "Админка https://shop.ru/bitrix/admin admin / qwerty123",
            f"Админка https://shop.ru/bitrix/admin {MARKER}",
        ),
        ("FTP: ftp.shop.ru admin 9f8d7s", f"FTP: ftp.shop.ru {MARKER}"),
        ("FTP: ftp.shop.ru, admin, 9f8d7s", f"FTP: ftp.shop.ru, {MARKER}"),
        ("ftp ftp.shop.ru admin/9f8d7s", f"ftp ftp.shop.ru {MARKER}"),
        ("sftp 203.0.113.5:22 deploy Zx81kq", f"sftp 203.0.113.5:22 {MARKER}"),
        ("пароль qwerty", f"пароль {MARKER}"),
        ("Пароль Qwerty, логин тот же", f"Пароль {MARKER}, логин тот же"),
        ("пароль к ftp такой же qwerty1", f"пароль к ftp такой же {MARKER}"),
        ("логин admin пароль qwerty", f"логин {MARKER} пароль {MARKER}"),
        ("логин Иван пароль 12345", f"логин {MARKER} пароль {MARKER}"),
    ],
)
def test_shapes_customers_write(text: str, expected: str) -> None:
    """How customers give access without a "label: value" for each half: a place and
    "login / password", an FTP host with login and password, a bare Latin password."""
    redacted, count = redact_credentials(text)
    assert redacted == expected
    assert count >= 1 and redact_credentials(redacted) == (redacted, 0)


@pytest.mark.parametrize(
    "prose",
    [
        "пароль не подходит",
        "я сменил пароль вчера",
        "забыл пароль от админки",
        "Пароль к админке не подходит, помогите",
        "Логин верный, пароль неверный",
        "логин верный пароль неверный",
        "логин поменял, пароль тоже",
        "Логин admin, пароль сменили",
        "Пользователь жалуется, что пароль не приходит",
        "пароль admin не подходит",  # whose password, not the password
        "пароль WordPress не подходит",
        "пароль CRM сбросили",  # a word of three letters is a system's name
        "пароль Windows Server сбросили",
        "пароль не приходит на почту, заказ AB123456",  # a clause ends before the token
        "пароль не приходит на номер 79161234567",
        "Админка: не открывается / белый экран",
        "Админка WordPress не открывается",
        "В админке Битрикс / WordPress одинаково",
        "FTP: ftp.shop.ru не отвечает",
        "ftp: ftp.shop.ru port 21",
        "SSH: OpenSSH 8.9",
        "ssh 203.0.113.5 -p 22",
        "Через FTP файлы не загружаются",
        "пароль от FTP не подходит",
        "Нет доступа к админке с утра",
        "Учетная запись заблокирована",
        "Смените, пожалуйста, пароль от FTP после нашей работы.",
    ],
)
def test_ordinary_russian_sentences_stay(prose: str) -> None:
    assert redact_credentials(prose) == (prose, 0)


# Words of ordinary Russian sentences about access, the labels among them; no ":",
# "=", dash or line break (after those a label takes any word: "Пароль: привет"), no
# Latin word ("логин ftp пароль ftp" may well be the access itself).
PROSE_WORDS = [
    *("пароль", "Пароль", "логин", "Логин", "пользователь", "админка", "админку", "доступ"),
    *("не", "от", "к", "и", "а", "я", "мы", "вчера", "сегодня", "опять", "подходит"),
    *("сменил", "забыл", "тоже", "верный", "неверный", "новый", "старый", "приходит"),
    *("почту", "сайта", "помогите", "пожалуйста", "срочно", "работает", "вход", "ошибка"),
]


LABEL_WORDS = ["пароль", "Пароль", "логин", "Логин", "пользователь", "админка", "доступ"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.sampled_from(LABEL_WORDS), st.sampled_from(PROSE_WORDS)),
            st.sampled_from(["", "", "", ",", ".", "!", "?"]),
        ),
        max_size=10,
    )
)
def test_russian_prose_about_passwords_is_untouched(words: list[tuple[str, str]]) -> None:
    text = " ".join(w + p for w, p in words)
    assert redact_credentials(text) == (text, 0)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Доступ: логин admin пароль Qwerty123", f"Доступ: {MARKER}"),
        (
            "Re: Доступ: логин admin пароль Qwerty123 [TID#4821-7730]",
            f"Re: Доступ: {MARKER} [TID#4821-7730]",
        ),
        (
            "Новое обращение: Доступ: admin 123 [TID#4821-7730] Пароль: x1",
            f"Новое обращение: Доступ: {MARKER} [TID#4821-7730] Пароль: {MARKER}",
        ),
        ("TID#4821-7730 пароль Qwerty123", f"TID#4821-7730 пароль {MARKER}"),
        ("Не работает корзина [TID#4821-7730]", "Не работает корзина [TID#4821-7730]"),
    ],
)
def test_subject_keeps_its_tid_tags(subject: str, expected: str) -> None:
    redacted, count = redact_subject(subject)
    assert redacted == expected
    assert count == (subject != expected) * expected.count(MARKER)
    assert redact_subject(redacted) == (redacted, 0)


@settings(max_examples=120, deadline=None)
@given(st.lists(st.one_of(credential_lines, st.just(" [TID#4821-7730] ")), max_size=12))
def test_subject_tags_survive_and_redaction_is_idempotent(parts: list[str]) -> None:
    subject = "".join(parts).replace("\n", " ")
    once, _ = redact_subject(subject)
    assert once.count("[TID#4821-7730]") == subject.count("[TID#4821-7730]")
    assert redact_subject(once) == (once, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the scheme starts at the first letter after a non-word character of its run
        ("x.ftp://u:p@h.ru", f"x.ftp://{MARKER}@h.ru"),
        ("1.ftp://u:p@h.ru", f"1.ftp://{MARKER}@h.ru"),
        ("a.b+c-d://u:p@h.ru", f"a.b+c-d://{MARKER}@h.ru"),
        ("ftp://a://u:p@h", f"ftp://a://{MARKER}@h"),
        ("ёftp://u:p@h.ru", "ёftp://u:p@h.ru"),  # no word start: no scheme
        ("_ftp://u:p@h.ru", "_ftp://u:p@h.ru"),
        # "ssh", its options with their arguments (an "ssh" among them), the login
        ("ssh -a ssh root@h.ru", f"ssh -a ssh {MARKER}@h.ru"),
        ("ssh -v ssh -p x deploy@h", f"ssh -v ssh -p x {MARKER}@h"),
        ("ssh -i key -p 22 root@h.ru", f"ssh -i key -p 22 {MARKER}@h.ru"),
        ("x-ssh root@h", f"x-ssh {MARKER}@h"),
        ("sshd root@h", "sshd root@h"),
    ],
)
def test_url_userinfo_and_ssh_login_where_their_runs_start(text: str, expected: str) -> None:
    assert redact_credentials(text)[0] == expected


def _cpu_seconds(text: str) -> float:
    started = time.process_time()
    redact_credentials(text)
    return time.process_time() - started


@pytest.mark.parametrize(
    "shape",
    [
        lambda n: "ftp " + "a." * (n // 2),  # a URL's scheme tried from each word start
        lambda n: "a-" * (n // 2) + "@",
        lambda n: "админка h.ru " + "a." * (n // 2),
        lambda n: "ssh -a " * (n // 7),  # "ssh" options tried from each "ssh"
        lambda n: "пароль: " * (n // 8),
        lambda n: "логин a " * (n // 8),
        lambda n: "ftp h.ru " + "a " * (n // 2),
        lambda n: "TeamViewer " * (n // 11),
        lambda n: "a_" * (n // 2) + "password",
        lambda n: "define('a', " * (n // 12),
        lambda n: "Bearer 1" + "a" * n,
        lambda n: "Доступ: ftp://u:p@h.ru, " * (n // 25),  # each label's rest searched
    ],
    ids=[
        *("ftp a.a.", "a-a-@", "admin host a.a.", "ssh -a", "пароль:", "логин a", "ftp a a"),
        *("TeamViewer", "a_a_password", "define(", "Bearer 1aaa", "Доступ: ftp://u:p@h"),
    ],
)
def test_a_long_line_is_redacted_in_linear_time(shape: Callable[[int], str]) -> None:
    """The redaction job and every site page view redact a customer's text: on one
    line of "ftp a.a.a..." the URL rule looked from each word start to the line's end,
    16,000 characters took 0.7 s and each doubling four times as long. Twice the line
    now takes about twice the time."""
    small, large = _cpu_seconds(shape(100_000)), _cpu_seconds(shape(200_000))
    assert large < 2
    assert large < 3 * small + 0.05


def test_a_redacted_spool_copy_keeps_no_content_fields_written_before_their_colon() -> None:
    """«Content-Transfer-Encoding : base64» is a field to the MTA and to maild
    (headblock.as_read): kept above the copy's own text/plain 8bit, the redacted text
    would be decoded as base64 when the copy is read again."""
    from datetime import UTC, datetime

    from maild.domain.message import parse
    from maild.redaction import redact_spool_copy

    raw = (
        b"From: ivan@x.ru\r\nContent-Type : text/plain; charset=koi8-r\r\n"
        b"Content-Transfer-Encoding\t: base64\r\nMIME-Version : 1.0\r\n\r\nx\r\n"
    )
    copy = redact_spool_copy(raw, "Пароль: [скрыто]", datetime(2026, 12, 5, tzinfo=UTC))
    assert copy.count(b"Content-Type") == copy.count(b"Content-Transfer-Encoding") == 1
    assert parse(copy).text.startswith("Пароль: [скрыто]")


def test_a_redacted_spool_copy_drops_the_folded_lines_of_the_content_fields() -> None:
    """A multipart mail's Content-Type folds its boundary onto the next line: that
    line goes with its field. Kept, it would continue the field before it (the
    Subject here) and read as part of it."""
    from datetime import UTC, datetime

    from maild.domain.message import parse
    from maild.redaction import redact_spool_copy

    raw = (
        b"From: ivan@x.ru\r\nSubject: Pay\r\nContent-Type: multipart/mixed;\r\n"
        b'\tboundary="b1"\r\nTo: desk@x.ru\r\n\r\n--b1\r\n\r\nx\r\n--b1--\r\n'
    )
    copy = redact_spool_copy(raw, "Пароль: [скрыто]", datetime(2026, 12, 5, tzinfo=UTC))
    assert b"boundary" not in copy and b"\r\nTo: desk@x.ru\r\n" in copy
    mail = parse(copy)
    assert mail.subject == "Pay" and mail.text.startswith("Пароль: [скрыто]")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RDP: 203.0.113.5 administrator RdpPass77", f"RDP: 203.0.113.5 {MARKER}"),
        ("VPN: vpn.shop.ru ivan Vpn12345", f"VPN: vpn.shop.ru {MARKER}"),
        ("rdp 203.0.113.5:3389 admin / Qw12er", f"rdp 203.0.113.5:3389 {MARKER}"),
        ("DB_PASSWORD=DbPass124", f"DB_PASSWORD={MARKER}"),
        ("export MYSQL_ROOT_PASSWORD='x y z'", f"export MYSQL_ROOT_PASSWORD='{MARKER}'"),
        ("db_password: Secret77", f"db_password: {MARKER}"),
        ("SECRET_KEY = 'dj4ng0'", f"SECRET_KEY = {MARKER}"),  # as 'Пароль: "x"' goes
        ("define('DB_PASSWORD', 'Wp$ecret9');", f"define('DB_PASSWORD', '{MARKER}');"),
        ('define( "DB_USER", "wpuser" );', f'define( "DB_USER", "{MARKER}" );'),
        ('$DBPassword = "BxPass55";', f'$DBPassword = "{MARKER}";'),
        ("$DBLogin = 'bitrix0';", f"$DBLogin = '{MARKER}';"),
        ("'password' => 'Bx$et77',", f"'password' => '{MARKER}',"),
        ("  'login' => 'bitrix0',", f"  'login' => '{MARKER}',"),
        (
            '{"username": "shop", "password": "j50n!"}',
            f'{{"username": "{MARKER}", "password": "{MARKER}"}}',
        ),
        ("ключ API: sk_live_51Habc", f"ключ API: {MARKER}"),
        ("API-ключ — 9f8e7d6c", f"API-ключ — {MARKER}"),
        ("Ключ доступа: AKIA1234", f"Ключ доступа: {MARKER}"),
        ("client_secret=Zx81kqPl", f"client_secret={MARKER}"),
        (
            "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig1",
            f"Authorization: Bearer {MARKER}",
        ),
        ("-H 'Authorization: Basic dXNlcjpwYXNz'", f"-H 'Authorization: Basic {MARKER}'"),
        ("токен: Bearer 4f9a8b7c6d5e4f3a2b1c", f"токен: Bearer {MARKER}"),
        (
            "TeamViewer ID 123 456 789 пароль 4821",
            f"TeamViewer ID {MARKER} пароль {MARKER}",
        ),
        ("AnyDesk 123456789 пароль 4821", f"AnyDesk {MARKER} пароль {MARKER}"),
        ("TeamViewer: 123456789, пароль: 4821.", f"TeamViewer: {MARKER}, пароль: {MARKER}."),
        ("AnyDesk, password x7k2m9", f"AnyDesk, password {MARKER}"),
    ],
)
def test_shapes_programs_and_their_settings_write(text: str, expected: str) -> None:
    """How access comes pasted from a config file (.env, wp-config.php, Bitrix's
    dbconn.php and .settings.php, JSON), an HTTP header, a remote-desktop tool."""
    redacted, count = redact_credentials(text)
    assert redacted == expected
    assert count >= 1 and redact_credentials(redacted) == (redacted, 0)


@pytest.mark.parametrize(
    "prose",
    [
        "пароль не приходит",
        "Сбросьте, пожалуйста, пароль.",
        "RDP: не подключается",
        "RDP: 203.0.113.5 не отвечает",
        "VPN: OpenVPN / WireGuard",
        "VPN: vpn.shop.ru L2TP IPsec",
        "VPN отваливается каждые 5 минут",
        "2026-12-01 10:00:01 INFO user_id=15 password_min_length=8 token_expired=1",
        "need_password=false",
        "password: [FILTERED]",  # a log's own mark of a value it kept out
        "password: null;",
        "login root password was reset",  # a function word for the value: prose
        "DB_PASSWORD=",
        "DB_PASSWORD=${DB_PASSWORD}",
        "'password' => $password,",
        "'password' => env('DB_PASSWORD'),",
        '"password": cfg.password,',
        "'password' => '',",
        "the fault may pass: a server's error",
        "password=*****",
        "Ключ API не работает",
        "ключ API устарел, выдайте новый",
        "вы получите ключ доступа в течение дня",
        "Authorization: failed for request",
        "Authorization: required",
        "Bearer token не принимается",
        "HTTP 401: Bearer authentication required",
        'WWW-Authenticate: Bearer realm="api"',
        "TeamViewer не подключается",
        "TeamViewer 15 установлен, пароль сбросился",
        "AnyDesk password reset не работает",
        "Установите AnyDesk и пришлите ID и пароль",
        "TeamViewer пароль не приходит",
        "Access denied for user 'root'@'localhost' (using password: YES)",
        "[2026-12-01] user.ERROR: Access denied for user 'bx'@'localhost' (using password: NO)",
    ],
)
def test_prose_and_log_lines_about_these_shapes_stay(prose: str) -> None:
    assert redact_credentials(prose) == (prose, 0)


@pytest.mark.parametrize(
    ("closed_at", "keep", "now", "due"),
    [
        ("2026-03-02T10:00:00+03:00", 2, "2026-03-04T07:00:00+00:00", True),  # to the second
        ("2026-03-02T10:00:00+03:00", 2, "2026-03-04T06:59:59+00:00", False),
        ("2026-03-02T10:00:00+00:00", 2, "2026-03-02T10:00:00+00:00", False),
        ("2026-03-02T10:00:00+00:00", 1, "2026-03-03T10:00:00+00:00", True),
        ("2026-03-02T10:00:00+00:00", 7, "2026-03-08T10:00:00+00:00", False),
    ],
)
def test_access_data_is_due_for_redaction_keep_days_after_closing(
    closed_at: str, keep: int, now: str, due: bool
) -> None:
    """Regulation clause 3: access data is kept two days (credentials_keep_days) after
    the ticket closes, then blanked out; the zones of the two times may differ."""
    assert redaction_due(closed_at, keep, datetime.fromisoformat(now)) is due


@given(st.integers(0, 10**6), st.integers(1, 30))
def test_redaction_is_due_from_the_moment_keep_days_have_passed_on(second: int, keep: int) -> None:
    closed = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=second)
    at = closed + timedelta(days=keep)
    assert redaction_due(closed.isoformat(), keep, at)
    assert redaction_due(closed.isoformat(), keep, at + timedelta(hours=1))
    assert not redaction_due(closed.isoformat(), keep, at - timedelta(microseconds=1))


def test_only_a_key_named_a_secret_is_one() -> None:
    """SECRET_KEY and API_KEY are secrets; another setting's key (a cache's, a public
    one) is not, and stays as written."""
    assert redact_credentials("SECRET_KEY=abc123") == (f"SECRET_KEY={MARKER}", 1)
    assert redact_credentials("API_KEY=abc123") == (f"API_KEY={MARKER}", 1)
    for text in ("PUBLIC_KEY=abc123", "cache_key=abc123"):
        assert redact_credentials(text) == (text, 0)
