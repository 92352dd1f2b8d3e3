"""Every kind of automatic mail an outsider can make maild send one mailbox meets one
budget (README "Caps on everything automatic"), end to end: `maild ingest`, a real
aiosmtpd relay counting what reached the mailbox. A forger types the victim's address
in as many spellings as Gmail delivers to one mailbox; past the hour's cap, spent on
confirmations, neither a status reply, nor a thank-you for a rating, nor an
acknowledgement, nor another confirmation goes: each leaves the ticket a note instead.
The staff member's answer, written by a person, still goes."""

from __future__ import annotations

from maild.domain.caps import mailbox_of
from tests.helpers import Desk, make_mail, staff_reply

VICTIM = "victim@gmail.com"


def test_every_kind_of_automatic_mail_to_one_mailbox_shares_its_hours_cap(tmp_path, sink):
    desk = Desk(tmp_path, sink.port, support={"max_auto_replies_per_hour": 3})
    tid = desk.ingest_tid(make_mail(sender=VICTIM, subject="Не работает корзина"))
    desk.ingest(make_mail(sender="Victim+news@Gmail.com", subject="Не приходят письма"))
    desk.ingest(make_mail(sender="v.ictim@googlemail.com", subject="Не грузится каталог"))
    # the hour's three are spent: what follows, of every kind, reaches no one
    desk.ingest(make_mail(sender="VICTIM@gmail.com", subject=f"Re: [TID#{tid}]", body="Статус?"))
    desk.ingest(staff_reply(tid, "Исправили, проверьте, пожалуйста.\n#close"))
    desk.ingest(make_mail(sender=VICTIM, subject=f"Re: [TID#{tid}]", body="5"))
    desk.ingest(make_mail(sender=VICTIM, subject=f"Re: [TID#{tid}]", body="Корзина снова пуста."))
    desk.ingest(make_mail(sender="vic.tim+x@googlemail.com", subject="Не печатается счёт"))
    desk.flush()
    sink.wait_for(len(sink.received) + 1, 1.0)

    got = [m for m in sink.received if mailbox_of(m.rcpt_tos[0]) == VICTIM]
    automatic = [m for m in got if m.msg["Auto-Submitted"]]
    assert len(automatic) == 3 and all("зарегистрировано" in m.subject for m in automatic)
    assert len(got) == 4  # and the answer staff wrote
    notes = [m["text"] for m in desk.ticket(tid)["messages"] if m["kind"] == "note"]
    held = [n.split("»")[0] for n in notes if "автоматических писем адресу в час" in n]
    assert held == [
        "Не отправлено уведомление «состояние обращения",
        "Не отправлено уведомление «спасибо за оценку",
        "Не отправлено уведомление «письмо добавлено к обращению",
    ], notes
