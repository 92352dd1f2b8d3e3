"""`license add` and `group add` of an entry that no mail can match (an empty key or
name, a URL for a domain, the support address as a customer's) were stored and listed
as if right; `block add` of no address exited 1 where they exit 64 (usage). A wildcard
(`*.ru`), two entries in one (`a.ru;b.ru`), `x..ru`, `a@b@x.ru` or a URL passed all
three, "blocked *.ru", and matched no mail: one rule (registryinput) refuses them."""

from __future__ import annotations

LIC = ("license", "add", "--level", "vip")
GRP = ("group", "add", "--level", "partner")
ONE_DOMAIN = (
    "one domain per --domain, e.g. --domain shop.ru: it covers @shop.ru, not @mail.shop.ru: "
    "give each"
)
ONE_ENTRY = "one address or domain per command: seo@spam.ru, or spam.ru (its subdomains too)"
ONE_ADDRESS = "one address per --email, e.g. --email ivan@shop.ru; a whole domain: group add"


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
    _refused(r, f"group add: not a domain: 'shop.ru:25' ({ONE_DOMAIN})")
    assert desk.run("group", "list", "--json").json() == []
    assert desk.run(*GRP, "--name", "Партнёры", "--domain", "shop.ru").code == 0


def test_block_add_of_no_address_or_domain_is_a_usage_error(desk):
    for bad in ("a@b@c", "nodot", "x y.example", "<ivan@x.ru", "a,b@x.ru"):
        r = desk.run("block", "add", bad)
        _refused(r, f"block add: not an address or a domain: {bad!r} ({ONE_ENTRY})")
    assert desk.run("block", "list", "--json").json() == []


NO_MAIL = ("*.ru", "spam.ru;evil.ru", "evil..ru", "ev!l.ru", "a.ru, b.ru")


def test_entries_no_mail_matches_are_refused_by_all_three_commands(desk):
    for bad in NO_MAIL:
        r = desk.run(*GRP, "--name", "W", "--domain", bad)
        how = f"no wildcards: {ONE_DOMAIN}" if "*" in bad else ONE_DOMAIN
        _refused(r, f"group add: not a domain: {bad!r} ({how})")
        r = desk.run("block", "add", bad)
        how = f"no wildcards: {ONE_ENTRY}" if "*" in bad else ONE_ENTRY
        _refused(r, f"block add: not an address or a domain: {bad!r} ({how})")
        r = desk.run(*LIC, "--key", "K-1", "--email", f"ivan@{bad}")
        how = f"no wildcards: {ONE_ADDRESS}" if "*" in bad else ONE_ADDRESS
        _refused(r, f"license add: not an email address: {f'ivan@{bad}'!r} ({how})")
    for bad in ("a@b@evil.ru", "seo@*.spam.ru"):
        assert desk.run("block", "add", bad).code == 64
    r = desk.run("block", "add", "http://evil.ru/")
    _refused(r, "block add: not an address or a domain: 'http://evil.ru/' (a web address: "
             "give its mail domain, e.g. evil.ru)")  # fmt: skip
    assert desk.run("block", "list", "--json").json() == []
    assert desk.run("group", "list", "--json").json() == []
    assert desk.run("license", "list", "--json").json() == []
    # what every mail system delivers: IDN, its full stops, a trailing dot, "_", "-"
    for good in ("окна。рф", "example.org.", "mail_x.shop-1.ru", "seo@spam.example"):
        assert desk.run("block", "add", good).code == 0, good
    assert desk.run(*GRP, "--name", "W", "--domain", "магазин.рф", "--domain", "x-1.ru").code == 0


def test_an_entry_listed_before_the_rule_can_still_be_removed(desk):
    assert desk.run("block", "add", "spam.example").code == 0  # (the store made)
    (desk.root / "data" / "blocklist.json").write_text('["*.ru"]')
    r = desk.run("block", "remove", "*.ru")
    assert r.code == 0 and r.out.strip() == "unblocked *.ru", r
    assert desk.run("block", "list", "--json").json() == []  # and the list lost it


def test_a_key_or_name_pasted_with_blanks_around_it_is_stored_without_them(desk):
    """A key copied out of a spreadsheet with a blank or tab around it was stored so:
    `license remove K-1` said «no license K-1», and no mail naming K-1 matched it. The
    blanks go; one stored with them before still answers to `remove` without them."""
    assert desk.run(*LIC, "--key", " K-1\t", "--email", "ivan@shop-example.ru").code == 0
    assert desk.run(*GRP, "--name", " ООО Ромашка ", "--domain", "shop.ru").code == 0
    assert [x["key"] for x in desk.run("license", "list", "--json").json()] == ["K-1"]
    assert [x["name"] for x in desk.run("group", "list", "--json").json()] == ["ООО Ромашка"]
    assert desk.run("license", "remove", "K-1").code == 0
    assert desk.run("group", "remove", "ООО Ромашка").code == 0
    from maild.app import App
    from maild.config import load
    from maild.domain.sender import License

    store = App(load(desk.config)).store
    with store.locked():  # as a version before this stored it
        store.add_license(License(" K-2 ", "vip", ("ivan@shop-example.ru",), None, ""))
    assert desk.run("license", "remove", "K-2").code == 0
    assert desk.run("license", "list", "--json").json() == []
    # and `add` of its key without them changes it, not a second license of that key
    from maild.domain.sender import Group

    with store.locked():
        store.add_license(License(" K-3 ", "vip", ("ivan@shop-example.ru",), None, ""))
        store.add_group(Group(" Ромашка ", "vip", ("shop.ru",), None))
    assert desk.run(*LIC[:2], "--level", "partner", "--key", "K-3", "--email", "a@b.ru").code == 0
    assert (
        desk.run(*GRP[:2], "--level", "standard", "--name", "Ромашка", "--domain", "b.ru").code == 0
    )
    lics = desk.run("license", "list", "--json").json()
    assert [(x["key"], x["level"], x["emails"]) for x in lics] == [("K-3", "partner", ["a@b.ru"])]
    groups = desk.run("group", "list", "--json").json()
    assert [(x["name"], x["level"], x["domains"]) for x in groups] == [
        ("Ромашка", "standard", ["b.ru"])
    ]
