"""A signing key set in the config over the one the store already keeps: the config's
wins, so every signed reply address, Message-ID and site link sent so far stopped
verifying without a word (a staff #take kept as a note, a customer's reply without
the TID a new ticket). check-config warns, one line per key naming file and effect;
`maild serve` logs the same once at start."""

from __future__ import annotations

from tests.helpers import Daemon, Desk, free_port, make_mail

SITE = "https://support.example.com"


def test_a_key_set_over_the_kept_one_is_warned_by_check_config_and_serve(tmp_path, sink):
    desk = Desk(tmp_path, sink.port, web={"base_url": SITE, "listen": f"127.0.0.1:{free_port()}"})
    desk.sections["support"].pop("reply_secret")  # the store makes and keeps its own
    desk.write_config()
    desk.ingest(make_mail())  # mail went out signed with the kept keys
    data = tmp_path / "data"
    kept = {name: (data / name).read_text() for name in ("reply_secret", "web_secret")}
    desk.sections["support"]["reply_secret"] = kept["reply_secret"]  # the same key: fine
    desk.sections["web"]["secret"] = kept["web_secret"]
    desk.write_config()
    r = desk.run("check-config")
    assert r.code == 0 and "is not the key kept" not in r.err, r.err
    desk.sections["support"]["reply_secret"] = "another-reply-key-0123456789"
    desk.sections["web"]["secret"] = "another-site-key-0123456789"
    desk.write_config()
    r = desk.run("check-config")
    warned = [x for x in r.err.splitlines() if "is not the key kept" in x]
    reply, site = data / "reply_secret", data / "web_secret"
    expected = [
        f"support.reply_secret is not the key kept in {reply}, which signed the mail sent "
        "before support.reply_secret was set: its reply addresses and Message-IDs no longer "
        "verify (a staff reply to it is kept as a note, its commands not run; a customer's "
        "reply without the TID opens a new ticket); remove support.reply_secret to go back "
        f"to that key, or, if the change is meant, write the new key into {reply} too "
        "(README, Trust)",
        f"web.secret is not the key kept in {site}, which signed the mail sent before "
        "web.secret was set: its links to the site no longer open (nor can they ask for a "
        "new one); remove web.secret to go back to that key, or, if the change is meant, "
        f"write the new key into {site} too (README, Trust)",
    ]
    assert r.code == 0 and warned == [f"maild: warning: {desk.config}: {x}" for x in expected]
    daemon = Daemon(desk).start()
    daemon.stop()
    log = daemon.logtext()
    for line in expected:
        assert log.count(line) == 1, log
    del desk.sections["support"]["reply_secret"], desk.sections["web"]["secret"]
    desk.write_config()  # as the warning says: back to the kept keys
    r = desk.run("check-config")
    assert r.code == 0 and "is not the key kept" not in r.err, r.err


def test_keys_set_in_the_config_from_the_start_replace_none(tmp_path, sink):
    """A store that never kept a key of its own (the config set both from its first
    mail) has nothing they replaced: check-config warns of none."""
    web = {"base_url": SITE, "listen": f"127.0.0.1:{free_port()}", "secret": "site-key-0123456789"}
    desk = Desk(tmp_path, sink.port, web=web)
    desk.ingest(make_mail())
    assert not (tmp_path / "data" / "reply_secret").exists()
    r = desk.run("check-config")
    assert r.code == 0 and "is not the key kept" not in r.err, r.err
