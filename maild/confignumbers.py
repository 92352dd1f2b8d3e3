"""The numbers maild.toml may hold: maild.configschema's validators of them."""

from __future__ import annotations

from typing import Any


def posint(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def posnum(value: Any) -> bool:  # (nan is not >= 0)
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def count(value: Any) -> bool:
    """At least one: 0 connections answers every client 421, 0 transfers makes every
    DATA wait for a slot that never comes, and "shunted after 0 crashes" or "given up
    after 0 tries" means nothing."""
    return posint(value) and value > 0


def fraction(value: Any) -> bool:
    return posnum(value) and 0 < value < 1


def seconds(value: Any) -> bool:
    """A wait of more than 0 s: smtplib takes a timeout of 0 for a non-blocking socket
    and raises, and a poll interval of 0 would ask the server without a pause."""
    return posnum(value) and value > 0
