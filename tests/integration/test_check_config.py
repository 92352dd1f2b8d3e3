"""`maild check-config`: every problem on its own line, warnings apart, nothing created."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import zygote
from tests.helpers import ROOT, YEAR_UNKNOWN, Daemon, Desk, make_mail, warnings_of

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "maild.example.toml"


def test_every_problem_one_line_each_and_nothing_created(tmp_path, sink):
    desk = Desk(
        tmp_path,
        sink.port,
        support={"address": "not an address", "timezone": "Mars/Olympus"},
        outbound={"port": "25"},
        smtp={"protocol": "uucp"},
    )
    desk.sections["storage"]["paht"] = "/x"
    desk.write_config()
    r = desk.run("check-config")
    assert r.code == 78
    lines = r.err.strip().splitlines()
    keys = ["support.address", "support.timezone", "outbound.port", "smtp.protocol", "storage.paht"]
    assert len(lines) == len(keys)
    for key in keys:
        [line] = [x for x in lines if f"'{key}'" in x]
        assert str(desk.config) in line
    r = desk.run("check-config", "--json")  # the same findings, for a script
    report = json.loads(r.out)
    assert r.code == 78 and report["ok"] is False and report["config"] == str(desk.config)
    assert [p for p in report["problems"] if str(desk.config) in p] == report["problems"]
    assert len(report["problems"]) == len(keys) and r.err == ""
    r = desk.run("ticket", "list")  # any other command: the first problem, one line
    assert r.code == 78 and len(r.err.strip().splitlines()) == 1 and "4 more" in r.err
    assert not Path(desk.sections["storage"]["path"]).exists()


def test_warnings_on_their_own_lines_and_nothing_created(tmp_path, sink):
    imap = {"host": "127.0.0.1", "username": "u", "password": "p", "verify_tls": False}
    desk = Desk(tmp_path, sink.port, imap=imap)
    r = desk.run("check-config")
    assert r.code == 0 and r.out.strip().endswith(": OK")
    warnings = warnings_of(r.err)
    assert len(warnings) == 2 and all(w.startswith("maild: warning: ") for w in warnings)
    assert any("support.authserv_id" in w for w in warnings)
    r = desk.run("check-config", "--json")
    report = json.loads(r.out)
    assert r.code == 0 and report["ok"] is True and report["problems"] == []
    assert warnings_of("\n".join(f"maild: warning: {w}" for w in report["warnings"])) == warnings
    assert any("imap.verify_tls = false" in w for w in warnings)
    assert not Path(desk.sections["storage"]["path"]).exists()  # not even the storage


def test_plain_text_to_this_host_itself_is_no_warning(tmp_path, sink):
    """The listener, the IMAP server and the relay on 127.0.0.1 without TLS (postfix
    beside maild, a local Dovecot): nothing crosses a network, so nothing is warned of
    but what is (here support.authserv_id); a false warning teaches admins to skip them."""
    imap = {"host": "127.0.0.1", "port": 143, "ssl": False, "username": "u", "password": "p"}
    desk = Desk(tmp_path, sink.port, imap=imap, smtp={"listen": "127.0.0.1:18125"})
    desk.sections["outbound"].update(username="support@example.com", password="p")
    desk.write_config()
    r = desk.run("check-config")
    assert r.code == 0, r.err
    [warning] = warnings_of(r.err)
    assert "support.authserv_id" in warning, r.err


def refused_alike(desk: Desk, why: str, path: Path) -> None:
    """`ticket list` and check-config refuse the storage alike: exit 78, and
    check-config's one line names `path`."""
    refused = desk.run("ticket", "list")
    assert refused.code == 78 and why in refused.err
    r = desk.run("check-config")
    assert r.code == 78 and r.out == "", r.out
    [line] = [x for x in r.err.splitlines() if x.startswith("maild: config error: ")]
    assert why in line and str(path) in line


