"""The regulation's rule for files, the one place it is held: screenshots as JPG, GIF,
PNG; BMP only inside an archive (ZIP, RAR).

attachments.py judges files by these tables, and every text that states the rule (a
refusal's reason, the confirmation and acknowledgement, the site's file field, a saved
answer's `file_rules`) is made from them here: a type moved from ZIPPED_ONLY to IMAGES
changes each of them. What each type is called (TYPES: its word, its files' extensions,
the MIME types mail programs declare it as) is held here once too: the extensions a
kept file may keep, those a disguise is caught by (unproven._claim), and those
extensions.py knows as extensions are made from it.

What a file is is told by its bytes, not here: domain/filetypes.sniff_type (the
magic bytes of each type). A type added to these tables needs its bytes taught there
too; tests/unit/test_filerules.py fails until it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

__all__ = [
    "ALLOWED_TEXT",
    "ARCHIVES",
    "BMP",
    "BMP_TEXT",
    "CONVERT_FILES_TEXT",
    "CONVERT_TEXT",
    "GIF",
    "IMAGES",
    "JPEG",
    "PNG",
    "RAR",
    "SAVE_AS",
    "TYPES",
    "ZIP",
    "PACK_FILES_TEXT",
    "PACK_TEXT",
    "NAMES",
    "UPLOAD_TEXT",
    "ZIPPED_ONLY",
    "FileType",
    "mail_words",
    "names",
]

# The types the rule names, by the MIME type their bytes prove (filetypes.sniff_type).
JPEG, PNG, GIF, BMP = "image/jpeg", "image/png", "image/gif", "image/bmp"
ZIP, RAR = "application/zip", "application/vnd.rar"

IMAGES = (JPEG, GIF, PNG)  # screenshots taken as they come, in the regulation's order
ARCHIVES = (ZIP, RAR)  # taken, a ZIP's contents screened (domain/ziparchive.py)
# pictures taken only inside an archive: bare, they are refused (kind "bmp") and the
# customer is asked to pack them (attachments.bmp_refused)
ZIPPED_ONLY = (BMP,)


class FileType(NamedTuple):
    name: str  # how texts name the type: the regulation's word
    # the endings its files go by, lower case with the dot: a kept file of the type
    # keeps one of them (else it is given the first), and a file named with one that
    # is not of the type is a disguise (unproven: «назван как JPG, но ...»)
    extensions: tuple[str, ...]
    # MIME types mail programs declare it as besides its own: a declared one claims it
    aliases: tuple[str, ...] = ()


TYPES = {
    JPEG: FileType("JPG", (".jpg", ".jpeg", ".jpe", ".jfif"), ("image/pjpeg",)),
    GIF: FileType("GIF", (".gif",)),
    PNG: FileType("PNG", (".png",)),
    BMP: FileType("BMP", (".bmp",), ("image/x-ms-bmp",)),
    ZIP: FileType("ZIP", (".zip",), ("application/x-zip-compressed",)),
    RAR: FileType("RAR", (".rar",), ("application/x-rar-compressed",)),
}
# how texts name each type: the regulation's words
NAMES = {kind: spec.name for kind, spec in TYPES.items()}


def names(types: Iterable[str], last: str = ", ") -> str:
    """The types' names as a list in a sentence: «JPG, GIF, PNG», with `last` before
    the last one («JPG, GIF или PNG»); "" for none."""
    words = [NAMES[t] for t in types]
    return last.join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else "".join(words)


_ARCHIVES_OR = names(ARCHIVES, " или ")  # «ZIP или RAR»
_ZIPPED = names(ZIPPED_ONLY, " и ")  # «BMP»

# After a refused file's reason: what is taken.
ALLOWED_TEXT = f"Принимаются скриншоты {names(IMAGES)} и архивы {names(ARCHIVES)}" + (
    f" ({_ZIPPED} — только в архиве)." if ZIPPED_ONLY else "."
)
# The site's file field, after its size limit (web/pages.files_field).
UPLOAD_TEXT = f"скриншоты {names(IMAGES)}; " + (
    f"{_ZIPPED} только в архиве {_ARCHIVES_OR}" if ZIPPED_ONLY else f"архивы {_ARCHIVES_OR}"
)
# After a refused file of a type no table here holds (a PDF, a log, Outlook's .msg): an
# archive carries any file, and a ZIP's contents are judged by its listing alone.
PACK_TEXT = f"Упакуйте, пожалуйста, файл в архив {_ARCHIVES_OR} и пришлите снова."
PACK_FILES_TEXT = f"Упакуйте, пожалуйста, файлы в архив {_ARCHIVES_OR} и пришлите снова."
# A bare picture of ZIPPED_ONLY refused (attachments: its reason starts so).
BMP_TEXT = f"Файлы {_ZIPPED} принимаются только в архиве {_ARCHIVES_OR}"
# A picture of a format no table here holds (filetypes.picture_format: unproven.py)
# is asked for again in one of IMAGES every editor saves a photo or a screenshot in
# (GIF's 256 colours spoil a photo), one or several alike; a staff member's bare BMP
# is to be saved in them too (stafffiles.refusal).
SAVE_AS = names([t for t in IMAGES if t != GIF], " или ")  # «JPG или PNG»
CONVERT_TEXT = f"Сохраните изображение в формате {SAVE_AS} и пришлите, пожалуйста, снова."
CONVERT_FILES_TEXT = f"Сохраните изображения в формате {SAVE_AS} и пришлите, пожалуйста, снова."
# A bare picture of ZIPPED_ONLY pasted into a mail's text (an HTML body's picture:
# Outlook names it image001.bmp) or sent with no name: the customer attached no file
# so named. Its line names it so (refusedlines), and asks for it again, one or several.
PASTED_TEXT = (
    f"Изображения {_ZIPPED} принимаются только в архиве {_ARCHIVES_OR}. Пожалуйста, "
    f"вставьте снимок в формате {SAVE_AS} либо пришлите его файлом в архиве."
)
PASTED_ALIKE_TEXT = (
    f"Изображения {_ZIPPED} принимаются только в архиве {_ARCHIVES_OR}. Пожалуйста, "
    f"вставьте снимки в формате {SAVE_AS} либо пришлите их файлами в архиве."
)


def mail_words() -> dict[str, str]:
    """What mail templates and saved answers say of the rule (the desk context's
    `file_rules`): `usual`, how to attach files («скриншоты в форматах JPG, GIF или
    PNG, скриншоты BMP — в архиве ZIP или RAR»); `zipped`, `archives`, `images` for
    the request to pack a refused BMP («BMP», «ZIP или RAR», «JPG, GIF и PNG»);
    `images_or`, the screenshots to send («JPG, GIF или PNG»)."""
    usual = f"скриншоты в форматах {names(IMAGES, ' или ')}"
    if ZIPPED_ONLY:
        usual += f", скриншоты {_ZIPPED} — в архиве {_ARCHIVES_OR}"
    return {
        "usual": usual,
        "zipped": _ZIPPED,
        "archives": _ARCHIVES_OR,
        "images": names(IMAGES, " и "),
        "images_or": names(IMAGES, " или "),
    }
