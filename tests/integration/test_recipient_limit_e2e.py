"""A mail is read with the desk's limits.max_recipients wherever maild reads it: the
pipeline read To and Cc to the configured limit, `maild spam release` (which threads a
blocked sender's mail to learn whether a ticket marked #spam holds it back) to 100
whatever the config said, and so held back mail the pipeline would have taken as new.
Real CLI, real sink."""

from __future__ import annotations

from tests.helpers import Desk, make_mail
from tests.integration.test_staff_e2e import staff_reply

SPAMMER = "x@spamco.ru"


def test_spam_release_reads_a_mail_as_the_pipeline_does(tmp_path, sink):
    desk = Desk(tmp_path, sink.port, limits={"max_recipients": 2})
    tid = desk.ingest_tid(make_mail(sender=SPAMMER, subject="Offer", body="seo"))
    desk.flush()
    [confirmation] = sink.to(SPAMMER)
    signed = confirmation.msg["Reply-To"].addresses[0].addr_spec  # support+T.sig@
    assert signed.startswith(f"support+{tid}.")
    desk.ingest(staff_reply(tid, "#spam"))  # x is blocked, T in the quarantine
    desk.flush()
    # x writes again to T's reply address, third in To: past the desk's limit of 2
    to = f"a@other.ru, b@other.ru, {signed}"
    r = desk.ingest(make_mail(sender=SPAMMER, to=to, subject="Hello", body="again"))
    assert r.out.startswith("quarantined "), r.out
    [entry] = [e for e in desk.run("spam", "list", "--json").json() if e["reason"] == "blocked"]
    assert not entry.get("tid")  # the pipeline read no reply address of T
    # released, it is read so again: no mail of T's before it, a ticket of its own
    r = desk.run("spam", "release", entry["id"])
    assert r.code == 0, r
    [own] = [t for t in desk.tickets() if t["tid"] != tid]
    assert f"[TID#{own['tid']}]" in r.out
    came = [m for m in desk.ticket(own["tid"])["messages"] if m["direction"] == "in"]
    assert [m["text"].strip() for m in came] == ["again"]
