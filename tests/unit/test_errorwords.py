"""domain.errorwords: the Russian line beside an error in alerts."""

from __future__ import annotations

import errno
import os

import pytest

from maild.domain.errorwords import gloss
from maild.runner import describe


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.ENOSPC, "на диске нет свободного места"),
        (errno.EROFS, "только для чтения"),
        (errno.EACCES, "нет прав доступа"),
        (errno.EIO, "ошибка ввода-вывода"),
        (errno.EUCLEAN, "fsck"),
        (errno.ECONNREFUSED, "не принимает соединения"),
        (errno.EDQUOT, "дисковая квота"),
        (errno.EPERM, "операция запрещена"),
        (errno.EMFILE, "слишком много файлов"),
        (errno.ENOMEM, "не хватает памяти"),
        (errno.ENOENT, "не найден"),
        (errno.EHOSTUNREACH, "недоступен по сети"),
        (errno.ENETUNREACH, "сеть недоступна"),
        (errno.ECONNRESET, "оборвал соединение"),
    ],
)
def test_the_system_s_own_error_texts_are_explained(code, words):
    """As describe() words an OSError for run/fault.json and the alert."""
    error, _path = describe(OSError(code, os.strerror(code), "/var/lib/maild/tickets"))
    assert words in gloss(error)


def test_the_relay_s_refusals_and_unknown_errors():
    assert "логин или пароль" in gloss("535 5.7.8 Authentication credentials invalid")
    assert "не ответил вовремя" in gloss("relay smtp.example:587: TimeoutError: timed out")
    said = "relay smtp.example:587: SSLCertVerificationError: certificate verify failed"
    assert "сертификат" in gloss(said)
    assert "не найдено в DNS" in gloss("relay x: gaierror: [Errno -2] Name or service not known")
    assert "DNS сейчас" in gloss("gaierror: [Errno -3] Temporary failure in name resolution")
    said = "SMTPServerDisconnected: Connection unexpectedly closed"
    assert "оборвал соединение" in gloss(said)
    said = "554 5.7.1 <ivan@example.org>: Relay access denied"
    assert "не пересылает почту" in gloss(said)
    assert gloss("ValueError: something else") == "" and gloss(None) == ""


def test_the_first_known_phrase_names_the_cause_when_an_error_holds_two():
    """smtplib words a read that timed out as a closed connection with the cause after
    it: the head is told the relay did not answer in time (the cause to look into), not
    that it broke the connection."""
    error = (
        "relay smtp.example:587: SMTPServerDisconnected: Connection unexpectedly closed: timed out"
    )
    assert gloss(error) == "почтовый сервер не ответил вовремя"
