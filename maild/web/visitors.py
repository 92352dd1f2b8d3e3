"""Who a visitor of the site is, for its limits, and the limits themselves: the
browser's address (behind a proxy on the same host, the one the proxy saw), counted
by subscriber (limit_key), and RateLimit, which counts events per key in memory.
"""

from __future__ import annotations

import contextlib
import ipaddress
import time
from collections import OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from aiohttp import web

from maild.adapters.store.files import StoreUnavailable


@dataclass
class RateLimit:
    """At most `limit` events per key in the last hour (in memory: the daemon is
    one process; a restart forgives). Keys are kept in the order of their last counted
    event, and those idle for the window are forgotten as events come, a few at a
    time; a call refused makes no key. With `max_keys`, the least recently counted keys
    beyond it are forgotten too, though still counting: only for a limit whose
    forgetting lets nobody do more than a flood of that many addresses could anyway
    (wrong links); a limit that guards someone else's mailbox keeps its keys."""

    limit: int
    window: float = 3600.0
    max_keys: int | None = None
    events: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)

    def allow(self, *keys: str) -> bool:
        """True and counted for every key when all keys are under the limit."""
        now = time.monotonic()
        self._forget(now)  # (before this call's keys: a new one's queue is empty yet)
        held = [self.events.get(k) for k in keys]
        if any(q is not None and len(self._trimmed(q, now)) >= self.limit for q in held):
            return False
        for k, q in zip(keys, held, strict=True):
            self.events.setdefault(k, q if q is not None else deque()).append(now)
            self.events.move_to_end(k)
        return True

    def give_back(self, *keys: str) -> None:
        """Uncount one event of each key (counted before its outcome was known): a key
        left with none is no key, as if the call that made it had been refused."""
        for key in keys:
            q = self.events.get(key)
            if q:
                q.pop()
            if q is not None and not q:
                del self.events[key]

    @contextlib.contextmanager
    def given_back_if_unavailable(self, *keys: str) -> Iterator[None]:
        """The block that does what `keys` were counted for: when it fails for the
        environment (a disk full or read-only: a 503, server.unavailable_page), the
        event is given back. Five such 503s used up an hour's allowance, and the visitor
        was refused for the rest of it, nothing done. Counted before, not after: posts
        at once each meet the count of the others."""
        try:
            yield
        except (OSError, StoreUnavailable):
            self.give_back(*keys)
            raise

    def _trimmed(self, q: deque[float], now: float) -> deque[float]:
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def _forget(self, now: float) -> None:
        while self.events:
            key, q = next(iter(self.events.items()))
            crowded = self.max_keys is not None and len(self.events) >= self.max_keys
            if not crowded and q and q[-1] > now - self.window:
                return  # the least recently counted key is in use: so are the rest
            del self.events[key]


def client_ip(request: web.BaseRequest) -> str:
    """The browser's address; behind a proxy on the same host, the last address
    the proxy added to X-Forwarded-For (the one it saw). The host's own address is
    loopback in either family: a site listening on `[::]` sees 127.0.0.1 as
    ::ffff:127.0.0.1."""
    remote = request.remote or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded and _loopback(remote):
        return forwarded.split(",")[-1].strip()
    return remote


def _loopback(remote: str) -> bool:
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def limit_key(ip: str) -> str:
    """What the per-IP limit counts: an IPv4 address, or an IPv6 address's /64 (one
    subscriber's network: a home or a VPS gets a whole /64 and can post from any of
    its 2^64 addresses, each a fresh allowance if counted alone)."""
    try:
        address = ipaddress.ip_address(ip.strip("[]"))
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv4Address):
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network(f"{address}/64", strict=False))


@dataclass
class AtOnce:
    """At most `limit` requests per key inside a handler at once (in memory): a key
    with none is no key."""

    limit: int
    inside: dict[str, int] = field(default_factory=dict)

    @contextlib.contextmanager
    def held(self, key: str) -> Iterator[bool]:
        """True, and counted for the block, when the key is under the limit."""
        count = self.inside.get(key, 0)
        if count >= self.limit:
            yield False
            return
        self.inside[key] = count + 1
        try:
            yield True
        finally:
            if self.inside[key] > 1:
                self.inside[key] -= 1
            else:
                del self.inside[key]
