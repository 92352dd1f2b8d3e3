"""A customer answers our mail about their ticket after it is gone from the store
(storage.keep_closed_days deleted it): a new ticket opens, and the confirmation says
the earlier ticket was closed and removed, not that they wrote into someone else's
ticket; staff's notice names the old one. A bare subject tag proves nothing: of it
the words stay those said whether or not that ticket exists. Real CLI, real sink."""

from __future__ import annotations

from tests.helpers import Desk, days_on, make_mail, staff_reply

CUSTOMER = "ivan@shop-example.ru"
GONE = "было закрыто и уже удалено из архива"


def _closed_and_deleted(desk: Desk, sink) -> tuple[str, object]:
    """A ticket closed by staff, then deleted by retention: (its TID, the customer's
    closing mail)."""
    tid = desk.ingest_tid(make_mail(subject="Ошибка 500"))
    desk.ingest(staff_reply(tid, "Исправили.\n#close"))
    desk.flush()
    closing = sink.to(CUSTOMER)[-1]
    assert f"[TID#{tid}]" in closing.subject
    assert "purged 1" in desk.run("jobs", "run", "--now", days_on(60)).out
    assert desk.run("ticket", "show", tid).code == 1
    return tid, closing


def _words(text: str) -> str:
    return " ".join(text.split())


def _new_ticket_mail(desk: Desk, sink, mail: bytes) -> tuple[str, str, str]:
    """Ingest ``mail`` as a new ticket: (its TID, the confirmation's and the staff
    notice's words)."""
    before = len(sink.received)
    new = desk.ingest_tid(mail)
    desk.flush()
    got = sink.received[before:]
    [confirmation] = [m for m in got if CUSTOMER in m.rcpt_tos]
    [notice] = [m for m in got if "anna@example.com" in m.rcpt_tos]
    assert f"[TID#{new}]" in confirmation.subject
    return new, _words(confirmation.text), _words(notice.text)


def test_a_reply_to_the_closing_of_a_deleted_ticket_is_told_it_was_removed(tmp_path, sink):
    desk = Desk(tmp_path, sink.port, storage={"keep_closed_days": 30})
    tid, closing = _closed_and_deleted(desk, sink)
    reply = make_mail(
        sender=f"Иван <{CUSTOMER}>",
        to=str(closing.msg["Reply-To"]),
        subject="Re: " + closing.subject,
        body="Ошибка снова появилась.",
        headers={"In-Reply-To": closing.msg["Message-ID"]},
    )
    new, told, notice = _new_ticket_mail(desk, sink, reply)
    assert new != tid
    assert f"Обращение {tid}, на письмо по которому вы ответили, {GONE}" in told, told
    assert "посторонний" not in told and "не добавлено" not in told
    assert f"по обращению {tid}, которого больше нет в архиве" in notice, notice
    assert "не является его участником" not in notice


def test_a_reply_by_its_signed_message_id_alone_is_told_too(tmp_path, sink):
    """A client that drops the Reply-To (to support@ by hand) still threads by our
    Message-ID, signed: that proves the mail answers ours as well."""
    desk = Desk(tmp_path, sink.port, storage={"keep_closed_days": 30})
    tid, closing = _closed_and_deleted(desk, sink)
    reply = make_mail(
        subject="Ошибка вернулась",
        headers={"In-Reply-To": closing.msg["Message-ID"]},
    )
    _new, told, notice = _new_ticket_mail(desk, sink, reply)
    assert f"Обращение {tid}" in told and GONE in told
    assert tid in notice


def test_a_subject_tag_alone_of_a_deleted_ticket_proves_nothing(tmp_path, sink):
    """The subject names the deleted ticket, nothing of ours is answered: told as of
    any TID the sender may not write into, the same as of one that never was."""
    desk = Desk(tmp_path, sink.port, storage={"keep_closed_days": 30})
    tid, _closing = _closed_and_deleted(desk, sink)
    _new, told, notice = _new_ticket_mail(
        desk, sink, make_mail(subject=f"Re: [TID#{tid}] Ошибка 500")
    )
    assert GONE not in told and f"не добавлено к обращению {tid}" in told
    assert "больше нет в архиве" not in notice
    never = tid[::-1]
    _new, told_never, _notice = _new_ticket_mail(
        desk, sink, make_mail(subject=f"Re: [TID#{never}] Ошибка 500")
    )
    assert _stranger_words(told_never).replace(never, tid) == _stranger_words(told)


def _stranger_words(told: str) -> str:
    start = told.index("Ваше письмо зарегистрировано как новое обращение, а не")
    return told[start : told.index("чужое обращение.", start)]


def test_a_stranger_naming_a_live_ticket_keeps_the_stranger_words(desk, sink):
    """Someone else's ticket, still there, named in the subject: the mail opens a new
    ticket and is told what a stranger is, never that the ticket is gone."""
    tid = desk.ingest_tid(make_mail(subject="Ошибка 500"))
    mail = make_mail(sender="Пётр <petr@other-example.ru>", subject=f"Re: [TID#{tid}] Ошибка")
    new = desk.ingest_tid(mail)
    desk.flush()
    [told] = sink.to("petr@other-example.ru")
    assert new != tid and GONE not in told.text
    assert f"не добавлено к обращению {tid}" in _words(told.text)


def test_a_reply_by_its_signed_message_id_in_references_alone_is_told_too(tmp_path, sink):
    """A client that writes References but no In-Reply-To still names our Message-ID,
    signed: that proves the mail answers ours as well (issued.issued_tids reads both)."""
    desk = Desk(tmp_path, sink.port, storage={"keep_closed_days": 30})
    tid, closing = _closed_and_deleted(desk, sink)
    reply = make_mail(
        subject="Ошибка вернулась",
        headers={"References": f"<earlier@shop-example.ru> {closing.msg['Message-ID']}"},
    )
    _new, told, notice = _new_ticket_mail(desk, sink, reply)
    assert f"Обращение {tid}" in told and GONE in told, told
    assert f"по обращению {tid}, которого больше нет в архиве" in notice, notice


def test_an_answer_to_a_ticket_marked_spam_is_not_told_it_was_removed(desk, sink):
    """Staff marked a ticket #spam: it waits in the quarantine, where the admin may
    bring it back (`maild spam release`), so it is not gone. Someone else answering its
    confirmation by our signed Message-ID alone (no tag in the subject) opens a ticket
    of their own, and neither they nor staff are told the marked one was removed."""
    tid = desk.ingest_tid(make_mail(subject="Ошибка 500"))
    desk.flush()
    confirmation = sink.to(CUSTOMER)[-1]
    desk.ingest(staff_reply(tid, "#spam", sender="boris@example.com"))
    desk.flush()
    before = len(sink.received)
    reply = make_mail(
        sender="Пётр <petr@shop-example.ru>",
        subject="Ошибка вернулась",
        headers={"In-Reply-To": confirmation.msg["Message-ID"]},
    )
    new = desk.ingest_tid(reply)
    desk.flush()
    got = sink.received[before:]
    [told] = [m for m in got if "petr@shop-example.ru" in m.rcpt_tos]
    [notice] = [m for m in got if "anna@example.com" in m.rcpt_tos]
    assert new != tid and f"[TID#{new}]" in told.subject
    assert GONE not in _words(told.text) and tid not in told.text, told.text
    assert "больше нет в архиве" not in _words(notice.text) and tid not in notice.text
    [kept] = desk.run("spam", "list", "--json").json()  # the ticket, where it was
    assert kept["reason"] == f"spam: #spam [TID#{tid}]"
