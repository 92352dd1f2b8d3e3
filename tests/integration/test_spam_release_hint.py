"""`maild spam release` of a blocked sender's mail says the sender is still blocked,
and how to lift it: by the entry that covers the sender. For a domain's entry it
said "maild block remove bad@spammer.example", which removes nothing."""

from __future__ import annotations


def _released(desk, sender: str) -> str:
    raw = (
        f"From: {sender}\r\nTo: support@example.com\r\nSubject: x\r\n"
        f"Message-ID: <{sender.split('@')[0]}@spammer.example>\r\n\r\nx\r\n"
    ).encode()
    desk.ingest(raw)
    [entry] = [e for e in desk.run("spam", "list", "--json").json() if e["from"] == sender]
    r = desk.run("spam", "release", entry["id"])
    assert r.code == 0, r.err
    return r.err


def test_release_names_the_domain_entry_that_still_blocks_the_sender(desk):
    assert desk.run("block", "add", "spammer.example").code == 0
    err = _released(desk, "bad@spammer.example")
    assert "bad@spammer.example is still blocked by spammer.example: " in err, err
    assert "maild block remove spammer.example\n" in err, err
    assert desk.run("block", "remove", "spammer.example").code == 0
    assert desk.run("block", "add", "worse@spammer.example").code == 0
    err = _released(desk, "worse@spammer.example")
    assert "worse@spammer.example is still blocked: maild block remove worse@spammer.example" in err


def test_release_names_every_entry_that_blocks_the_sender(desk):
    """Blocked by its address and its domain: removing the one named left the other,
    and the sender's next mail went to the quarantine again."""
    assert desk.run("block", "add", "spammer.example").code == 0
    assert desk.run("block", "add", "ivan@spammer.example").code == 0
    err = _released(desk, "ivan@spammer.example")
    assert "ivan@spammer.example is still blocked by " in err, err
    for entry in ("spammer.example", "ivan@spammer.example"):
        assert f"maild block remove {entry}" in err
        assert desk.run("block", "remove", entry).code == 0
    assert desk.run("block", "list", "--json").json() == []


def test_a_release_the_pipeline_quarantines_again_keeps_the_mail_and_exits_1(desk):
    """Staff's reply naming a ticket that is not there goes back to the quarantine on
    release: the admin is told so (exit 1, the reason), never a TID, and the message
    stays listed: deleting its entry then would lose the mail."""
    from tests.helpers import staff_reply

    assert desk.ingest(staff_reply("1111-2222", "Готово.")).out.startswith("quarantined ")
    [entry] = desk.run("spam", "list", "--json").json()
    r = desk.run("spam", "release", entry["id"])
    assert r.code == 1, r.out + r.err
    assert f"maild: {entry['id']} is back in the quarantine as " in r.err, r.err
    assert "staff: no ticket [TID#1111-2222]" in r.err and "TID#" not in r.out, r.out
    [kept] = desk.run("spam", "list", "--json").json()
    assert kept["message_id"] == entry["message_id"]
