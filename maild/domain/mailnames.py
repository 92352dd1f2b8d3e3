"""What staff read a mail maild makes is called: its template's Russian name, for
the ticket's note that a mail was not sent (a cap, a block, an address refused for
good) and the notice telling a staff member their command's notice did not go.
Staff know a mail by what it says, not by its file in templates/."""

from __future__ import annotations

from collections.abc import Collection, Sequence

# the templates of mail to customers (whose subjects a customer's mail may carry back:
# ownsubjects.py strips their prefixes). None: the mail is called by its subject's
# words, read from the template it is made from (render.Renderer.subject_words, an
# override's too), not a copy of them here: the site's pages name it so as well.
TO_CUSTOMERS: dict[str, str | None] = {
    "confirmation.txt": None,
    "acknowledgement.txt": "письмо добавлено к обращению",
    "status.txt": "состояние обращения",
    "thanks.txt": "спасибо за оценку",
    "rated_already.txt": "обращение уже оценено",
    "started.txt": "работа начата",
    "level_changed.txt": "изменён уровень обслуживания",
    "merged.txt": "обращение объединено",
    "resolved.txt": "обращение закрыто",
    "reminder_customer.txt": "ждём вашего ответа",
    "web_link.txt": "новая ссылка на обращение",
    "web_confirm.txt": "подтвердите обращение",
}
NAMES: dict[str, str | None] = {
    **TO_CUSTOMERS,
    # to staff and the head
    "staff_new.txt": "новое обращение",
    "staff_followup.txt": "новое письмо клиента",
    "staff_flood.txt": "уведомления приостановлены",
    "staff_charset.txt": "письмо клиента перечитано",
    "staff_error.txt": "команды не выполнены",
    "staff_unsent.txt": "ответ клиенту не отправлен",
    "staff_alias.txt": "ответ клиенту не отправлен",
    "staff_list_reply.txt": "ответ на письмо-список не отправлен",
    "staff_noticket.txt": "обращение не найдено",
    "staff_spammed.txt": "обращение помечено как спам",
    "staff_spam_done.txt": "обращение помечено как спам по вашей команде",
    "staff_merged.txt": "объединены обращения разных клиентов",
    "staff_refused.txt": "письмо клиенту не доставлено",
    "staff_refused_list.txt": "письма клиентам не доставлены",
    "staff_too_big.txt": "письмо клиенту слишком большое",
    "staff_files_left.txt": "ответ отправлен не со всеми файлами",
    "staff_quote_left.txt": "ответ отправлен без строк из цитаты",
    "staff_recall.txt": "отозвать письмо клиенту нельзя",
    "staff_same_answer.txt": "ответ клиенту не отправлен повторно",
    "staff_unverified.txt": "письмо не принято как ответ сотрудника",
    "staff_direct.txt": "клиент получил письмо напрямую",
    "staff_head.txt": "письмо руководителя поддержки",
    "head_note.txt": "письмо руководителя не передано или команды не выполнены",
    "head_noticket.txt": "обращение не найдено",
    "staff_capped.txt": "уведомление клиенту не отправлено",
    "reminder_staff.txt": "напоминание о сроке реакции",
    "reminder_list.txt": "напоминание о сроках реакции",
    "escalation.txt": "просрочена реакция",
    "escalation_list.txt": "просрочена реакция",
    "outbox_alert.txt": "письмо не удаётся отправить",
}


def mail_name(template: str | None, subject: str | None = None) -> str:
    """«уведомление «работа начата»»: a mail of `template` as staff know it (`subject`:
    its subject's words, the name of one NAMES gives None); a mail without one (a staff
    member's answer relayed) or of a template not named here is «письмо»."""
    name = NAMES.get(template or "", "")
    if name is None and subject:
        name = subject[:1].lower() + subject[1:] if subject[1:2].islower() else subject
    return f"уведомление «{name}»" if name else "письмо"


def addressees(to: Sequence[str], staff: Collection[str]) -> str:
    """«клиенту ivan@…», «сотрудникам anna@…, boris@…»: whom a mail was for."""
    many = len(to) > 1
    if all(a.lower() in staff for a in to):
        who = "сотрудникам" if many else "сотруднику"
    else:
        who = "клиентам" if many else "клиенту"
    return f"{who} {', '.join(to)}"


def unsent_note(
    template: str | None, to: Sequence[str], staff: Collection[str], why: str, subject: str | None
) -> str:
    """The ticket's note that a mail was not sent: «Не отправлено уведомление
    «изменён уровень обслуживания» клиенту ivan@…: WHY» (`subject`: mail_name's)."""
    return f"Не отправлено {mail_name(template, subject)} {addressees(to, staff)}: {why}"
