"""The IMAP session's answers that no Dovecot gives on demand (the rest is
tests/integration/test_imap.py, against a real one): a login the connection broke
is no refusal; a processed folder that could not be made is an error; only EXISTS
is new mail."""

from __future__ import annotations

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from maild.adapters.imapfailures import LoginRefused
from maild.adapters.imapsession import ensure_folder, is_new_mail, log_in
from tests.unit.test_imapfetch import CFG


class Client:
    """A client whose LOGIN fails with `error` raised while handling `cause` (as
    imapclient wraps imaplib's error), and whose CREATE is refused."""

    def __init__(self, cause: Exception | None = None, folders: tuple[str, ...] = ()) -> None:
        self.cause = cause or IMAPClient.Error("[AUTHENTICATIONFAILED] bad")
        self.folders = folders

    def login(self, user: str, password: str) -> None:
        try:
            raise self.cause
        except IMAPClient.Error as e:
            raise LoginError(str(e))  # noqa: B904  # as imapclient's login does

    def folder_exists(self, folder: str) -> bool:
        return folder in self.folders

    def create_folder(self, folder: str) -> None:
        raise IMAPClient.Error("[NOPERM] not allowed")

    def subscribe_folder(self, folder: str) -> None:
        pass


def test_a_login_the_connection_broke_is_no_refusal():
    """The connection ended during LOGIN ("socket error: EOF"): nothing was refused, so
    no ERROR about the password and no 600 s wait (LOGIN_RETRY), the poller's back-off."""
    with pytest.raises(LoginError):
        log_in(Client(IMAPClient.AbortError("socket error: EOF")), CFG)  # type: ignore[arg-type]
    with pytest.raises(LoginRefused, match="AUTHENTICATIONFAILED"):
        log_in(Client(), CFG)  # type: ignore[arg-type]


def test_a_processed_folder_the_server_would_not_make_is_an_error():
    """CREATE refused and the folder still not there: the round fails saying why,
    rather than moving mail into a folder that is not there."""
    with pytest.raises(IMAPClient.Error, match="NOPERM"):
        ensure_folder(Client(), "Processed")  # type: ignore[arg-type]
    ensure_folder(Client(folders=("Processed",)), "Processed", listed=False)  # type: ignore[arg-type]


def test_only_exists_is_new_mail():
    assert is_new_mail((3, b"EXISTS"))
    for other in ((2, b"EXPUNGE"), (3, b"RECENT"), (b"OK", b"Still here"), (5,), b"EXISTS"):
        assert not is_new_mail(other)
