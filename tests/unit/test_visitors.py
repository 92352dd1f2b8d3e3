"""The site's per-visitor limits (maild/web/visitors.py): counted per key in a window,
idle keys forgotten, and a flood of keys kept to a bound."""

from __future__ import annotations

import time
from collections import deque

from aiohttp.test_utils import make_mocked_request

from maild.web.visitors import AtOnce, RateLimit, client_ip, limit_key


def test_a_key_is_refused_at_the_limit_and_given_back_an_event() -> None:
    limit = RateLimit(3)
    assert [limit.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limit.allow("b")
    limit.give_back("a")
    assert limit.allow("a") and not limit.allow("a")


def test_a_key_given_back_its_only_event_is_no_key() -> None:
    """The ask form gives back both keys of a request the site's own cap refused: a
    flood of new networks and addresses then holds no memory (the keys stayed, each
    with an empty queue, until every key counted before them was idle)."""
    limit = RateLimit(3)
    assert limit.allow("ip:a", "addr:a") and limit.allow("ip:b", "addr:a")
    for n in range(1000):
        assert limit.allow(f"ip:n{n}", f"addr:n{n}")
        limit.give_back(f"ip:n{n}", f"addr:n{n}")
    assert set(limit.events) == {"ip:a", "addr:a", "ip:b"}
    limit.give_back("ip:b", "addr:a")
    assert set(limit.events) == {"ip:a", "addr:a"} and len(limit.events["addr:a"]) == 1


def test_idle_keys_are_forgotten_and_a_flood_of_keys_stays_bounded() -> None:
    limit = RateLimit(5, window=0.05, max_keys=1000)
    for n in range(5000):
        limit.allow(f"k{n}")
    assert len(limit.events) <= 1000
    time.sleep(0.06)  # the window has passed: every key is idle
    limit.allow("fresh")
    assert list(limit.events) == ["fresh"]


def test_without_max_keys_a_key_still_counting_is_never_forgotten() -> None:
    """A limit that guards a mailbox («Задать вопрос»): a flood of refused calls, each
    naming a new key, makes no key, and a flood of allowed ones forgets none counting."""
    limit = RateLimit(2)
    assert limit.allow("ip:a", "addr:victim") and limit.allow("ip:a", "addr:other")
    assert limit.allow("ip:b", "addr:victim")  # ip:a and addr:victim spent
    for n in range(3000):
        assert not limit.allow("ip:a", f"addr:x{n}")  # ip:a is spent
        limit.allow(f"ip:c{n}", f"addr:y{n}")
    assert "addr:x5" not in limit.events
    assert not limit.allow("ip:d", "addr:victim")


def test_a_proxy_on_the_host_is_loopback_in_either_family_and_no_other_is() -> None:
    def seen(remote: str) -> str:
        request = make_mocked_request("GET", "/", headers={"X-Forwarded-For": "203.0.113.5"})
        return client_ip(request.clone(remote=remote))

    for own in ("127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"):
        assert seen(own) == "203.0.113.5", own
    for other in ("198.51.100.1", "::ffff:198.51.100.1", "2001:db8::1", "unix"):
        assert seen(other) == other, other


def test_an_event_past_the_window_stops_counting_and_one_within_it_still_counts() -> None:
    """The limit is per hour: of a key's events an hour and a second ago and a minute
    ago, only the latter counts, so a limit of 2 lets one more in, then none. (Placed
    on the clock, not waited for: no sleep to race.)"""
    limit = RateLimit(2)
    now = time.monotonic()
    limit.events["a"] = deque([now - 3601.0, now - 60.0])
    assert limit.allow("a") and not limit.allow("a")


def test_the_address_the_proxy_saw_is_counted_not_one_the_visitor_wrote() -> None:
    """A visitor behind the proxy on the host who sends X-Forwarded-For himself gets
    the proxy's line "his, real": the last address is the one the proxy saw. The first
    would let each post name a fresh per-IP allowance."""
    request = make_mocked_request(
        "GET", "/", headers={"X-Forwarded-For": "192.0.2.77, 203.0.113.5"}
    )
    assert client_ip(request.clone(remote="127.0.0.1")) == "203.0.113.5"


def test_ipv4_visitors_on_an_ipv6_socket_are_counted_each_by_its_own_address() -> None:
    """A site listening on [::] sees IPv4 visitors as ::ffff:a.b.c.d: each is counted
    as its IPv4 address, as on an IPv4 socket, not all in one IPv6 /64 ("::/64"), where
    one visitor's posts would use up every IPv4 visitor's allowance."""
    assert limit_key("::ffff:198.51.100.1") == limit_key("198.51.100.1") == "198.51.100.1"
    assert limit_key("::ffff:203.0.113.9") == "203.0.113.9"
    assert limit_key("2001:db8:77:1::5") == limit_key("2001:db8:77:1::6") == "2001:db8:77:1::/64"


def test_an_ipv6_address_written_in_brackets_is_counted_by_its_64() -> None:
    """A proxy may write the address it saw as [2001:db8::5]: that visitor is counted
    with the rest of their /64, not as a fresh allowance of its own."""
    assert limit_key("[2001:db8:77:1::5]") == limit_key("2001:db8:77:1::6") == "2001:db8:77:1::/64"


def test_at_once_lets_in_up_to_its_limit_per_key_and_frees_on_leaving() -> None:
    inside = AtOnce(2)
    with inside.held("a") as first, inside.held("a") as second:
        with inside.held("a") as third, inside.held("b") as other:
            assert (first, second, third, other) == (True, True, False, True)
        assert inside.inside == {"a": 2}
    try:
        with inside.held("a"):
            raise ValueError
    except ValueError:
        pass
    assert inside.inside == {}


def _aged(limit: RateLimit, seconds: float) -> None:
    """Every event counted `seconds` earlier: the clock placed, not waited for."""
    for key, q in limit.events.items():
        limit.events[key] = deque(t - seconds for t in q)


def test_the_event_given_back_is_the_one_just_counted() -> None:
    """A post that failed for the disk gives back its own event: the visitor's earlier
    post ages out of the hour when it would have, not an hour after the failed one."""
    limit = RateLimit(2)
    assert limit.allow("a")
    _aged(limit, 3000.0)
    assert limit.allow("a")
    limit.give_back("a")
    _aged(limit, 700.0)  # the first post is an hour and 100 s old: it no longer counts
    assert limit.allow("a") and limit.allow("a") and not limit.allow("a")


def test_a_flood_forgets_the_least_recently_counted_key_not_the_first_made() -> None:
    """Keys go in the order of their last counted event: at max_keys, a key still
    counting (a visitor who has spent the limit and keeps trying) is kept, and one that
    has not counted since is forgotten first; forgetting the spent one would give it a
    fresh allowance."""
    limit = RateLimit(2, max_keys=3)
    assert limit.allow("a") and limit.allow("b") and limit.allow("a")
    assert limit.allow("c") and limit.allow("d")
    assert list(limit.events) == ["a", "c", "d"]
