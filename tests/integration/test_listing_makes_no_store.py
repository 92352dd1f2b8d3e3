"""A listing (`license list`, `group list`, `block list`, `answers list`) on a
storage.path with no store made a new empty one there, its parents too: a typo in the
path or a file system not mounted yet left a store under the mount point. It answers
as for an empty store (what it printed before) and makes nothing; `add` makes it."""

from __future__ import annotations

LISTINGS = (
    ("license", "list"),
    ("license", "list", "--json"),
    ("group", "list", "--json"),
    ("block", "list"),
    ("block", "list", "--json"),
    ("answers", "list", "--json"),
)


def test_a_listing_on_a_missing_store_answers_as_for_an_empty_one_and_makes_nothing(desk):
    store = desk.root / "mnt" / "typo" / "data"
    desk.sections["storage"]["path"] = str(store)
    desk.write_config()
    missing = {args: desk.run(*args) for args in LISTINGS}
    assert not (desk.root / "mnt").exists()
    for r in missing.values():
        assert r.code == 0 and r.err.startswith(f"maild: storage.path {store}: no maild store"), r
    desk.in_process = False  # its log on its stderr, as an admin reads it (pytest takes it)
    alone = desk.run("license", "list")  # not «created a new store at» the temporary one
    assert alone.err == missing[("license", "list")].err, alone.err
    desk.in_process = True
    assert missing[("license", "list")].out == "no licenses\n"
    assert missing[("block", "list", "--json")].json() == []
    assert desk.run("block", "add", "spam.example").code == 0  # the desk's setup makes it
    assert desk.run("block", "remove", "spam.example").code == 0
    for args, r in missing.items():  # as on the empty store now there
        assert desk.run(*args).out == r.out, args


def test_a_command_that_lists_no_setup_refuses_a_missing_store(desk):
    """Only the listings of the desk's setup answer as for an empty store: `ticket
    list` or `spool list` on a storage.path with no store is a wrong path or a file
    system not mounted yet, and is refused in one line, not answered as an empty desk."""
    store = desk.root / "mnt" / "typo" / "data"
    desk.sections["storage"]["path"] = str(store)
    desk.write_config()
    for args in (("ticket", "list", "--json"), ("spool", "list")):
        r = desk.run(*args)
        assert r.code != 0 and r.out == "" and r.err.count("\n") == 1, (args, r)
        assert r.err.endswith("is the path right and its file system mounted?\n"), r.err
    assert not (desk.root / "mnt").exists()
