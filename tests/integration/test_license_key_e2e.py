"""A license key named in a customer's mail, end to end (`maild license add`, `maild
ingest`, `maild outbox list --json` / `outbox show`): the key alone changes no level
(regulation, clause 8: commercial support only for mail from an address on the
license); staff are told which license the mail names, its level and addresses and
what they may do, and the customer that a staff member checks it
(domain/licensekeys.py)."""

from __future__ import annotations

from tests.helpers import Desk, dead_port, make_mail

PETR = "petr@gmail.com"


def queued(desk: Desk, tid: str, kind: str, to: str | None = None) -> list[str]:
    """The texts of the queued mail of ``kind`` about ``tid`` (to ``to``), oldest first."""
    rows = desk.run("outbox", "list", "--json").json()
    return [
        desk.run("outbox", "show", r["id"]).out
        for r in rows
        if r.get("tid") == tid and r["kind"] == kind and (to is None or to in r["to"])
    ]


def flat(text: str) -> str:
    return " ".join(text.split())


def shop_desk(tmp_path) -> Desk:
    desk = Desk(tmp_path, dead_port())
    added = desk.run(
        "license", "add", "--key", "ADV-1", "--level", "vip", "--email", "petr@shop.ru",
        "--until", "2099-06-30", "--name", "ООО Шоп",
    )  # fmt: skip
    assert added.code == 0, added.err
    return desk


def test_a_reply_naming_a_license_key_is_checked_by_staff_not_raised(tmp_path):
    desk = shop_desk(tmp_path)
    tid = desk.ingest_tid(make_mail(sender=f"Пётр <{PETR}>", subject="Вопрос по заказам"))
    [confirmation] = queued(desk, tid, "confirmation")
    assert "сотрудник поддержки проверит лицензию" in flat(confirmation)

    reply = make_mail(
        sender=f"Пётр <{PETR}>",
        subject=f"Re: Обращение зарегистрировано: Вопрос по заказам [TID#{tid}]",
        body="Номер лицензии adv-1, пишу с личного адреса",
    )
    assert desk.ingest_tid(reply) == tid
    assert desk.ticket(tid)["level"] == "free"  # the key alone raises nothing

    ack = flat(queued(desk, tid, "confirmation")[-1])
    assert "Письмо добавлено к обращению" in ack
    assert "Если вы указали в письме номер лицензии" in ack
    assert "сотрудник поддержки проверит лицензию" in ack and "petr@shop.ru" not in ack  # no holder

    notices = [n for n in queued(desk, tid, "notice", "anna@example.com") if "Новое письмо" in n]
    notice = flat(notices[-1])
    assert "В письме назван номер лицензии ADV-1 (ООО Шоп)" in notice
    assert "«Коммерческие клиенты: VIP поддержка» (vip), действует до 30.06.2099" in notice
    assert "Адреса лицензии: petr@shop.ru." in notice
    assert f"Отправитель {PETR} в лицензии не указан" in notice
    assert (
        "maild license add --key ADV-1 --level vip --email petr@shop.ru"
        f' --email {PETR} --until 2099-06-30 --name "ООО Шоп"'
    ) in notice
    assert "«#level vip»" in notice


def test_a_new_ticket_naming_a_key_tells_staff_and_the_customer(tmp_path):
    desk = shop_desk(tmp_path)
    tid = desk.ingest_tid(
        make_mail(sender=PETR, subject="Лицензия ADV-1: не работает корзина", body="Помогите")
    )
    assert desk.ticket(tid)["level"] == "free"
    [notice] = queued(desk, tid, "notice", "anna@example.com")
    assert "В письме назван номер лицензии ADV-1 (ООО Шоп)" in flat(notice)
    [confirmation] = queued(desk, tid, "confirmation")
    assert "Если вы указали в письме номер лицензии" in flat(confirmation)


def test_nothing_is_said_when_the_sender_is_on_the_license_named(tmp_path):
    desk = shop_desk(tmp_path)
    mail = make_mail(sender="petr@shop.ru", subject="Вопрос", body="Наша лицензия ADV-1.")
    tid = desk.ingest_tid(mail)
    assert desk.ticket(tid)["level"] == "vip"
    [notice] = queued(desk, tid, "notice", "anna@example.com")
    [confirmation] = queued(desk, tid, "confirmation")
    assert "назван номер лицензии" not in notice
    assert "Если вы указали в письме номер лицензии" not in confirmation


def test_a_key_nobody_registered_gets_the_same_answer_as_a_registered_one(tmp_path):
    """The customer's mail may not tell whether a key is registered (anyone could try
    keys by mail): an unknown key gets the same sentence, and staff hear of no license."""
    desk = shop_desk(tmp_path)
    tid = desk.ingest_tid(
        make_mail(sender=PETR, subject="Лицензия XYZ-9: не работает корзина", body="Помогите")
    )
    [notice] = queued(desk, tid, "notice", "anna@example.com")
    assert "назван номер лицензии" not in flat(notice)
    [confirmation] = queued(desk, tid, "confirmation")
    assert "Если вы указали в письме номер лицензии" in flat(confirmation)
