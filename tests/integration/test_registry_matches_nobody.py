"""`license add` and `group add` of an entry that no mail can match (an empty key or
name, a URL for a domain, the support address as a customer's) were stored and listed
as if right; `block add` of no address exited 1 where they exit 64 (usage)."""

from __future__ import annotations

LIC = ("license", "add", "--level", "vip")
GRP = ("group", "add", "--level", "partner")


def _refused(r, line: str) -> None:
    assert r.code == 64 and r.err.splitlines() == [f"maild: {line}"], r


def test_license_add_refuses_an_empty_key_and_the_support_address(desk):
    for key in ("", "  "):
        r = desk.run(*LIC, "--key", key, "--email", "ivan@shop-example.ru")
        _refused(r, "license add: --key is empty: give the license's key, as its owner names it")
    for own in ("support@example.com", "Desk <Support+x@EXAMPLE.com>"):
        r = desk.run(*LIC, "--key", "K-1", "--email", "ivan@shop-example.ru", "--email", own)
        assert r.code == 64 and r.err.count("\n") == 1, r
        assert "is the support address: its mail is maild's own" in r.err
    assert desk.run("license", "list", "--json").json() == []  # nothing half-added
    assert desk.run(*LIC, "--key", "K-1", "--email", "support@shop-example.ru").code == 0


def test_group_add_refuses_an_empty_name_and_a_web_address(desk):
    r = desk.run(*GRP, "--name", "", "--domain", "partner.example")
    _refused(r, "group add: --name is empty: give the group a name, e.g. --name 'ООО Ромашка'")
    for url, host in (("http://shop.ru", "shop.ru"), ("https://www.Shop.ru/about", "shop.ru")):
        r = desk.run(*GRP, "--name", "Партнёры", "--domain", url)
        _refused(
            r,
            f"group add: not a domain: {url!r} (a web address: give its mail domain,"
            f" e.g. --domain {host})",
        )
    r = desk.run(*GRP, "--name", "Партнёры", "--domain", "shop.ru:25")
    _refused(r, "group add: not a domain: 'shop.ru:25'")
    assert desk.run("group", "list", "--json").json() == []
    assert desk.run(*GRP, "--name", "Партнёры", "--domain", "shop.ru").code == 0


def test_block_add_of_no_address_or_domain_is_a_usage_error(desk):
    for bad in ("a@b@c", "nodot", "x y.example"):
        r = desk.run("block", "add", bad)
        _refused(r, f"not an address or a domain: {bad!r}")
    assert desk.run("block", "list", "--json").json() == []
