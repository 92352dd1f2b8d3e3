"""Which form posts are another site's (web/origin.py): the browser's Sec-Fetch-Site
and Origin against the site's public origin, web.base_url."""

from __future__ import annotations

import pytest

from maild.web.origin import foreign_post, origin_of

OWN = "https://support.example.com"


@pytest.mark.parametrize(
    ("base_url", "origin"),
    [
        ("https://Support.Example.com", OWN),
        ("https://support.example.com/help/", OWN),  # a path prefix is no part of it
        ("https://support.example.com:443", OWN),  # the default port is left out
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
        ("https://поддержка.рф", "https://xn--80ahaefyxhn.xn--p1ai"),
    ],
)
def test_the_sites_origin_is_named_as_browsers_name_it(base_url, origin):
    assert origin_of(base_url) == origin


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "null"},
        {"Sec-Fetch-Site": "Cross-Site", "Origin": OWN},  # the browser's word decides
        {"Origin": "https://evil.example"},
        {"Origin": "http://support.example.com"},  # not the site's scheme
        {"Origin": "http://127.0.0.1:8080"},  # the Host behind the proxy, not the site
        # only beginning as the site's own: a look-alike host, another port, another name
        {"Origin": "https://support.example.com.evil.example"},
        {"Origin": "https://support.example.com:8443"},
        {"Origin": "https://support.example.community"},
    ],
)
def test_a_post_from_another_site_is_named_so(headers):
    """An Origin is compared whole, as browsers name it: one that only begins as the
    site's (a look-alike host it does not own, another port) is another site's."""
    assert foreign_post(headers, OWN)


@pytest.mark.parametrize(
    "headers",
    [
        {},  # curl, an old browser
        {"Origin": OWN, "Sec-Fetch-Site": "same-origin"},
        {"Origin": "HTTPS://SUPPORT.EXAMPLE.COM"},
        {"Origin": "null", "Sec-Fetch-Site": "same-origin"},  # the site's no-referrer pages
        {"Origin": "null"},
        {"Sec-Fetch-Site": "none"},  # typed or bookmarked by the user
    ],
)
def test_the_sites_own_posts_and_silent_clients_pass(headers):
    assert foreign_post(headers, OWN) is None
