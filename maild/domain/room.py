"""What one message may still take out of its parts (hostile sizes): the files carried
inside a part (data: pictures, a winmail.dat's files, files uuencoded in a text),
limits.MAX_CARRIED_FILES in all, and the RTF it unpacks (rtf.RtfRoom). Caps per part
alone let 5,000 HTML parts of 100 tiny data: pictures each make one 20 MB mail 500,000
file records. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from maild.domain import limits
from maild.domain.rtf import RtfRoom

__all__ = ["Room"]

T = TypeVar("T")


@dataclass
class Room:
    """The room one message has left, taken as its parts are read (mimeparts.read_body)."""

    files: int = limits.MAX_CARRIED_FILES
    rtf: RtfRoom = field(default_factory=RtfRoom)
    cut: bool = False  # a cap left files inside: staff are told (problem)

    def take(self, found: list[T], more: bool = False) -> list[T]:
        """What may still be taken of ``found`` (``more``: a cap of its own left some)."""
        kept = found[: max(0, self.files)]
        self.files -= len(kept)
        self.cut = self.cut or more or len(kept) < len(found)
        return kept

    def problem(self) -> str | None:
        """For staff (the notice's «не удалось разобрать полностью»): a cap left files
        inside the mail, which stays whole in the spool; None when none did."""
        if not self.cut:
            return None
        return (
            "в письме больше вложенных файлов, чем берётся из одной его части "
            f"({limits.MAX_DATA_IMAGES} картинок, {limits.MAX_TNEF_FILES} файлов winmail.dat, "
            f"{limits.MAX_UU_FILES} файлов uuencode) "
            f"или из всего письма ({limits.MAX_CARRIED_FILES}); взяты первые"
        )
