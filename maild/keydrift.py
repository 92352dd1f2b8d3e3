"""A signing key set in the config over another one the store already keeps. The
config's key wins (App.kept_secret) without a word, so whatever the stored key
signed stops verifying the moment it is set: check-config warns, `maild serve`
logs it once at start (README, Trust: changing a key on purpose)."""

from __future__ import annotations

from pathlib import Path

from maild.configtypes import Config

# What the old key signed, and what becomes of it once another key is used.
BROKEN = {
    "support.reply_secret": (
        "its reply addresses and Message-IDs no longer verify (a staff reply to it is kept "
        "as a note, its commands not run; a customer's reply without the TID opens a new "
        "ticket)"
    ),
    "web.secret": "its links to the site no longer open (nor can they ask for a new one)",
}


def replaced_keys(cfg: Config) -> list[str]:
    """One line per key of the config that differs from the key of the same use kept
    in the storage (reply_secret, web_secret), naming key, file and what breaks."""
    web = cfg.web
    pairs = [
        ("support.reply_secret", cfg.support.reply_secret, "reply_secret"),
        ("web.secret", web.secret if web else None, "web_secret"),
    ]
    out = []
    for key, configured, name in pairs:
        path = cfg.storage_path / name
        stored = _stored(path)
        if configured and stored and stored != configured.encode():
            out.append(
                f"{key} is not the key kept in {path}, which signed the mail sent before "
                f"{key} was set: {BROKEN[key]}; remove {key} to go back to that key, or, "
                f"if the change is meant, write the new key into {path} too (README, Trust)"
            )
    return out


def _stored(path: Path) -> bytes:
    """The kept key as the store reads it (layout.reply_secret: bytes as they are);
    empty when there is none or it cannot be read (said elsewhere)."""
    try:
        secret = path.read_bytes()
    except OSError:
        return b""
    return secret if secret.strip() else b""
