"""A reproducible mix of realistic Russian support mail for the benchmark.

- charsets: 45 % windows-1251, 20 % KOI8-R, 35 % UTF-8 (subjects and names
  RFC 2047-encoded in the same charset, bodies base64 / quoted-printable / 8bit);
- 20 % multipart/alternative with an HTML part (Outlook/The Bat style);
- a quarter carry a PNG screenshot (a real, incompressible PNG of 12-28 KB);
- 2-3 Received lines, a DKIM-Signature, X-Mailer, quoted earlier text and a
  signature, so the headers and body look like what postfix hands over;
- every message has its own sender address and Message-ID (maild limits
  automatic replies to 10 per sender per hour).

Average size is about 12 KB. `make_mails(n, seed)` always returns the same list.
"""

from __future__ import annotations

import random
import struct
import zlib
from datetime import UTC, datetime, timedelta
from email import encoders
from email.charset import BASE64, QP, Charset
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime

SUPPORT = "support@example.com"

FIRST = [
    "Иван",
    "Мария",
    "Алексей",
    "Ольга",
    "Дмитрий",
    "Наталья",
    "Сергей",
    "Екатерина",
    "Андрей",
    "Татьяна",
    "Павел",
    "Юлия",
    "Михаил",
    "Анна",
    "Николай",
    "Светлана",
]
LAST = [
    "Петров",
    "Смирнова",
    "Иванов",
    "Кузнецова",
    "Соколов",
    "Попова",
    "Лебедев",
    "Козлова",
    "Новиков",
    "Морозова",
    "Волков",
    "Соловьёва",
    "Зайцев",
    "Павлова",
]
COMPANIES = [
    "ООО «Ромашка»",
    "ИП Сидоров",
    "АО «Техноторг»",
    "ООО «Мебель-Сити»",
    "интернет-магазин «Лавка»",
    "ООО «СтройДвор»",
    "студия «Пиксель»",
]
DOMAINS = [
    "shop-example.ru",
    "mail.example.ru",
    "yandex.example",
    "techtorg.example",
    "lavka.example",
    "pixel-studio.example",
    "stroydvor.example",
    "inbox.example",
]
SUBJECTS = [
    "Не работает оформление заказа",
    "Ошибка 500 после обновления до 7.0",
    "Не приходят письма с сайта",
    "Как перенести сайт на другой хостинг?",
    "Проблема с оплатой картой",
    "Не открывается админка",
    "Вопрос по лицензии",
    "Сломалась корзина после установки модуля",
    "Медленно работает каталог",
    "Выгрузка в 1С завершается с ошибкой",
    "Не отображаются картинки товаров",
    "Помогите настроить резервное копирование",
]
_TEXT = (
    "здравствуйте после обновления сайта перестала работать корзина покупатели "
    "жалуются что заказ не оформляется при нажатии кнопки появляется ошибка сервер "
    "отвечает кодом пятьсот мы проверили журнал там сообщение о нехватке памяти "
    "хостинг говорит что всё в порядке просим помочь разобраться срочно потому что "
    "сегодня распродажа и мы теряем деньги доступ к панели управления могу "
    "предоставить по запросу модуль оплаты обновлялся вчера вечером версия ядра семь "
    "ноль настройки кеширования не менялись каталог товаров содержит около двадцати "
    "тысяч позиций выгрузка идёт каждые полчаса письма покупателям не уходят почтовый "
    "сервер не отвечает сертификат продлён"
)
WORDS = _TEXT.split()
SIGNATURE = "\n-- \n{name}\n{company}\nтел. +7 (495) {p1:03d}-{p2:02d}-{p3:02d}\n"
HTML = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset={cs}">'
    "<style>p{{margin:0}} .sig{{color:#777}}</style></head><body>"
    "{paras}<p class=sig>{sig}</p></body></html>"
)
MAILERS = [
    "Microsoft Outlook 16.0",
    "The Bat! (v10.4.0) Professional",
    "Mozilla Thunderbird 115.5",
    "Roundcube Webmail/1.6.5",
    "Яндекс.Почта",
]


def png(rng: random.Random, width: int, height: int) -> bytes:
    """A valid RGB PNG of noisy rows (screenshots of photos compress about this badly)."""
    raw = bytearray()
    for _ in range(height):
        raw.append(0)
        raw += rng.randbytes(width * 3)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(bytes(raw), 6))
        + chunk(b"IEND", b"")
    )


def _text(rng: random.Random, words: int) -> str:
    out, line = [], []
    for i in range(words):
        w = rng.choice(WORDS)
        line.append(w.capitalize() if i == 0 or rng.random() < 0.06 else w)
        if rng.random() < 0.08:
            line[-1] += rng.choice([".", ",", "!", "?"])
        if len(" ".join(line)) > 70:
            out.append(" ".join(line))
            line = []
            if rng.random() < 0.12:
                out.append("")
    out.append(" ".join(line) + ".")
    return "\n".join(out)


def _charset(name: str, cte: str) -> Charset:
    cs = Charset(name)
    cs.header_encoding = BASE64 if name == "utf-8" else QP
    cs.body_encoding = {"base64": BASE64, "qp": QP, "8bit": None}[cte]
    return cs


