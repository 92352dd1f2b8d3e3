"""The files a confirmation (or an acknowledgement) lists as not taken: one line per
reason. Fifty bare BMPs of one mail had the same reason written twenty times before «и
ещё файлов …: 30»; now their names share one line, with the reason once. Pure.

Files are alike when attachments.decide gave them the same words for several
(AttachmentDecision.alike: a bare BMP, an empty file, a type not taken, one over the
mail's total); a file refused for a fault of its own (its size, a disguise, a broken
archive) is a line of its own, as is a file refused alone for its reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from maild.domain.attachments import AttachmentDecision
from maild.domain.filetypes import NBSP
from maild.domain.plural import ru_count

__all__ = ["MAX_NAMES", "RefusedLine", "refused_lines"]

MAX_NAMES = 10  # the names one line lists; the rest of its files a count


@dataclass(frozen=True)
class RefusedLine:
    """One line of the list: as a template reads a file's refusal (`filename`, `reason`)."""

    filename: str  # the file's name, or the names of the files refused alike
    reason: str
    files: tuple[AttachmentDecision, ...]

    @property
    def kind(self) -> str:
        """Why its files were refused (AttachmentDecision.kind: alike, they share it)."""
        return self.files[0].kind


def refused_lines(refused: Iterable[AttachmentDecision]) -> list[RefusedLine]:
    """The refused files as lines, in the order each reason first comes."""
    groups: dict[object, list[AttachmentDecision]] = {}
    for n, d in enumerate(refused):
        groups.setdefault(d.alike if d.alike is not None else n, []).append(d)
    return [_line(files) for files in groups.values()]


def _line(files: Sequence[AttachmentDecision]) -> RefusedLine:
    first = files[0]
    if first.pasted:  # named as what the customer did, not by a name they never gave
        return RefusedLine(_pasted(len(files)), _reason(files), tuple(files))
    if len(files) == 1:
        return RefusedLine(first.filename, first.reason or "", (first,))
    names = ", ".join(d.filename for d in files[:MAX_NAMES])
    if len(files) > MAX_NAMES:
        more = ru_count(len(files) - MAX_NAMES, "файл", "файла", "файлов")
        names += f" и ещё{NBSP}{more.replace(' ', NBSP)}"  # never torn apart (filetypes.NBSP)
    return RefusedLine(names, first.alike or "", tuple(files))


def _reason(files: Sequence[AttachmentDecision]) -> str:
    first = files[0]
    return (first.reason if len(files) == 1 else first.alike) or ""


def _pasted(n: int) -> str:
    """How a line names ``n`` BMP pictures pasted into the text (attachments.as_pasted)."""
    if n == 1:
        return "Картинка, вставленная в текст письма"
    return f"{ru_count(n, 'картинка', 'картинки', 'картинок')}, вставленные в текст письма"
