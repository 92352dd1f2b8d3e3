"""The numbers maild.toml may hold: maild.configschema's validators of them.

TOML takes inf, nan and integers of any length: each number is bounded where the code
that uses it stops working, with room no admin needs (a value past a bound passed
check-config, then failed at every send, poll or daily job).
"""

from __future__ import annotations

from typing import Any

DAY = 86400
# A wait of up to a day: socket.settimeout and threading's waits raise past about
# 9.2e9 s (outbound.timeout = inf failed every send, imap.poll_interval = inf
# reconnected every second), and 0.001 s timed out every send even on 127.0.0.1.
SECONDS = "a number of seconds from 0.1 to 86400"
MIN_SECONDS = 0.1
# A hundred years: a date a million days back is before year 1 (the purges and the
# quarantine's expiry raised every day), and a link's expiry day of 65 digits made
# every link "bad".
DAYS = "a number of days, at most 36500"
MAX_DAYS = 36500
# About four years: they are counted day by day, for each waiting ticket at each run
# of the jobs (a billion took 12 s, then raised past year 9999).
BUSINESS_DAYS = "a number of business days, at most 1000"
MAX_BUSINESS_DAYS = 1000
# A gigabyte: a mail at the limit is held whole by the listener and by `maild ingest`
# (64 GiB, read at once, raised MemoryError, 10**30 "cannot fit 'int'": exit 75 for
# every mail), and 0 refused every mail.
MESSAGE_BYTES = "a number of bytes from 1024 to 1073741824 (1 GiB)"
MIN_MESSAGE_BYTES, MAX_MESSAGE_BYTES = 1024, 1 << 30


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
    """From MIN_SECONDS to a day (why: above SECONDS). Not 0: smtplib takes a timeout
    of 0 for a non-blocking socket and raises, and a poll interval of 0 would ask the
    server without a pause."""
    return posnum(value) and MIN_SECONDS <= value <= DAY


def days(value: Any) -> bool:
    return posint(value) and value <= MAX_DAYS


def business_days(value: Any) -> bool:
    return posint(value) and value <= MAX_BUSINESS_DAYS


def message_bytes(value: Any) -> bool:
    return posint(value) and MIN_MESSAGE_BYTES <= value <= MAX_MESSAGE_BYTES
