"""What the errors an admin meets most mean, in Russian, for the alerts to the head
of support and staff (fault_alert.txt, spool_alert.txt, outbox_alert.txt).

An alert keeps the error as the system or the relay said it (for a search or a bug
report); the first of these phrases found in it adds a line saying what it means.
The system's words are glibc's error texts (os.strerror: Python does not translate
them) and smtplib's and ssl's.
"""

from __future__ import annotations

__all__ = ["gloss"]

# (what the error says, what it means); the first found wins
_GLOSSES = (
    ("No space left on device", "на диске нет свободного места"),
    ("Disk quota exceeded", "исчерпана дисковая квота пользователя maild"),
    ("Read-only file system", "файловая система доступна только для чтения"),
    ("Permission denied", "нет прав доступа к файлу или каталогу"),
    ("Operation not permitted", "операция запрещена: права доступа или атрибуты файла"),
    ("Input/output error", "ошибка ввода-вывода: диск неисправен или отключён"),
    ("Structure needs cleaning", "файловая система повреждена: нужна проверка (fsck)"),
    ("Too many open files", "открыто слишком много файлов"),
    ("Cannot allocate memory", "не хватает памяти"),
    ("No such file or directory", "файл или каталог не найден"),
    ("Authentication", "почтовый сервер не принял логин или пароль ([outbound])"),
    ("certificate verify failed", "сертификат почтового сервера не прошёл проверку"),
    ("Name or service not known", "имя почтового сервера не найдено в DNS"),
    ("Temporary failure in name resolution", "DNS сейчас недоступен"),
    ("Connection refused", "почтовый сервер не принимает соединения (не запущен?)"),
    ("timed out", "почтовый сервер не ответил вовремя"),
    ("No route to host", "почтовый сервер недоступен по сети"),
    ("Network is unreachable", "сеть недоступна"),
    ("Connection unexpectedly closed", "почтовый сервер оборвал соединение"),
    ("Connection reset by peer", "почтовый сервер оборвал соединение"),
    ("Relay access denied", "почтовый сервер не пересылает почту с этого адреса"),
)


def gloss(error: str | None) -> str:
    """What `error` means in Russian, or "" when it is none of the known ones."""
    text = error or ""
    return next((words for said, words in _GLOSSES if said in text), "")
