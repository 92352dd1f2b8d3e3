"""The sender's own OpenPGP public key, as their mail client attaches it by itself:
Thunderbird's «Attach my public key» (OpenPGP_0x….asc beside every mail it sends),
Enigmail's (0x….asc). Pure.

It is no file of the letter, as the signature beside it is none (mimeleaves._BESIDE):
the customer never chose to send it, and listed under «Некоторые вложения не приняты»
it told them a file of theirs was refused. Nor is it kept for staff: the desk sends no
encrypted mail, so a key is of no use to it (one more file in each mail's notice and
ticket). The spool keeps the mail whole.
"""

from __future__ import annotations

__all__ = ["KEY_TYPE", "sent_key"]

KEY_TYPE = "application/pgp-keys"  # RFC 3156 §7
_ARMOUR = b"-----BEGIN PGP PUBLIC KEY BLOCK-----"  # RFC 4880 §6.2


def sent_key(filename: str | None, content_type: str, data: bytes) -> bool:
    """Whether a file is a public key its sender's mail client attached: typed
    application/pgp-keys or named .asc, and its bytes an armoured public key."""
    named = (filename or "").strip().lower().endswith(".asc")
    if content_type != KEY_TYPE and not named:
        return False
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(_ARMOUR)
