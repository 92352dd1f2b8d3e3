"""The MTA's spam verdict, and the block list: is this mail for the quarantine, and
which of maild's own mail a blocked address still gets (`withheld`)?

Pure: headers, the trusted verdict names and the block list are passed in. Each
verdict names the header it came from, so staff see why in `maild spam list`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from maild.domain.authres import our_verdict
from maild.domain.spelling import routed_address, routed_domain
from maild.domain.withdrawn import withdrawn_for

__all__ = [
    "FREE_MAIL",
    "WRITTEN_KINDS",
    "BlockList",
    "domain_blockable",
    "entry_key",
    "started_owed",
    "verdict",
    "withheld",
]

# Mail services anyone can sign up to: "#spam domain" on one of them would block every
# customer who writes from it, so there it blocks only the sender's address.
FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "mail.com",
        "zoho.com",
        "mail.ru",
        "inbox.ru",
        "list.ru",
        "bk.ru",
        "internet.ru",
        "yandex.ru",
        "yandex.com",
        "ya.ru",
        "narod.ru",
        "rambler.ru",
        "lenta.ru",
        "autorambler.ru",
        "ro.ru",
        "myrambler.ru",
        "qip.ru",
        "ukr.net",
        "tut.by",
    }
)


def domain_blockable(address: str) -> bool:
    """Whether "#spam domain" may block the whole domain of `address`: not a free-mail
    service (nor a subdomain of one), and there is a domain at all."""
    local, at, domain = address.rpartition("@")
    domain = routed_domain(domain)  # gmail。com is gmail.com: its entry would block that
    if not (local and at and domain):
        return False
    return not any(d in FREE_MAIL for d in with_parents(domain))


def with_parents(domain: str) -> list[str]:
    """The domain and each parent of it: "mx.x.ru" -> ["mx.x.ru", "x.ru", "ru"]."""
    parts = domain.split(".")
    return [".".join(parts[i:]) for i in range(len(parts))]


# rspamd's actions that mean "spam" (greylist and soft reject are delays, not verdicts)
RSPAMD_SPAM_ACTIONS = ("reject", "add header", "rewrite subject")


def _says(value: str) -> str:
    """A verdict header's value as compared: lower case, blank space (a folded line,
    tabs) one space."""
    return " ".join(value.split()).lower()


def _spam_status(value: str) -> bool:
    return value == "yes" or value.startswith(("yes,", "yes "))


# Each verdict header a trusted filter writes: what names it in the reason, and which
# of its values (as _says gives them) mean spam.
_SAYS_SPAM = (
    ("x-spam-flag", "X-Spam-Flag: YES", lambda v: v == "yes"),
    ("x-spam-status", "X-Spam-Status: Yes", _spam_status),
    ("x-spam", "X-Spam: Yes", lambda v: v in ("yes", "true")),
    ("x-rspamd-action", "X-Rspamd-Action: {}", lambda v: v in RSPAMD_SPAM_ACTIONS),
)


def verdict(
    headers: Mapping[str, tuple[str, ...]],
    trusted: Iterable[str],
    authserv_id: str | None,
    authres_received: tuple[int, ...] = (),
) -> str | None:
    """The reason this mail is spam per a trusted verdict, or None.

    A trusted header counts when any of its values says spam, wherever it stands: the
    MTA's filter appends its verdict to the header block (a milter) or puts it on top,
    and a sender can write the same header anywhere above or below it. A sender only
    gains by a "no" (`X-Spam-Flag: NO` on top of the milter's YES), and one that writes
    "yes" of its own mail sends it to the quarantine; so a "no" never outweighs a
    "yes". `trusted` (config `[spam] headers`) says only which headers count: one the
    MTA never writes is no verdict, whatever it says.

    "dmarc" counts only with `authserv_id`, as the topmost Authentication-Results of
    that server's block that states dmarc says it (authres.our_verdict: OpenDKIM's dkim=
    may stand above OpenDMARC's; `authres_received`: ParsedMessage.authres_received)."""
    trusted = set(trusted)
    for name, reason, spam in _SAYS_SPAM:
        if name in trusted:
            for value in map(_says, headers.get(name) or ()):
                if spam(value):
                    return f"spam: {reason.format(value)}"
    if "dmarc" in trusted and authserv_id:
        values = headers.get("authentication-results", ())
        ours = our_verdict(values, authserv_id, authres_received)
        if ("dmarc", "fail") in ours.results:
            return "spam: dmarc=fail"
    return None


def entry_key(entry: str) -> str:
    """A block-list entry as the list compares it with another (case, a leading "@" and
    the spelling of an IDN domain do not matter: `block add xn--80atjc.xn--p1ai` finds
    окна.рф listed already, `block remove` of either takes the other off), nor any
    other spelling the mail system delivers alike (окна。рф, «example.com.»): an
    address as spelling.routed_address gives it, a domain as routed_domain."""
    e = entry.strip().lstrip("@")
    return routed_address(e) if "@" in e else routed_domain(e)


class BlockList:
    """The block list: an address is blocked by an entry that is the address itself,
    its domain or a parent domain (case, a leading "@" and the spelling of an IDN
    domain do not matter: окна.рф and xn--80atjc.xn--p1ai are one domain, and so are
    окна。рф and a trailing dot's «окна.рф.», as spelling.routed_domain gives it, the
    mail system delivering to each alike); the first such entry in the list names the
    block, as the admin typed it. Entries are kept in their comparable form and looked
    up by the address's and each parent of its domain, so a long list costs no more
    per message than a short one."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.addresses: dict[str, tuple[int, str]] = {}  # comparable -> (position, entry)
        self.domains: dict[str, tuple[int, str]] = {}
        for n, entry in enumerate(entries):
            if not isinstance(entry, str):
                continue
            e = entry.strip().lstrip("@")
            if "@" in e:
                self.addresses.setdefault(routed_address(e), (n, entry))
            elif key := routed_domain(e):
                self.domains.setdefault(key, (n, entry))

    def match(self, address: str) -> str | None:
        """The entry that blocks `address`, or None (asked of every recipient of every
        automatic mail: no list is built while nothing blocks)."""
        found = self._hits(address)
        return min(found)[1] if found else None

    def covering(self, address: str) -> list[str]:
        """Every entry that blocks `address`, in the list's order: each must go for
        it to be blocked no more."""
        return [entry for _n, entry in sorted(self._hits(address))]

    def _hits(self, address: str) -> list[tuple[int, str]]:
        address = routed_address(address)
        if not address:
            return []
        parents = with_parents(address.rpartition("@")[2])
        if not parents[0].isascii():
            # a name IDNA cannot spell whole (a label it would fold, ｆoo.окна.рф):
            # each parent that it can spell is looked up in A-labels, as its entry
            parents = [d if d.isascii() else routed_domain(d) for d in parents]
        hits = [self.addresses.get(address)]
        hits += [self.domains.get(d) for d in parents]
        return [h for h in hits if h is not None]


# The mail a blocked address still gets: a staff member's answer (a person decided)
WRITTEN_KINDS: frozenset[str] = frozenset({"staff"})


def withheld(
    blocks: BlockList, to: Iterable[str], kind: str, ours: Iterable[str] = ()
) -> dict[str, str]:
    """Of a mail of `kind` to `to`, the recipients it is not sent to because the block
    list covers them at the moment it is queued, each with the entry that does: every
    mail maild sends by itself (confirmations, the site's links, acknowledgements,
    reminders, status, closing and thank-you mail), so a blocked address can neither
    make maild write to it nor use the desk. A staff member's answer (WRITTEN_KINDS)
    still goes, and so does mail to support's own side, `ours` (staff, the head), whom
    a domain entry may cover too."""
    if kind in WRITTEN_KINDS:
        return {}
    own = {routed_address(a) for a in ours}
    found = {a: blocks.match(a) for a in to if routed_address(a) not in own}
    return {a: entry for a, entry in found.items() if entry is not None}


STARTED_TEMPLATE = "started.txt"  # «Работа по обращению начата» (#take)


def started_owed(
    status: str,
    messages: Sequence[Mapping[str, Any]],
    unblocked: BlockList,
    withdrawn: Collection[str] = (),
) -> list[str]:
    """`maild block remove`: the addresses a ticket in work (status "open") still owes
    its «работа начата» (the regulation: when work starts the customer is told so),
    held back only because an entry now removed (`unblocked`) covered them: a
    `suppressed: blocked` note of started.txt naming them (the block was there at
    #take), or their copy of it withdrawn from the queue as blocked (marked so on its
    record, domain.withdrawn; `withdrawn`: the Message-IDs of copies `block add` or the
    sender withdrew "blocked", for records withdrawn before they were marked; the
    block came after #take), and no mail that went to them since (a staff member's answer says
    work has started; any other mail they got is later news; a copy withdrawn as
    blocked never went). A ticket waiting for the customer, closed or not taken owes
    none: what it is now, its own mail says."""
    if status != "open":
        return []
    owed: dict[str, None] = {}
    for m in messages:
        started = m.get("template") == STARTED_TEMPLATE
        if m.get("suppressed") == "blocked" and started:
            to = [a.lower() for a in m.get("to") or ()]
            owed.update(dict.fromkeys(a for a in to if unblocked.match(a)))
        elif m.get("direction") == "out" and m.get("kind") != "note":
            for a in m.get("to") or ():
                why = withdrawn_for(m, a) or ("blocked" if _copy_id(m, a) in withdrawn else None)
                if why is None:  # it went (or goes)
                    owed.pop(a.lower(), None)
                elif why == "blocked" and started and unblocked.match(a):
                    owed[a.lower()] = None
    return list(owed)


def _copy_id(m: Mapping[str, Any], address: str) -> str | None:
    """The Message-ID of `address`'s copy of a mail maild queued: its own in `copies`
    (a mail to more than one customer, outgoing.copy_ids), else the mail's."""
    copies = m.get("copies")
    return copies.get(address) if isinstance(copies, dict) else m.get("message_id")
