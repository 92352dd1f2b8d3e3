"""What `license add`, `group add` and `block add` take: entries that some mail can
match. A value no mail can match (`*.ru`, `a.ru;b.ru`, a URL) was stored and listed as
if right, and its customers got free support (its spammers went on writing) without a
word: exit 64, one line naming the value and how to write it. One rule for the three:
is_domain, is_address."""

from __future__ import annotations

import argparse
import unicodedata
from urllib.parse import urlsplit

from maild.domain.addresses import address_of
from maild.domain.spelling import nfkc_dots


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
        if not address or not is_address(address):
            return f"license add: not an email address: {given!r}{hint(given, 'license')}"
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
            return f"group add: not a domain: {given!r}{hint(given, 'group')}"
    return None


# How each command's entry is written, and what it covers (domain/sender.identify:
# a group's domain is compared whole; domain/spam.BlockList: a blocked domain covers
# its subdomains); said after the value refused.
_HOW = {
    "license": "one address per --email, e.g. --email ivan@shop.ru; a whole domain: group add",
    "group": "one domain per --domain, e.g. --domain shop.ru: it covers @shop.ru, not "
    "@mail.shop.ru: give each",
    "block": "one address or domain per command: seo@spam.ru, or spam.ru (its subdomains too)",
}


def hint(given: str, command: str) -> str:
    """How `command` takes what ``given`` meant: a URL copied from a browser is named
    with its host (the domain its addresses end in), a wildcard is said to be none."""
    if "://" in given:
        host = (urlsplit(given.strip()).hostname or "").removeprefix("www.")
        if host:
            option = {"group": "--domain ", "license": "--email someone@"}.get(command, "")
            return f" (a web address: give its mail domain, e.g. {option}{host})"
    wildcard = "no wildcards: " if any(c in given for c in "*?%") else ""
    return f" ({wildcard}{_HOW[command]})"


def is_domain(name: str) -> bool:
    """A domain as addresses end in it: labels of letters (any script), digits, "-" and
    "_" (a fullwidth letter or full stop as IDNA reads it). "x.ru, y.ru" (two in one
    argument), "*.ru", "a.ru;b.ru", "x..ru", an address or a URL would be a domain no
    mail ever comes from, listed as if it were right."""
    labels = nfkc_dots(name).split(".")
    return len(labels) > 1 and all(labels) and all(map(_label_chars, labels))


def _label_chars(label: str) -> bool:
    return all(c.isalnum() or c in "-_" or unicodedata.category(c)[0] == "M" for c in label)


_SPECIALS = frozenset('()<>[]:;\\,"')  # no address's local part holds them unquoted


def is_address(address: str) -> bool:
    """One address some mail can come from: a local part without "@" or blank space,
    and without RFC 5322's specials unless it is quoted whole, and a domain
    (is_domain); "a@b@x.ru", "a@*.ru", "<ivan@x.ru" (a bracket not closed) or
    "a,b@x.ru" is none."""
    local, at, domain = address.strip().rpartition("@")
    quoted = len(local) > 1 and local[0] == local[-1] == '"'
    return (
        bool(local and at)
        and not any(c == "@" or c.isspace() for c in local)
        and (quoted or not any(c in _SPECIALS for c in local))
        and is_domain(domain)
    )
