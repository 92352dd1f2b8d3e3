"""A staff answer's file that cannot go to the customer, told to staff (stafffiles):
each by its name, why, and what to do, never the customer's words («пришлите
снова», «Принимаются скриншоты ...», which a staff member may send any file past)."""

from __future__ import annotations

import io
import re
import sys
import types
import zipfile
from pathlib import Path

from maild.domain import stafffiles
from maild.domain.attachments import ALLOWED_TEXT, AttachmentPolicy, decide
from maild.domain.filerules import SAVE_AS
from maild.domain.stafffiles import refusal
from tests.unit.test_attachments import bmp_bytes, png_bytes

# a staff answer's files: any type goes (decide.py), the sizes and checks still hold
RULES = AttachmentPolicy(max_attachment_bytes=1000, max_message_bytes=1500, zip_max_members=2)
STAFF = AttachmentPolicy(**{**RULES.__dict__, "accept_other_types": True})
NAMED = "Файл\u00a0«{}» не отправлен"


def told(name: str, data: bytes, already: int = 0) -> str:
    d = decide(name, None, data, STAFF, already)
    assert not d.accepted
    text = refusal(d, STAFF)
    assert text.startswith(NAMED.format(d.filename)), text
    for customers in ("пришлите", ALLOWED_TEXT, "Принимаются"):
        assert customers not in text, text
    return text


def test_a_bare_bmp_is_named_with_how_to_send_it() -> None:
    text = told("снимок.bmp", bmp_bytes())
    assert "файлы BMP клиентам отправляются только в архиве ZIP или RAR" in text
    # «Упакуйте его в архив или сохраните как JPG или PNG ...»: filerules' words
    assert f"Упакуйте его в архив или сохраните как {SAVE_AS} и приложите снова." in text


def _edited(module: types.ModuleType, old: str, new: str) -> dict:
    """``module``'s source with one edit, run as a module of its own."""
    source = Path(module.__file__ or "").read_text(encoding="utf-8")
    assert old in source, old
    edited: dict = {"__name__": f"{module.__name__}_edited"}
    exec(compile(source.replace(old, new), f"{module.__name__}_edited", "exec"), edited)  # noqa: S102
    return edited


def test_a_bare_bmp_is_to_be_saved_as_the_rule_advises(monkeypatch) -> None:
    """With the rule's IMAGES (filerules.py, the one place it is held) cut to JPG and
    GIF, staff are told to save a bare BMP as JPG alone, as a customer is (SAVE_AS)."""
    from maild.domain import filerules

    source = Path(filerules.__file__ or "").read_text(encoding="utf-8")
    [images] = re.findall(r"^IMAGES = \([^)]*\)", source, re.MULTILINE)  # whatever it holds
    rule = _edited(filerules, images, "IMAGES = (JPEG, GIF)")
    assert rule["SAVE_AS"] == "JPG"
    monkeypatch.setitem(sys.modules, "maild.domain.filerules", types.SimpleNamespace(**rule))
    edited = _edited(stafffiles, "", "")
    d = decide("снимок.bmp", None, bmp_bytes(), STAFF)
    text = edited["refusal"](d, STAFF)
    assert "сохраните как JPG и приложите снова." in text and "PNG" not in text, text


def test_each_refusal_says_why_and_what_to_do() -> None:
    assert "пуст (0\u00a0байт)" in told("пустой.pdf", b"")
    cut = png_bytes()[:-20]  # an image that stops short of its end
    assert "повреждён" in told("экран.png", cut) and "Приложите его снова." in told("e.png", cut)
    mislabelled = told("отчёт.jpg", b"%PDF-1.4\n%%EOF\n")
    assert "не отправлен: назван как JPG, но по содержимому им не является" in mislabelled
    assert mislabelled.count("отчёт.jpg") == 1  # named once: the customer's words cut
    assert "назовите его по содержимому" in mislabelled
    big = told("лог.txt", b"x" * 1001)
    assert "слишком велик (1001\u00a0байт)" in big and "не более 1000\u00a0байт" in big, big
    at_limit = told("лог.txt", b"x" * 1000, already=1000)  # as large as one may be
    assert "отдельным ответом" in at_limit and "слишком велик" not in at_limit, at_limit
    over = told("лог.txt", b"x" * 600, already=1000)
    assert "не более 1,5\u00a0КБ вместе" in over and "отдельным ответом" in over, over


def test_an_archive_refused_says_its_own_fault() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(3):
            z.writestr(f"{i}.txt", b"1")
    text = told("логи.zip", buf.getvalue())
    why = "в архиве слишком много файлов (3), допустимо не более 2."
    assert text == NAMED.format("логи.zip") + ": " + why
