"""What `license add` and `group add` take: entries that some mail can match. A value
no mail can match was stored and listed as if right, and its customers got free
support without a word (exit 64, one line naming the value)."""

from __future__ import annotations

import argparse
from urllib.parse import urlsplit

from maild.domain.addresses import address_of


def license_refusal(args: argparse.Namespace, support_address: str) -> str | None:
    """Why `license add` refuses its arguments, or None: an empty key (no mail can
    name it: `#license` and `license remove` need one), an --email that is no address,
    or the support address (its mail is maild's own: no customer ever writes from it,
    as the config refuses it for staff and head)."""
    from maild.domain.replyaddr import is_support_address

    if not args.key.strip():
        return "license add: --key is empty: give the license's key, as its owner names it"
    for given in args.email:
        address = address_of(given)
        if not address:
            return f"license add: not an email address: {given!r}"
        if is_support_address(address, support_address):
            return (
                f"license add: {address} is the support address: its mail is maild's own, "
                "never a customer's: give the customer's address"
            )
    return None


def group_refusal(args: argparse.Namespace) -> str | None:
    """Why `group add` refuses its arguments, or None: an empty name, or a --domain
    that no address ends in (a URL's host is named: the admin gives it)."""
    if not args.name.strip():
        return "group add: --name is empty: give the group a name, e.g. --name 'ООО Ромашка'"
    for given in args.domain:
        if not is_domain(given.strip().lower().lstrip("@")):
            return f"group add: not a domain: {given!r}{_url_hint(given)}"
    return None


def _url_hint(given: str) -> str:
    """A URL copied from a browser: the host is the domain its addresses end in."""
    if "://" not in given:
        return ""
    host = (urlsplit(given.strip()).hostname or "").removeprefix("www.")
    return f" (a web address: give its mail domain, e.g. --domain {host})" if host else ""


def is_domain(name: str) -> bool:
    """A domain as addresses end in it: "x.ru, y.ru" (two in one argument), an address
    or a URL would be a domain no mail ever comes from, listed as if it were right."""
    labels = name.split(".")
    return len(labels) > 1 and all(labels) and not any(c in name for c in "@, \t/:")
