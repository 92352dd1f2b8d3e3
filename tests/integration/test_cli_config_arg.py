"""`--config ''` (a shell variable left empty) fell back to /etc/maild/maild.toml
without a word: it is a usage error naming --config. A relative --config is named
absolute in errors: postfix's pipe runs maild in its queue folder, where the admin
finds no such file. A time of day unquoted (`digest_time = 09:00:00`, a TOML time)
was refused as "must be a time HH:MM": the line says to quote it."""

from __future__ import annotations

import contextlib
import io
import os

from maild.cli import main


def _main(*args: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(list(args))
    return code, err.getvalue()


def test_an_empty_config_is_a_usage_error_naming_it():
    line = "maild: --config is empty: give the config file's path\n"
    assert _main("--config", "", "check-config") == (64, line)
    assert _main("ticket", "list", "--config", "") == (64, line)
    assert _main("--config", "", "ingest", "-") == (75, line)  # the MTA keeps the mail


def test_a_relative_config_is_named_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, err = _main("--config", "maild.toml", "check-config")
    assert code == 78 and f"{tmp_path / 'maild.toml'}" in err, err
    code, err = _main("--config", os.path.join("..", tmp_path.name, "x.toml"), "ticket", "list")
    assert code == 78 and f"{tmp_path / 'x.toml'}" in err, err


def test_an_unquoted_time_of_day_is_told_to_be_quoted(tmp_path):
    toml = tmp_path / "maild.toml"
    toml.write_text(
        '[support]\naddress = "support@example.com"\nstaff = ["a@example.com"]\n'
        f'[storage]\npath = "{tmp_path / "data"}"\n'
        "[schedule]\ndigest_time = 09:00:00\ndaily_report_time = 18:30:00\n"
    )
    code, err = _main("--config", str(toml), "check-config")
    assert code == 78 and err.splitlines() == [
        f"maild: config error: {toml}: key 'schedule.daily_report_time' must be a time HH:MM, "
        'or "off": "18:30" in quotes, not 18:30:00',
        f"maild: config error: {toml}: key 'schedule.digest_time' must be a time HH:MM, "
        'or "off": "09:00" in quotes, not 09:00:00',
    ], err
    toml.write_text(toml.read_text().replace("digest_time = 09:00:00", 'digest_time = "нет"'))
    code, err = _main("--config", str(toml), "check-config")
    assert """key 'schedule.digest_time' must be a time HH:MM, or "off"\n""" in err, err


def test_verbose_after_the_command_and_the_help_of_what_admins_type(desk):
    """`maild status -v` was a usage error while `maild -v status` worked (--config
    after the command did too); the help said nothing of what an argument takes."""
    desk.make_store()
    r = desk.run("ticket", "list", "-v")
    assert r.code == 0 and r.out == "no tickets\n", r
    helps = {
        ("ingest",): "a file, or - for stdin",
        ("license", "add"): "(may be repeated: --email a@x.ru --email b@x.ru)",
        ("group", "add"): "not its subdomains' (may be repeated)",
        ("spool", "retry"): "every shunted message",
        ("restore",): "the owner of --storage, or of its nearest existing parent",
    }
    for args, said in helps.items():
        r = desk.run(*args, "--help")
        assert r.code == 0 and said in " ".join(r.out.split()), (args, r.out)
    assert "--until YYYY-MM-DD" in desk.run("license", "add", "--help").out


def test_config_given_wins_over_maild_config(desk, monkeypatch):
    """--config names the file even where $MAILD_CONFIG names another (a shell that
    set it for one desk, a command run for a second): the desk --config names is the
    one read, not the variable's (README: the default is $MAILD_CONFIG)."""
    desk.make_store()
    monkeypatch.setenv("MAILD_CONFIG", str(desk.root / "other.toml"))
    r = desk.run("ticket", "list")
    assert r.code == 0 and r.out == "no tickets\n", r
