"""Text typed with the Russian keyboard layout left on, read as the Latin it was meant to be.

The map is the physical keyboard (ЙЦУКЕН over QWERTY, key by key), so every command
name, present or future, is recognised without listing its Russian spelling by hand.
"""

from __future__ import annotations

__all__ = ["from_russian_layout"]

# The same keys, row by row, unshifted then shifted: Latin on a US layout, and what
# the Russian layout gives on each key.
_LATIN = "`qwertyuiop[]asdfghjkl;'zxcvbnm,./" + '~QWERTYUIOP{}ASDFGHJKL:"ZXCVBNM<>?'
_RUSSIAN = "ёйцукенгшщзхъфывапролджэячсмитьбю." + "ЁЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮ,"

# Only Cyrillic letters are mapped back: "." and "," stand on other keys in each
# layout, and a Latin "." typed on purpose (a host name) must stay as it is.
_TABLE = str.maketrans(
    {
        r: lat
        for r, lat in zip(_RUSSIAN, _LATIN, strict=True)
        if "а" <= r.lower() <= "я" or r in "ёЁ"
    }
)


def from_russian_layout(text: str) -> str:
    """``text`` with each Cyrillic letter replaced by the Latin key it sits on."""
    return text.translate(_TABLE)
