"""Form posts from other sites refused: the site's forms post only from its own pages.

A hostile page could make its visitors' browsers post «Задать вопрос» (one form token,
fetched once, serves them all), each visitor a fresh per-IP allowance, and use up the
site-wide cap of confirmation mail so that real customers were turned away. The
browser says where a post comes from: `Sec-Fetch-Site` (set by the browser, never by
a page) and `Origin`. A request with neither (an old browser, curl) is taken: the
form token guards it as before.

`Origin: null` is no sign of another site: the site's pages carry
`Referrer-Policy: no-referrer`, under which browsers send `null` for the site's own
form posts (Fetch, "append a request Origin header"); a hostile page's post from a
browser that says `null` also says `Sec-Fetch-Site: cross-site`.

Pure: the caller passes the request's headers and the site's own origin.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

__all__ = ["foreign_post", "origin_of"]

# what Sec-Fetch-Site says of a post from a page not of the site's own origin
# ("same-site": a sibling host, such as another subdomain of the same domain)
OTHER_SITES = frozenset({"cross-site", "same-site"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(base_url: str) -> str:
    """The origin browsers name the site by in `Origin` (scheme://host[:port], lower
    case, the host's ASCII form, no default port): of web.base_url, the public address
    behind the reverse proxy, not the Host the proxy passes on."""
    parts = urlsplit(base_url.strip())
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    try:
        host = host.encode("idna").decode("ascii")  # поддержка.рф as browsers send it
    except UnicodeError:
        pass
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # not a number: config's _url lets it by; compared as written
        return f"{scheme}://{parts.netloc.lower()}"
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def foreign_post(headers: Mapping[str, str], own: str) -> str | None:
    """Why a form post is another site's (for the log), or None if it may be the
    site's own: `Sec-Fetch-Site` cross-site or same-site, or an `Origin` other than
    `own` (origin_of) and other than "null"."""
    fetch_site = headers.get("Sec-Fetch-Site", "").strip().lower()
    if fetch_site in OTHER_SITES:
        return f"Sec-Fetch-Site {fetch_site}"
    origin = headers.get("Origin")
    if origin is None:
        return None
    origin = origin.strip().lower()
    if origin in (own, "null"):
        return None
    return f"Origin {origin[:100]!r}"