def make_mail(
    i: int,
    rng: random.Random,
    *,
    run: str = "b",
    to: str = SUPPORT,
    sender: str | None = None,
    tid: str | None = None,
    in_reply_to: str | None = None,
) -> tuple[str, str, bytes]:
    """(envelope sender, Message-ID, raw bytes) of message number i; with `tid`, a
    customer's follow-up to that ticket (Re: subject with its [TID#...] tag)."""
    roll = rng.random()
    charset = "windows-1251" if roll < 0.45 else "koi8-r" if roll < 0.65 else "utf-8"
    cte = rng.choice(["base64", "qp", "8bit"])
    first, last = rng.choice(FIRST), rng.choice(LAST)
    name = f"{first} {last}"
    company = rng.choice(COMPANIES)
    if charset == "koi8-r":
        company = company.replace("«", '"').replace("»", '"')
    domain = rng.choice(DOMAINS)
    addr = sender or f"u{run}{i}@{domain}"
    msgid = f"<{run}.{i}.{rng.getrandbits(40):010x}@{domain}>"
    subject = rng.choice(SUBJECTS)
    if tid:
        subject = f"Re: {subject} [TID#{tid}]"
    elif rng.random() < 0.15:
        subject = "Re: " + subject
    body = _text(rng, rng.randint(80, 280))
    if rng.random() < 0.5:  # quoted earlier correspondence
        quoted = _text(rng, rng.randint(60, 260))
        body += (
            "\n\n" + f"{rng.randint(1, 28)}.11.2026 {rng.randint(9, 18)}:{rng.randint(0, 59):02d}, "
            "Служба поддержки пишет:\n" + "\n".join("> " + ln for ln in quoted.splitlines())
        )
    sig = SIGNATURE.format(
        name=name,
        company=company,
        p1=rng.randint(100, 999),
        p2=rng.randint(0, 99),
        p3=rng.randint(0, 99),
    )
    body += "\n" + sig
    cs = _charset(charset, cte)

    if charset == "koi8-r":  # KOI8-R has no guillemets
        body = body.replace("«", '"').replace("»", '"')
    plain = MIMENonMultipart("text", "plain")
    plain.set_payload(body, cs)  # encodes to the charset with the chosen transfer encoding
    if rng.random() < 0.2:
        paras = "".join(f"<p>{p}</p>" for p in body.split("\n") if p.strip())
        html = HTML.format(cs=charset, paras=paras, sig=name)
        hpart = MIMENonMultipart("text", "html")
        hpart.set_payload(html, _charset(charset, "qp" if cte == "8bit" else cte))
        content = MIMEMultipart("alternative")
        content.attach(plain)
        content.attach(hpart)
    else:
        content = plain
    if rng.random() < 0.25:
        image = png(rng, rng.randint(64, 96), rng.randint(44, 70))
        part = MIMEBase("image", "png", name="screenshot.png")
        part.set_payload(image)
        encoders.encode_base64(part)
        part.add_header("Content-Disposition", "attachment", filename=f"Снимок экрана {i}.png")
        msg = MIMEMultipart("mixed")
        msg.attach(content)
        msg.attach(part)
    else:
        msg = content
    when = datetime(2026, 11, 25, 10, 15, tzinfo=UTC) + timedelta(seconds=i * 7)
    relay = f"mx{rng.randint(1, 9)}.{domain}"
    msg["Return-Path"] = f"<{addr}>"
    for hop in range(rng.randint(2, 3)):
        msg["Received"] = (
            f"from {relay} ({relay} [192.0.2.{rng.randint(1, 254)}]) by mx.example.com "
            f"(Postfix) with ESMTPS id {rng.getrandbits(44):011X} for <{to}>; "
            f"{format_datetime(when - timedelta(seconds=hop))}"
        )
    msg["DKIM-Signature"] = (
        f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=mail; t={int(when.timestamp())}; "
        f"h=from:to:subject:date:message-id; bh={rng.randbytes(32).hex()}=; "
        f"b={rng.randbytes(96).hex()}"
    )
    msg["From"] = f"{Header(name, cs).encode()} <{addr}>"
    msg["To"] = to if rng.random() < 0.8 else f"{Header('Поддержка', cs).encode()} <{to}>"
    msg["Subject"] = Header(subject, cs)
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = msgid
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg["X-Mailer"] = rng.choice(MAILERS)
    raw = msg.as_bytes()
    if b"\r\n" not in raw:
        raw = raw.replace(b"\n", b"\r\n")
    return addr, msgid, raw


def make_mails(
    n: int, seed: int = 1, run: str = "b", start: int = 0
) -> list[tuple[str, str, bytes]]:
    """n messages numbered start.., reproducible for a given seed and run tag."""
    rng = random.Random(f"{seed}:{run}")
    return [make_mail(start + i, rng, run=run) for i in range(n)]


def describe(mails: list[tuple[str, str, bytes]]) -> str:
    sizes = [len(m[2]) for m in mails]
    png_count = sum(1 for m in mails if b"image/png" in m[2])
    cs = {
        c: sum(
            1
            for m in mails
            if f'charset="{c}"'.encode() in m[2][:20000] or f"charset={c}".encode() in m[2][:20000]
        )
        for c in ("windows-1251", "koi8-r", "utf-8")
    }
    return (
        f"{len(mails)} messages, mean {sum(sizes) / len(sizes) / 1024:.1f} KB, "
        f"max {max(sizes) / 1024:.1f} KB, with PNG {png_count}, charsets {cs}"
    )


if __name__ == "__main__":
    ms = make_mails(400)
    print(describe(ms))
