"""README's postfix pipe line (master.cf), for real: what postfix hands `maild ingest`.

Mail with a null envelope sender (a delivery report, an auto-reply) must reach maild
with `Return-Path: <>` on top, as the listener spools it, or maild answers it.
postfix's pipe(8) writes the null sender as `MAILER-DAEMON` (its `null_sender`
default) into the Return-Path the `R` flag adds: with README's line as it was, each
delivery report through the pipe got a confirmation and a ticket's answers. The
pipe's command here is a script that keeps what it is given (maild itself would run
as the service's user, who cannot read the test's Python); the flags and attributes
are README's own.
"""

from __future__ import annotations

import os
import re
import smtplib
import time

from tests.helpers import ROOT, free_port, make_mail
from tests.integration.test_serve import wait_until
from tests.postfix import CONFIG_AGE, MAILBOX_DOMAIN, Postfix, require_postfix


def readme_pipe_lines() -> list[str]:
    """The master.cf lines README gives under "postfix → pipe"."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### postfix → pipe", 1)[1]
    block = re.search(r"`/etc/postfix/master\.cf`:\n```\n(.*?)```", section, re.S)
    assert block, "README's pipe section has no master.cf block"
    return block.group(1).splitlines()


def test_readme_pipe_line_hands_a_null_sender_as_an_empty_return_path(tmp_path, desk):
    require_postfix()
    service, attributes = readme_pipe_lines()
    assert service.split()[0] == "maild" and "user=maild" in attributes
    mta = Postfix(free_port(), "127.0.0.1:1", ["ivan"])
    out = mta.dir / "got"  # (its folder is one nobody may enter; pytest's is not)
    out.mkdir()
    os.chown(out, *_nobody())
    capture = mta.dir / "capture"
    capture.write_text(f'#!/bin/sh\ncat > "{out}/.tmp.$$" && mv "{out}/.tmp.$$" "{out}/mail"\n')
    capture.chmod(0o755)
    # README's flags and attributes; its user and command made the test's
    attributes = attributes.replace("user=maild", "user=nobody")
    attributes = attributes.split(" argv=", 1)[0] + f" argv={capture}"
    with open(mta.etc / "master.cf", "a") as f:
        f.write(f"{service}\n{attributes}\n")
    (mta.etc / "transport").write_text("support@example.com maild:\n")
    written = time.time() - CONFIG_AGE
    for path in mta.etc.iterdir():
        os.utime(path, (written, written))
    try:
        mta.start()
        # an auto-reply (RFC 3834: sent from the null sender) with a person's From and
        # no other sign of one: the envelope is all that tells it
        report = make_mail(
            sender=f"ivan@{MAILBOX_DOMAIN}",
            subject="Re: Ваше обращение",
            body="Я в отпуске до понедельника.",
            msgid="<away-1@customer.example>",
        )
        with smtplib.SMTP("127.0.0.1", mta.port) as s:
            assert s.sendmail("", ["support@example.com"], report) == {}
        assert wait_until(lambda: (out / "mail").exists(), timeout=30), mta.log()
        raw = (out / "mail").read_bytes()  # (whole: renamed into place once written)
    finally:
        mta.stop()
    assert raw.startswith(b"Return-Path: <>\n"), raw[:200]
    # and maild, given it, does not answer it (staff are told of it)
    r = desk.run("ingest", "-", input=raw)
    assert r.code == 0, r.err
    queued = list((desk.root / "data" / "outbox" / "queue").iterdir())
    assert not [q for q in queued if b"\nTo: ivan@" in q.read_bytes()], r.out


def _nobody() -> tuple[int, int]:
    import pwd

    pw = pwd.getpwnam("nobody")
    return pw.pw_uid, pw.pw_gid