def test_a_storage_every_command_refuses_is_refused_here_too(tmp_path, sink):
    """check-config runs before every start (systemd's ExecStartPre): a storage that
    `ticket list` and `serve` refuse must not pass it."""
    desk = Desk(tmp_path, sink.port)
    data = Path(desk.sections["storage"]["path"])
    data.mkdir()
    (data / "notes.txt").write_text("not a store")
    refused_alike(desk, "is not a maild store", data)
    assert sorted(p.name for p in data.iterdir()) == ["notes.txt"]  # nothing created


def test_a_store_with_tickets_but_no_reply_secret_is_refused_here_too(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    del desk.sections["support"]["reply_secret"]  # the key kept in the store
    desk.write_config()
    desk.ingest_tid(make_mail())
    secret = Path(desk.sections["storage"]["path"]) / "reply_secret"
    secret.unlink()
    refused_alike(desk, "is missing or empty but the store has tickets", secret)
    assert not secret.exists()  # not made anew
    desk.sections["support"]["reply_secret"] = "the-old-key-of-this-desk"  # in the config instead
    desk.write_config()
    assert desk.run("check-config").code == 0 and not secret.exists()


def test_a_missing_templates_path_stops_every_command_not_only_check_config(tmp_path, sink):
    """Mail in the shipped wording instead of the admin's would go unnoticed: every
    command refuses, with one line naming the key and the file."""
    desk = Desk(tmp_path, sink.port, templates={"path": str(tmp_path / "no-such-dir")})
    for args, code in ((("check-config",), 78), (("ingest", "-"), 75), (("ticket", "list"), 78)):
        r = desk.run(*args, input=make_mail() if args[0] == "ingest" else None)
        assert r.code == code, (args, r)
        [line] = [x for x in r.err.splitlines() if "warning" not in x]
        assert "templates.path" in line and str(desk.config) in line and "no-such-dir" in line
    assert sink.received == []


def test_a_guessable_signing_key_stops_every_command(tmp_path, sink):
    """Whoever knows support.reply_secret signs reply addresses and Message-IDs (forged
    staff replies), whoever knows web.secret the site's links: the example's "...", a
    word of the docs, a short key or one character repeated is one error line each."""
    example_value = re.search(r'# reply_secret = "(.*?)"', EXAMPLE.read_text())[1]
    for reply, web in ((example_value, "Change-Me"), ("0123456789abcde", "x" * 40)):
        desk = Desk(tmp_path, sink.port, support={"reply_secret": reply})
        desk.sections["web"] = {"base_url": "https://support.example.com", "secret": web}
        desk.write_config()
        r = desk.run("check-config")
        assert r.code == 78 and r.out == ""
        lines = r.err.strip().splitlines()
        assert [x for x in lines if "config error" in x] == lines[-2:]
        for line, key in zip(lines[-2:], ("'support.reply_secret'", "'web.secret'"), strict=True):
            assert key in line and str(desk.config) in line and "openssl rand" in line
        for args, code in ((("serve",), 78), (("ingest", "-"), 75), (("ticket", "list"), 78)):
            r = desk.run(*args, input=make_mail() if args[0] == "ingest" else None)
            assert r.code == code and "support.reply_secret" in r.err, (args, r)
        assert not Path(desk.sections["storage"]["path"]).exists()
    desk.sections["support"]["reply_secret"] = "0123456789abcdef"  # 16 characters
    desk.sections["web"]["secret"] = ""  # none: maild makes one in the storage
    desk.write_config()
    r = desk.run("check-config")
    assert r.code == 0, r.err


def test_the_example_config_passes_with_the_edits_readme_asks_for(tmp_path):
    """storage.path is the one edit outside a systemd install; a key uncommented as it
    stands ("...") is refused, not taken."""
    config = tmp_path / "maild.toml"
    text = EXAMPLE.read_text().replace('"/var/lib/maild"', f'"{tmp_path / "data"}"', 1)
    config.write_text(text)
    config.chmod(0o640)  # as README's install gives it
    r = check_config(config)
    assert r.returncode == 0 and r.stdout.strip().endswith(": OK"), r.stderr
    config.write_text(text.replace("# reply_secret =", "reply_secret =", 1))
    r = check_config(config)
    assert r.returncode == 78 and "'support.reply_secret' is the placeholder '...'" in r.stderr


def check_config(config: Path) -> subprocess.CompletedProcess[str]:
    """`maild check-config` on `config` as the admin runs it: a process of its own."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = zygote.run("maild", ["--config", str(config), "check-config"], env)
    return subprocess.CompletedProcess(p.args, p.returncode, p.stdout.decode(), p.stderr.decode())


def test_a_password_or_key_every_user_can_read_is_warned_with_the_fix(tmp_path, sink):
    """A config holding a password or a signing key with mode 0644 (a plain copy of
    the example): check-config warns naming file and fix; serve logs it at start."""
    desk = Desk(tmp_path, sink.port, outbound={"username": "maild", "password": "relay-pass"})
    desk.config.chmod(0o644)
    r = desk.run("check-config")
    assert r.code == 0 and r.out.strip().endswith(": OK"), r.err
    [line] = [x for x in r.err.splitlines() if "every user" in x]
    assert line.startswith(f"maild: warning: {desk.config}: ") and "(mode 0644)" in line
    assert "outbound.password, support.reply_secret" in line and "relay-pass" not in line
    assert f"chmod 640 {desk.config} && chown root:maild {desk.config}" in line
    daemon = Daemon(desk).start()
    daemon.stop()
    assert line.removeprefix("maild: warning: ") in daemon.logtext()
    desk.config.chmod(0o640)  # as README's install gives it
    r = desk.run("check-config")
    assert r.code == 0 and "every user" not in r.err
    desk.sections["outbound"].pop("password")
    desk.sections["outbound"].pop("username")  # a relay that takes mail without a login
    desk.sections["support"].pop("reply_secret")  # maild keeps its own in the storage
    desk.config_mode = 0o644  # nothing in it to hide
    desk.write_config()
    r = desk.run("check-config")
    assert r.code == 0 and "every user" not in r.err


def test_a_token_command_that_is_not_there_is_a_problem(tmp_path, sink):
    """Every login would fail: check-config (systemd's ExecStartPre) says which key."""
    imap = {"host": "imap.example.com", "username": "support@example.com"}
    imap["oauth2_token_command"] = "no-such-token-tool --account support"
    desk = Desk(tmp_path, sink.port, imap=imap)
    r = desk.run("check-config")
    assert r.code == 78
    [line] = [x for x in r.err.strip().splitlines() if not x.startswith("maild: warning")]
    assert "'imap.oauth2_token_command'" in line and "'no-such-token-tool'" in line
    assert str(desk.config) in line
    desk.sections["imap"]["oauth2_token_command"] = "  "  # blank: a line, not a traceback
    desk.write_config()
    r = desk.run("check-config")
    assert r.code == 78 and "'imap.oauth2_token_command': no program ''" in r.err, r.err
    desk.sections["imap"]["oauth2_token_command"] = f"{sys.executable} -c print(1)"
    desk.write_config()
    assert desk.run("check-config").code == 0


def test_a_token_sent_without_starttls_is_warned_of(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    desk.sections["outbound"].update(
        host="relay.example.com",
        username="support@example.com",
        oauth2_token_command=f"{sys.executable} -c print(1)",
    )
    desk.write_config()
    r = desk.run("check-config")
    assert r.code == 0
    assert "the token goes to relay.example.com unencrypted" in r.err


def test_root_is_told_when_the_storage_owner_cannot_read_the_config(tmp_path, sink):
    """`sudo maild check-config` read the config as root and said OK; the service,
    running as the storage's owner, then failed at start: "cannot read config file"."""
    import pwd

    import pytest

    if os.geteuid() != 0:
        pytest.skip("needs root")
    from tests.integration.test_root_safety import _python_for, run

    nobody = pwd.getpwnam("nobody")
    # an interpreter nobody can read (a pyenv under /root is a problem of its own)
    python = _python_for(nobody.pw_uid, nobody.pw_gid)
    if python is None:
        pytest.skip("no interpreter that nobody can read")
    desk = Desk(tmp_path, sink.port)
    storage = Path(desk.sections["storage"]["path"])
    storage.mkdir(parents=True, exist_ok=True)
    os.chown(storage, nobody.pw_uid, nobody.pw_gid)
    desk.config.chmod(0o600)  # root's alone
    r = run(desk, python, "check-config")
    assert r.code == 0, r.err
    [line] = [x for x in r.err.splitlines() if "cannot read" in x]
    assert line == (
        f"maild: warning: {desk.config}: nobody, the owner of {storage}, cannot read it "
        f"(root, mode 0600): maild serve as nobody stops at start; chown root:nogroup "
        f"{desk.config} && chmod 640 {desk.config}"
    )
    desk.config.chmod(0o640)
    os.chown(desk.config, 0, nobody.pw_gid)
    assert "cannot read" not in run(desk, python, "check-config").err
    os.chown(desk.config, nobody.pw_uid, 0)  # its own, but its owner's bits bar it
    desk.config.chmod(0o044)  # (what others may do is not asked of its owner)
    [line] = [x for x in run(desk, python, "check-config").err.splitlines() if "cannot read" in x]
    assert "cannot read it (nobody, mode 0044): maild serve as nobody stops" in line
    os.chown(storage, 0, 0)  # a store of root's: the service runs as root, which reads it
    desk.config.chmod(0o600)  # (nobody's, its group root's barred: no matter to root)
    assert "cannot read" not in run(desk, python, "check-config").err


def test_templates_an_admin_edited_are_checked_one_line_each(tmp_path, sink):
    """An override saved in Windows-1251 or with a broken {% %} passed check-config;
    then the processing of each mail failed on it, and the customer's mail was stored
    as an unreadable one without its sender (no confirmation, no requester)."""
    shipped = Path(__file__).resolve().parents[2] / "maild" / "templates"
    tpl = tmp_path / "tpl"
    (tpl / "answers").mkdir(parents=True)
    source = (shipped / "confirmation.txt").read_text()
    (tpl / "confirmation.txt").write_bytes(source.encode("cp1251"))
    (tpl / "staff_new.txt").write_text("Subject: {{ subject }\n\nтекст\n")
    (tpl / "answers" / "hello.txt").write_text("Здравствуйте!\n")  # a good one
    (tpl / "thanks.txt").write_bytes(b"\xef\xbb\xbf" + (shipped / "thanks.txt").read_bytes())
    desk = Desk(tmp_path, sink.port, templates={"path": str(tpl)})
    r = desk.run("check-config")
    assert r.code == 78
    problems = [x for x in r.err.splitlines() if "config error" in x]
    line = next(n for n, s in enumerate(source.splitlines(), 1) if not s.isascii())
    assert problems == [
        f"maild: config error: {desk.config}: templates.path: {tpl / 'confirmation.txt'}: "
        f"line {line}: not UTF-8 text (Windows-1251 or KOI8-R?): save the file as UTF-8",
        f"maild: config error: {desk.config}: templates.path: {tpl / 'staff_new.txt'}: "
        "line 1: unexpected '}'",
    ]


def test_mail_is_answered_from_the_shipped_template_while_an_override_is_unreadable(tmp_path, sink):
    """An override saved in Windows-1251 was taken for the mail's fault (stored as an
    unreadable mail without its sender), then it paused every mail until the fix; now
    that mail is a ticket of its sender, confirmed from the shipped template, and
    `maild status` names the file (tests/integration/test_template_fallback.py)."""
    shipped = Path(__file__).resolve().parents[2] / "maild" / "templates"
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    (tpl / "confirmation.txt").write_bytes(
        (shipped / "confirmation.txt").read_text().encode("cp1251")
    )
    desk = Desk(tmp_path, sink.port, templates={"path": str(tpl)})
    r = desk.run("ingest", "-", input=make_mail())
    assert r.code == 0 and "Traceback" not in r.err, r
    [ticket] = desk.tickets()
    assert ticket["requester"] == "ivan@shop-example.ru"
    assert desk.flush().code == 0
    [confirmation] = sink.to("ivan@shop-example.ru")
    assert f"[TID#{ticket['tid']}]" in confirmation.subject
    status = desk.run("status", "--json").json()
    assert status["spool"]["pending"] == 0
    assert any(f"{tpl / 'confirmation.txt'} fails (line " in x for x in status["reasons"])


def test_calendar_days_that_change_nothing_or_contradict_are_warned(tmp_path, sink):
    """[calendar] is typed by hand from the decree: a day in both lists (the day off
    wins), a working day listed as one more working day (Tuesday 08.12 for Saturday
    05.12?) or a holiday listed as a day off is a slip that check-config names."""
    desk = Desk(
        tmp_path,
        sink.port,
        calendar={
            "extra_days_off": ["2026-12-07", "2026-11-04"],
            "extra_working_days": ["2026-12-07", "2026-12-08", "2026-12-05"],
        },
    )
    r = desk.run("check-config")
    assert r.code == 0, r.err
    lines = [x for x in r.err.splitlines() if "[calendar]" in x]
    assert any("2026-12-07" in x and "both" in x for x in lines), lines
    assert any("2026-12-08" in x and "already a working day" in x for x in lines), lines
    assert any("2026-11-04" in x and "already a day off" in x for x in lines), lines
    assert not any("2026-12-05" in x for x in lines), lines  # a Saturday made working: fine


def test_a_calendar_day_given_as_a_time_is_a_config_error_of_check_config_and_serve(tmp_path, sink):
    """`extra_days_off = [10:00:00]` (a TOML time) passed: check-config ended in a
    traceback, and serve crashed at start and then never exited."""
    desk = Desk(tmp_path, sink.port)
    desk.in_process = False  # serve as systemd runs it: a process of its own
    with desk.config.open("a") as f:
        f.write("[calendar]\nextra_days_off = [10:00:00]\n")
    said = f"{desk.config}: key 'calendar.extra_days_off' must be a list of dates"
    for command in ("check-config", "serve"):
        r = desk.run(command, timeout=30)
        assert r.code == 78 and "Traceback" not in r.err, r
        [line] = r.err.strip().splitlines()
        assert said in line and "(10:00:00 is not one)" in line, line
    assert not Path(desk.sections["storage"]["path"]).exists()


def test_the_years_calendar_is_read_from_what_an_earlier_process_kept(tmp_path, sink, monkeypatch):
    """Whether the `holidays` release knows this year's transferred days off is kept in
    the per-user folder (adapters.cache) as the days are: check-config, and `maild
    serve` at start, read it there. An entry saying the release does not know them
    (planted here) is what check-config then warns of."""
    import tempfile
    from datetime import datetime
    from importlib.metadata import version
    from zoneinfo import ZoneInfo

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    desk = Desk(tmp_path, sink.port)
    first = desk.run("check-config").err
    year = datetime.now(ZoneInfo("Europe/Moscow")).year
    kept = tmp_path / "tmp" / f"maild-cache-{os.getuid()}"
    [entry] = kept.glob(f"ru-{version('holidays')}-*-{year}-transfers.json")  # *: code_mark
    known = entry.read_text()  # worked out by that first run, as the release knows
    assert known in ("true", "false") and (YEAR_UNKNOWN in first) == (known == "false")
    entry.write_text("false" if known == "true" else "true")  # the other answer kept
    r = desk.run("check-config")
    assert (f"{YEAR_UNKNOWN} {year}" in r.err) == (known == "true"), r.err


def test_serve_and_the_cli_import_no_holidays_by_themselves():
    """Importing `holidays` imports every country it knows: a start and stop of `maild
    serve` took 0.58-0.70 s of CPU with it, 0.42-0.53 s without (bench/FINDINGS.md 45).
    A deadline imports it on first use only where the per-user folder holds no answer
    (adapters.cache)."""
    code = "import sys, maild.server, maild.cli; print('holidays' in sys.modules)"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert p.stdout.strip() == "False", p.stderr


@pytest.mark.parametrize(
    "imap, said",
    [
        ({"ssl": False, "starttls": True}, "imap.ssl = false on port 993 (the default port)"),
        ({"port": 143}, "imap.ssl = true on port 143, a port of plain IMAP and STARTTLS"),
        ({"ssl": False, "port": 143, "host": "imap.example.com"}, "the password goes to"),
    ],
)
def test_imap_ssl_that_does_not_fit_the_port_is_a_warning(tmp_path, sink, imap, said):
    """README's «ssl = false, starttls = true» without «port = 143» left the default
    993: every try waited 60 s for a greeting, check-config said OK."""
    desk = Desk(
        tmp_path, sink.port, imap={"host": "127.0.0.1", "username": "u", "password": "p"} | imap
    )
    r = desk.run("check-config")
    assert r.code == 0 and any(said in w for w in r.err.splitlines()), r.err


SHIPPED = Path(__file__).resolve().parents[2] / "maild" / "templates"


def test_an_override_older_than_the_shipped_template_is_named_with_what_it_lacks(tmp_path, sink):
    """A staff_followup.txt copied before the quote_cut block was shipped rendered
    without it, and nothing said so but README's Upgrading section. check-config now
    names the file and the variable, as a warning (the mail still goes: exit 0)."""
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    text = (SHIPPED / "staff_followup.txt").read_text()
    start = text.index("{% if quote_cut")
    end = text.index("{% endif %}\n", start) + len("{% endif %}\n")
    (tpl / "staff_followup.txt").write_text(text[:start] + text[end:])  # the old one
    (tpl / "confirmation.txt").write_text((SHIPPED / "confirmation.txt").read_text())
    desk = Desk(tmp_path, sink.port, templates={"path": str(tpl)})
    r = desk.run("check-config")
    assert r.code == 0 and r.out.strip().endswith(": OK"), r.err
    lines = [x for x in r.err.splitlines() if "templates.path" in x]
    assert lines == [
        f"maild: warning: {desk.config}: templates.path: {tpl / 'staff_followup.txt'} does "
        "not use quote_cut, which the shipped template uses: compare it with the shipped "
        f"one ({SHIPPED / 'staff_followup.txt'}; README, Upgrading)"
    ]
    report = desk.run("check-config", "--json").json()
    assert report["ok"] is True and f"maild: warning: {report['warnings'][-1]}" == lines[0]
    (tpl / "staff_followup.txt").write_text(text)  # brought up to date: nothing to say
    r = desk.run("check-config")
    assert r.code == 0 and "templates.path" not in r.err, r.err


def test_an_override_older_than_an_include_of_the_shipped_one_is_named_for_it(tmp_path, sink):
    """What the shipped template shows through the files it includes counts too: a
    confirmation.txt copied before it included site_link.txt is named for site_link,
    which only site_link.txt uses."""
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    text = (SHIPPED / "confirmation.txt").read_text()
    (tpl / "confirmation.txt").write_text(text.replace('{% include "site_link.txt" %}', ""))
    desk = Desk(tmp_path, sink.port, templates={"path": str(tpl)})
    r = desk.run("check-config")
    assert r.code == 0, r.err
    [line] = [x for x in r.err.splitlines() if "templates.path" in x]
    assert f"{tpl / 'confirmation.txt'} does not use site_link, which the shipped" in line, line


def test_a_saved_answer_named_as_a_shipped_one_but_for_capitals_is_warned_of(tmp_path, sink):
    """answers/Request_Info.txt beside the shipped request_info.txt: #answer reads a
    name in any case, so the admin's is never inserted; the shipped answers count."""
    tpl = tmp_path / "tpl"
    (tpl / "answers").mkdir(parents=True)
    (tpl / "answers" / "Request_Info.txt").write_text("Пришлите, пожалуйста, журнал.\n")
    desk = Desk(tmp_path, sink.port, templates={"path": str(tpl)})
    r = desk.run("check-config")
    assert r.code == 0, r.err
    [line] = [x for x in r.err.splitlines() if "templates.path" in x]
    assert line.endswith(
        f"templates.path: {tpl / 'answers'}: saved answers Request_Info, request_info differ "
        "only in capitals: #answer reads a name in any case, so it inserts none of them (or "
        "only the one all in lower case); rename all but one"
    ), line


def test_a_saved_answer_that_does_not_compile_is_one_error_and_no_warning(tmp_path, sink):
    """Named once, as the error it is, not also warned of as an answer that cannot be
    made (two lines for one fault)."""
    tpl = tmp_path / "tpl"
    (tpl / "answers").mkdir(parents=True)
    (tpl / "answers" / "mine.txt").write_text("Ответ {% if %}\n")
    desk = Desk(tmp_path, sink.port, templates={"path": str(tpl)})
    r = desk.run("check-config")
    assert r.code == 78
    assert [x for x in r.err.splitlines() if "templates.path" in x] == [
        f"maild: config error: {desk.config}: templates.path: {tpl / 'answers' / 'mine.txt'}: "
        "line 1: Expected an expression, got 'end of statement block'"
    ]


def test_an_override_no_mail_is_made_from_is_named(tmp_path, sink):
    """confirmaton.txt (a typo) was never read: the shipped confirmation went out and
    the admin's edits with it never did, without a word. A saved answer of one's own
    (answers/NAME.txt) is no typo."""
    tpl = tmp_path / "tpl"
    (tpl / "answers").mkdir(parents=True)
    (tpl / "confirmaton.txt").write_text((SHIPPED / "confirmation.txt").read_text())
    (tpl / "answers" / "our_hours.txt").write_text("Мы работаем с 9 до 18.\n")
    desk = Desk(tmp_path, sink.port, templates={"path": str(tpl)})
    r = desk.run("check-config")
    assert r.code == 0, r.err
    lines = [x for x in r.err.splitlines() if "templates.path" in x]
    assert lines == [
        f"maild: warning: {desk.config}: templates.path: {tpl / 'confirmaton.txt'} is never "
        "used: no template of maild is named confirmaton.txt (did you mean confirmation.txt?); "
        f"the shipped ones are in {SHIPPED}"
    ]


def test_an_override_maild_cannot_compile_is_an_error_naming_file_and_line(tmp_path, sink):
    """A broken {% %} was found already; a filter maild does not have passed
    check-config (jinja finds it when it compiles, not when it parses) and then failed
    each mail that needed the template."""
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    (tpl / "thanks.txt").write_text("Subject: Спасибо\n\n{{ tid }}\n{% if tid %}\n")
    (tpl / "started.txt").write_text("Subject: В работе\n\n{{ hours | plurals('час') }}\n")
    desk = Desk(tmp_path, sink.port, templates={"path": str(tpl)})
    r = desk.run("check-config")
    assert r.code == 78
    problems = [x for x in r.err.splitlines() if "config error" in x]
    assert problems == [
        f"maild: config error: {desk.config}: templates.path: {tpl / 'started.txt'}: "
        "line 3: No filter named 'plurals'.",
        f"maild: config error: {desk.config}: templates.path: {tpl / 'thanks.txt'}: "
        "line 4: Unexpected end of template. Jinja was looking for the following tags: "
        "'elif' or 'else' or 'endif'. The innermost block that needs to be closed is 'if'.",
    ]


def test_an_empty_host_is_a_config_error_not_a_failed_send_each_time(tmp_path, sink):
    """outbound.host = "" passed, and every send then failed with smtplib's "please
    run connect() first": one line naming the key and the file instead."""
    desk = Desk(tmp_path, sink.port, outbound={"host": ""})
    for args in (("check-config",), ("outbox", "flush")):
        r = desk.run(*args)
        assert r.code == 78, (args, r)
        [line] = r.err.strip().splitlines()
        assert "'outbound.host'" in line and str(desk.config) in line


@pytest.mark.parametrize(
    ("mistake", "said"),
    [
        ("[support]\ntimezone = 'UTC'\n", "section '[support]' is given twice (at line "),
        ("[[outbound]]\nhost = 'x'\n", "[[outbound]] at line "),
        ("[outbound\n", "[outbound lacks its closing ']' (at line "),  # not "given twice"
        ("[[support\n", "[[support lacks its closing ']]' (at line "),
        ("support = 5\n", "key 'support' must be a section"),
    ],
)
def test_a_section_written_wrong_is_one_line_naming_it(tmp_path, sink, mistake, said):
    """tomllib's "Cannot declare ('support',) twice" and "Cannot overwrite a value"
    named no section, and `support = 5` gave a second line, its keys missing."""
    desk = Desk(tmp_path, sink.port)
    if mistake.startswith("support"):  # instead of the section, above every other
        del desk.sections["support"]
        desk.write_config()
        desk.config.write_text(mistake + desk.config.read_text())
    else:
        desk.config.write_text(desk.config.read_text() + "\n" + mistake)
    r = desk.run("check-config")
    assert r.code == 78, r
    [line] = r.err.strip().splitlines()
    assert line.startswith(f"maild: config error: {desk.config}: ") and said in line, line


def test_no_support_head_is_a_warning(tmp_path, sink):
    """Without support.head no escalation, reminder to the head, SLA report or alert
    ever goes: check-config said OK and nothing else. Now a warning says so (exit 0)."""
    desk = Desk(tmp_path, sink.port)
    del desk.sections["support"]["head"]
    desk.write_config()
    r = desk.run("check-config")
    assert r.code == 0 and r.out.strip().endswith(": OK")
    [line] = [w for w in r.err.splitlines() if "support.head" in w]
    assert line.startswith(f"maild: warning: {desk.config}: support.head is not set")
    assert "escalation" in line and "SLA report" in line
    desk.sections["support"]["head"] = "head@example.com"
    desk.write_config()
    assert "support.head" not in desk.run("check-config").err


@pytest.mark.parametrize("staff", [[], None], ids=["empty", "missing"])
def test_no_support_staff_is_a_warning(tmp_path, sink, staff):
    """support.staff empty or left out: a new ticket's notice went to no one, and
    check-config said OK, though it warns of a missing support.head."""
    desk = Desk(tmp_path, sink.port)
    if staff is None:
        del desk.sections["support"]["staff"]
    else:
        desk.sections["support"]["staff"] = staff
    desk.write_config()
    r = desk.run("check-config")
    assert r.code == 0 and r.out.strip().endswith(": OK"), r
    [line] = [w for w in r.err.splitlines() if "support.staff" in w]
    assert line == (
        f"maild: warning: {desk.config}: support.staff is empty: the notice of a new ticket, "
        "the reminders and the morning digest go to no one: list the support staff's "
        "addresses in support.staff"
    ), line
    desk.sections["support"]["staff"] = ["anna@example.com"]
    desk.write_config()
    assert "support.staff" not in desk.run("check-config").err
