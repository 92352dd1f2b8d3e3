"""The disk the «Задать вопрос» requests waiting for their click may hold
(web.max_pending_mb): each keeps its files in <storage>/web/pending until its link is
clicked or for 3 days (adapters/sitepending.py), and a stranger needs to prove no
address to leave one: 100 confirmations an hour of 26 MB each filled ~180 GB in 3 days,
and a full disk stops mail intake. Past the bound a post with files is refused, the
form shown again with what was typed; one without files (at most 100,000 characters)
still goes, and so does mail."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from maild.adapters.sitepending import waiting_bytes
from maild.configtypes import WebConfig
from maild.web.forms import Upload

log = logging.getLogger("maild.web")

MB = 1024 * 1024
# web.max_pending_mb reached: the requests waiting for their click (files and all) fill
# no more of the disk that mail intake needs; without files, or by mail, it still goes
NO_ROOM = (
    "Сейчас форма не может принять файлы: слишком много обращений ждут подтверждения. "
    "Отправьте вопрос без файлов (приложить их можно будет на странице обращения, когда "
    "оно будет зарегистрировано), напишите нам письмо с файлами на адрес {address} "
    "или попробуйте позже."
)


async def no_room(cfg: WebConfig, root: Path, email: str, files: list[Upload]) -> bool:
    """Whether the requests waiting for their click in `root`, with this post's `files`
    (from `email`), would hold more than web.max_pending_mb; logged so, once per
    refusal. Posts at once may each pass it by a post's size (at most
    attachments.max_message_bytes each): a bound, not an exact count."""
    loop = asyncio.get_running_loop()
    held = await loop.run_in_executor(None, waiting_bytes, root)
    coming = sum(len(f.data) for f in files) * 4 // 3  # as base64 holds them in the request
    if held + coming <= cfg.max_pending_mb * MB:
        return False
    log.warning(
        "web: «Задать вопрос» with files refused for %s: the requests waiting for their "
        "click hold %d MB (web.max_pending_mb %d)",
        email,
        held // MB,
        cfg.max_pending_mb,
    )
    return True
