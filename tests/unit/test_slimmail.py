"""slimmail.without_files: a mail to staff refused for its size goes again with its
text and a note, without the files."""

from __future__ import annotations

from email import message_from_bytes, policy

from maild.render import Renderer
from maild.slimmail import without_files

HEAD = (
    b"From: support@example.com\r\nTo: anna@example.com\r\n"
    b"Subject: =?utf-8?b?0J3QvtCy0L7QtSDQvtCx0YDQsNGJ0LXQvdC40LU=?=\r\nMIME-Version: 1.0\r\n"
)
NOTE = "Файлы клиента в это письмо не вошли: они сохранены в обращении."


def test_the_text_goes_again_as_it_was_written_with_the_note_and_no_file():
    """The notice's text is the one written, Cyrillic as it was (UTF-8, sent as 8bit):
    read in another charset it reached staff unreadable. The header stays, the files
    go, the note says where they are; a mail with no files has nothing to leave out."""
    text = "Новое обращение от ivan@shop.example:\nНе работает корзина, ёлки-палки.\n"
    files = [("скриншот.png", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)]
    slim = without_files(HEAD + Renderer.content(text, files, "<n1@example.com>"), NOTE)
    assert slim is not None and slim.startswith(HEAD)
    msg = message_from_bytes(slim, policy=policy.default)
    assert msg.get_content_type() == "text/plain" and list(msg.iter_attachments()) == []
    assert msg.get_content().replace("\r\n", "\n") == f"{text}\n{NOTE}\n"
    assert without_files(HEAD + Renderer.content(text, [], "<n2@example.com>"), NOTE) is None
