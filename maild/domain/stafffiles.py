"""Why a file of a staff answer cannot go to the customer, in words for staff: the file
by its name, why, and what to do. attachments.py words its reasons for a customer
(a bare BMP's «упакуйте файл архиватором и пришлите снова» named no file, and told a
staff member nothing of their own answer being held for it).

Called by unsent.unsendable; pure.
"""

from __future__ import annotations

from maild.domain.attachments import ALLOWED_TEXT, AttachmentDecision, AttachmentPolicy
from maild.domain.filerules import ARCHIVES, SAVE_AS, ZIPPED_ONLY, names
from maild.domain.filetypes import NBSP, size_words

__all__ = ["refusal"]

# what a refused archive's reason opens with (attachments._decide), the file named
ARCHIVE_REFUSED = "Архив" + NBSP + "«{name}» не принят. "
AGAIN = "Приложите его снова."


def refusal(d: AttachmentDecision, rules: AttachmentPolicy) -> str:
    """Why the refused file ``d`` of a staff answer did not go, and what to do (``rules``:
    the sizes a staff answer's files are held to)."""
    name = f"Файл{NBSP}«{d.filename}» не отправлен"
    if d.kind == "bmp":
        return (
            f"{name}: файлы {names(ZIPPED_ONLY, ' и ')} клиентам отправляются только в архиве "
            f"{names(ARCHIVES, ' или ')} (так требует регламент). Упакуйте его в архив "
            f"или сохраните как {SAVE_AS} и приложите снова."
        )
    if d.kind == "empty":
        return f"{name}: он пуст (0{NBSP}байт), видимо, не приложился. {AGAIN}"
    if d.kind == "corrupt":
        return f"{name}: он повреждён, изображение обрывается, не дойдя до конца. {AGAIN}"
    if d.kind == "mislabelled":  # the customer's reason: what it claims, what it is
        why = (d.reason or "").split(ALLOWED_TEXT)[0].strip()
        why = why.removeprefix(f"Файл{NBSP}«{d.filename}» ")  # «назван как JPG, но ...»
        return (
            f"{name}: {why} Клиент не откроет его по такому имени: сохраните файл в формате, "
            "который назван в имени, или назовите его по содержимому, и приложите снова."
        )
    if d.size > rules.max_attachment_bytes:
        return (
            f"{name}: он слишком велик ({size_words(d.size)}), клиенту отправляются "
            f"вложения не более {size_words(rules.max_attachment_bytes)}. Уменьшите его "
            "(упакуйте в архив, снимок экрана сохраните как JPG) или передайте иначе."
        )
    prefix = ARCHIVE_REFUSED.format(name=d.filename)
    if d.reason and d.reason.startswith(prefix):  # the archive's own fault (ziparchive)
        why = d.reason.removeprefix(prefix)
        return f"{name}: {why[:1].lower()}{why[1:]}"
    return (
        f"{name}: вложения одного ответа клиенту — не более "
        f"{size_words(rules.max_message_bytes)} вместе. Отправьте его отдельным ответом."
    )
