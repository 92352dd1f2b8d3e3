from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maild.config import SCHEMA, ConfigError, load, parse

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "maild.example.toml"
BASE = {"support": {"address": "Support@Example.com"}, "storage": {"path": "/tmp/x"}}


def test_example_config_is_valid_and_documents_every_key():
    from maild.config import SCHEMA

    cfg = parse(tomllib.loads(EXAMPLE.read_text()), str(EXAMPLE))
    assert cfg.support.address == "support@example.com"
    text = EXAMPLE.read_text()
    for section, keys in SCHEMA.items():
        assert f"[{section}]" in text
        for key in keys:
            assert f"{key} " in text or f"{key}=" in text, f"{section}.{key} undocumented"


def test_defaults():
    cfg = parse(BASE, "f.toml")
    assert cfg.support.address == "support@example.com"
    assert cfg.outbound.port == 25 and cfg.smtp is None and cfg.imap is None
    assert cfg.schedule.reminder_fraction == 0.75


def test_staff_and_head_spelt_in_capitals_are_read_in_small_letters():
    """Policy.claims_staff and is_head compare mail's (lower-cased) sender with the
    config's addresses as read: «Anna@Example.COM» kept as typed made Anna's replies
    a customer's mail, the head's mail no head's."""
    support = {**BASE["support"], "staff": [" Anna@Example.COM "], "head": "Boss@Example.com"}
    cfg = parse({**BASE, "support": support}, "f.toml")
    assert cfg.support.staff == ("anna@example.com",)
    assert cfg.support.head == "boss@example.com"


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"support": {}, "storage": {"path": "/x"}}, "missing key 'support.address'"),
        ({**BASE, "storage": {"paht": "/x"}}, "unknown key 'storage.paht'"),
        ({**BASE, "outbound": {"port": "25"}}, "'outbound.port' must be a port number"),
        ({**BASE, "smtp": {"protocol": "x"}}, "'smtp.protocol'"),
        ({**BASE, "imap": {"host": "h"}}, "missing key 'imap.username'"),
        ({**BASE, "imap": {"host": "h", "username": "u"}}, "missing key 'imap.password'"),
        (
            {
                **BASE,
                "imap": {
                    "host": "h",
                    "username": "u",
                    "password": "p",
                    "oauth2_token_command": "t",
                },
            },
            "'imap.password' and 'imap.oauth2_token_command': set one",
        ),
        ({**BASE, "outbound": {"oauth2_token_command": "t"}}, "missing key 'outbound.username'"),
        # a login with half its credentials: every mail failed at the relay, queued for good
        ({**BASE, "outbound": {"username": "u"}}, "missing key 'outbound.password'"),
        ({**BASE, "outbound": {"password": "p"}}, "missing key 'outbound.username'"),
        (
            {**BASE, "outbound": {"username": "u", "password": "p", "oauth2_token_command": "t"}},
            "'outbound.password' and 'outbound.oauth2_token_command': set one",
        ),
        (
            {**BASE, "imap": {"host": "h", "username": "u", "oauth2_token_command": "get 'token"}},
            "'imap.oauth2_token_command' must be a command line",
        ),
        ({**BASE, "bogus": {}}, "unknown section '[bogus]'"),
        # its [storage] line left out: it read «unknown section '[path]'»
        (
            {**BASE, "path": "/x"},
            "key 'path' stands above every section: put it under [storage] or [templates]",
        ),
        ({**BASE, "bogus": 1}, "key 'bogus' stands above every section"),
        ({**BASE, "calendar": {"extra_days_off": ["2026-13-01"]}}, "calendar.extra_days_off"),
        ({"support": {"address": "not an address"}, "storage": {"path": "/x"}}, "support.address"),
        ({**BASE, "schedule": {"daily_report_time": "25:00"}}, "schedule.daily_report_time"),
        # an address without its mailbox or domain: every ingest failed (exit 75, forever)
        ({"support": {"address": "support@"}, "storage": {"path": "/x"}}, "support.address"),
        ({**BASE, "support": {**BASE["support"], "head": "@example.com"}}, "support.head"),
        (
            {**BASE, "support": {**BASE["support"], "staff": ["a@x.ru", "anna@", "b@x.ru"]}},
            "key 'support.staff' must be a list of email addresses ('anna@' is not one)",
        ),
        # staff mail to the support address would come straight back in as maild's own
        (
            {**BASE, "support": {**BASE["support"], "staff": ["a@x.ru", "SUPPORT@example.com"]}},
            "key 'support.staff' lists the support address support@example.com",
        ),
        (
            {**BASE, "support": {**BASE["support"], "head": "support+head@example.com"}},
            "key 'support.head' is the support address support@example.com",
        ),
        # 0 seconds is no "no timeout": the outbox crashed, the IMAP poller would spin
        ({**BASE, "outbound": {"timeout": 0}}, "'outbound.timeout' must be a number of seconds"),
        ({**BASE, "smtp": {"timeout": 0}}, "'smtp.timeout' must be a number of seconds"),
        (
            {**BASE, "imap": {"host": "h", "username": "u", "password": "p", "poll_interval": 0}},
            "'imap.poll_interval' must be a number of seconds",
        ),
        # a listener that takes no connection, or no message text, at all
        ({**BASE, "smtp": {"max_connections": 0}}, "'smtp.max_connections' must be a number"),
        ({**BASE, "smtp": {"max_data_transfers": 0}}, "'smtp.max_data_transfers' must be"),
        # a message shunted after 0 crashes, mail given up after 0 tries
        (
            {**BASE, "storage": {**BASE["storage"], "max_attempts": 0}},
            "'storage.max_attempts' must be a number of attempts above 0",
        ),
        (
            {**BASE, "schedule": {"outbox_give_up_attempts": 0}},
            "'schedule.outbox_give_up_attempts' must be a number of attempts above 0",
        ),
        # moved where it was read: taken (and spooled) again after every move
        (
            {
                **BASE,
                "imap": {
                    "host": "h",
                    "username": "u",
                    "password": "p",
                    "processed_folder": "inbox",
                },
            },
            "key 'imap.processed_folder' is imap.folder",
        ),
        # relative: another store in every directory a command is run from
        ({**BASE, "storage": {"path": "store"}}, "'storage.path' must be an absolute"),
        ({**BASE, "templates": {"path": "templates"}}, "'templates.path' must be an absolute"),
    ],
)
def test_errors_name_key_and_file(raw, needle):
    with pytest.raises(ConfigError) as e:
        parse(raw, "/etc/maild/maild.toml")
    assert needle in str(e.value) and "/etc/maild/maild.toml" in str(e.value)
    assert "\n" not in str(e.value)


CALENDAR_KEYS = ("extra_days_off", "extra_working_days")


@pytest.mark.parametrize("key", CALENDAR_KEYS)
@pytest.mark.parametrize(
    ("value", "bad"),
    [
        ("10:00:00", "10:00:00"),  # a TOML time: check-config and serve had a traceback
        ("2027-01-09T10:00:00", "2027-01-09 10:00:00"),  # a date and time
        ("2027-01-09T10:00:00+03:00", "2027-01-09 10:00:00+03:00"),
        ('"2027-13-01"', "'2027-13-01'"),
        ("1", "1"),
    ],
)
def test_a_calendar_day_that_is_no_date_is_one_line_naming_key_and_entry(key, value, bad):
    raw = tomllib.loads(f"[calendar]\n{key} = [2027-01-08, {value}]\n")
    with pytest.raises(ConfigError) as e:
        parse({**BASE, **raw}, "/etc/maild/maild.toml")
    said = f"/etc/maild/maild.toml: key 'calendar.{key}' must be a list of dates YYYY-MM-DD"
    assert str(e.value) == f"{said} ({bad} is not one)"


@given(
    st.lists(
        st.one_of(st.dates(), st.datetimes(), st.times(), st.dates().map(str), st.text()),
        max_size=3,
    )
)
def test_calendar_days_are_dates_or_refused(values):
    """Whatever a list holds, it is refused in one line or read as plain dates."""
    try:
        cfg = parse({**BASE, "calendar": {"extra_days_off": values}}, "f.toml")
    except ConfigError as e:
        assert "calendar.extra_days_off" in str(e) and "\n" not in str(e)
        return
    days = cfg.calendar.extra_days_off
    assert all(type(d) is date for d in days) and len(days) == len(values)


def test_load_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[support\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(bad)


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("...", "is the placeholder '...'"),
        ("CHANGE_ME", "is the placeholder"),
        ("your secret here", "is the placeholder"),
        ("k" * 15 + "!", None),
        ("0123456789abcde", "has 15 characters, fewer than 16"),
        ("0123456789abcdef", None),
        (" " * 20, "is one character repeated"),
        ("", None),  # none: maild makes one, as when the key is not set
    ],
)
def test_guessable_signing_keys_are_errors(secret, why):
    raw = {**BASE, "support": {**BASE["support"], "reply_secret": secret}}
    raw["web"] = {"base_url": "https://support.example.com", "secret": secret}
    if why is None:
        assert parse(raw, "f.toml").support.reply_secret == secret
        return
    with pytest.raises(ConfigError) as e:
        parse(raw, "/etc/maild/maild.toml")
    assert [why in p for p in e.value.problems] == [True, True]
    assert "'support.reply_secret'" in e.value.problems[0] and "'web.secret'" in e.value.problems[1]


def _example_with(tmp_path, data: bytes):
    f = tmp_path / "maild.toml"
    text = EXAMPLE.read_text().replace('"/var/lib/maild"', f'"{tmp_path}/store"')
    f.write_bytes(data.replace(b"EXAMPLE", text.encode()))
    return f


def test_a_config_saved_with_a_byte_order_mark_loads(tmp_path):
    """Windows editors (Notepad) save UTF-8 with a BOM: it is UTF-8 all the same."""
    f = _example_with(tmp_path, b"\xef\xbb\xbfEXAMPLE")
    assert load(f).support.name == "Служба поддержки"


def test_a_config_in_windows_1251_names_line_key_and_file(tmp_path):
    f = _example_with(tmp_path, b"EXAMPLE")
    f.write_bytes(f.read_text().encode("cp1251"))
    with pytest.raises(ConfigError) as e:
        load(f)
    line = next(
        n for n, s in enumerate(EXAMPLE.read_text().splitlines(), 1) if s.startswith("name ")
    )
    assert str(e.value).startswith(f"{f}: line {line}, key 'support.name': not UTF-8")
    assert "\n" not in str(e.value)


def test_a_key_given_twice_is_named(tmp_path):
    data = EXAMPLE.read_bytes().replace(b"\nstaff ", b'\nstaff = ["boris@example.com"]\nstaff ')
    f = _example_with(tmp_path, data.replace(b"EXAMPLE", b""))
    f.write_bytes(data.replace(b'"/var/lib/maild"', f'"{tmp_path}/s"'.encode()))
    with pytest.raises(ConfigError) as e:
        load(f)
    assert "key 'support.staff' is given twice" in str(e.value) and str(f) in str(e.value)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize(
    ("line", "mistake", "key"),
    [
        (b'name     = "', b"name     = \xc2\xab", "support.name"),
        # named by the last [section] above its line, not by the file's first section
        (b'\nhost = "127.0.0.1"', b"\nhost = 127.0.0.1:25", "outbound.host"),
    ],
)
def test_a_toml_mistake_names_the_key_of_its_line(tmp_path, line, mistake, key):
    data = EXAMPLE.read_bytes()
    assert line in data
    f = _example_with(tmp_path, b"")
    f.write_bytes(data.replace(line, mistake))
    with pytest.raises(ConfigError) as e:
        load(f)
    assert f"{f}: not valid TOML at key '{key}':" in str(e.value)


def test_the_example_sets_no_value_of_its_own_but_the_schemas_defaults():
    """README's install copies the example to /etc/maild/maild.toml, so each value set
    in it overrides the schema's default on a fresh install: `reminder_fraction = 0.75`
    there kept 75 % after the schema's default changed. A value set in the example is
    the default, documented; a value the admin must replace says so in its comment
    («yours (default: ...)»); a required key says «required»."""
    from maild.configschema import REQUIRED

    data = tomllib.loads(EXAMPLE.read_text())
    comments: dict[tuple[str, str], str] = {}
    section = None
    for line in EXAMPLE.read_text().splitlines():
        if line.startswith("["):
            section = line[1 : line.index("]")]
        elif line[:1].isalpha() and "=" in line:
            key = line.split("=", 1)[0].strip()
            comments[section, key] = line.partition("#")[2]
    checked = 0
    for name, values in data.items():
        for key, value in values.items():
            default, comment = SCHEMA[name][key][2], comments[name, key]
            if default is REQUIRED:
                assert "required" in comment, f"[{name}] {key}: say it is required"
            elif value != default:
                assert "yours (default: " in comment, f"[{name}] {key} = {value!r}, not {default!r}"
            checked += 1
    assert checked > 30  # the loop saw the example's values


def test_an_ipv6_listen_address_is_its_host_without_brackets():
    """`listen = "[::1]:2525"`: the listener is opened on ::1 (a host in brackets is no
    address the socket takes: serve would not start) at port 2525."""
    from maild.configtypes import SmtpConfig

    smtp = SmtpConfig(listen="[::1]:2525", protocol="smtp", max_message_size=1000)
    assert (smtp.host, smtp.port) == ("::1", 2525)
    assert (
        SmtpConfig(listen="127.0.0.1:25", protocol="lmtp", max_message_size=1).host == "127.0.0.1"
    )


# Every section set, each key valid: one key changed at a time, so each case gives
# exactly one problem.
FULL = {
    **BASE,
    "support": {**BASE["support"], "staff": ["anna@example.com"], "inbound_banners": ["EXT"]},
    "smtp": {"listen": "127.0.0.1:8025"},
    "web": {"base_url": "https://support.example.com"},
    "metrics": {"listen": "127.0.0.1:9100"},
    "imap": {"host": "imap.example.com", "username": "u", "password": "p"},
}


def _with(section: str, key: str, value) -> dict:
    return {**FULL, section: {**FULL.get(section, {}), key: value}}


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("support", "address", "support@example.com@evil.example"),  # two @: which domain?
        ("support", "address", "sup port@example.com"),  # a space in the mailbox
        ("support", "staff", ["anna@example.com", "bo ris@example.com"]),
        ("support", "inbound_banners", ["EXT", "  "]),  # a blank text is in every mail
        ("smtp", "listen", "127.0.0.1:0"),  # a new random port at each start
        ("metrics", "listen", "127.0.0.1:65536"),
        ("outbound", "port", 0),
        ("outbound", "port", 65536),
        ("outbound", "host", "relay example.com"),
        ("limits", "max_recipients", True),  # TOML true is no number
        ("storage", "max_attempts", True),
        ("outbound", "timeout", True),  # (True is 1: a number of seconds to Python)
        ("support", "max_auto_replies_per_hour", -1),  # a cap no count stays under
        ("schedule", "reminder_fraction", 1),  # a reminder at the deadline itself
        ("schedule", "reminder_fraction", 0),
        ("schedule", "digest_time", "24:00"),
        ("schedule", "daily_report_time", "09:60"),
        # digits that are no ASCII digits: "²" (str.isdigit's) was a traceback, the
        # fullwidth and Arabic-Indic ones (int's) a port or time no admin typed so
        ("schedule", "digest_time", "0²:00"),
        ("schedule", "digest_time", "٠٩:٠٠"),
        ("smtp", "listen", "127.0.0.1:²5"),
        ("metrics", "listen", "127.0.0.1:９１００"),
        # the system listens on 127.0.0.1 (the host up to its NUL); check-config warned
        # that it takes mail from other hosts
        ("smtp", "listen", "127.0.0.1\x00.example:8025"),
        ("web", "base_url", "https://"),  # no host: every link in every letter broken
        ("web", "base_url", "https://support.example.com/a b"),
        # past what the code using them takes: each passed check-config and broke maild
        ("outbound", "timeout", float("inf")),  # socket.settimeout: every send raised
        ("outbound", "timeout", 1e10),  # (a socket takes at most about 9.2e9 s)
        ("outbound", "timeout", 0.001),  # every send timed out, even to 127.0.0.1
        ("imap", "poll_interval", float("inf")),  # its wait raised: reconnecting every 1 s
        ("imap", "poll_interval", 1e10),
        ("storage", "keep_closed_days", 10**6),  # before year 1: both purges raised daily
        ("spam", "keep_days", 10**6),  # the quarantine's expiry raised daily
        ("schedule", "credentials_keep_days", 10**30),  # the redaction raised
        ("web", "link_days", 10**64),  # an expiry day of 65 digits: every link "bad"
        ("schedule", "waiting_reminder_days", 10**9),  # counted day by day: 12 s, then raised
        ("schedule", "waiting_autoclose_days", 10**9),
        ("smtp", "max_message_size", 2**36),  # ingest's read of 64 GiB: MemoryError
        ("smtp", "max_message_size", 10**30),  # ingest: "cannot fit 'int'", exit 75
        ("smtp", "max_message_size", 0),  # every mail refused (552, ingest's 65)
        # the From line's name: every mail's processing raised (ingest's 75, for good)
        ("support", "name", "Служба\nподдержки"),
        ("support", "name", "Служба поддержки\r"),
        # sent to the IMAP server as they stand: every round failed, or no mail was moved
        ("imap", "folder", ""),  # SELECT: "Name is empty"
        ("imap", "folder", "INBOX\nX"),  # a line of its own: the server's answer unreadable
        ("imap", "processed_folder", ""),  # every mail left unmoved, retried every 300 s
        ("imap", "processed_folder", "Done\r\nX"),
        ("imap", "username", "support@example.com\n"),  # the LOGIN refused as malformed
        # an argument no program can be given: every send raised ("embedded null byte")
        ("outbound", "oauth2_token_command", "/bin/echo tok\x00en"),
        ("storage", "path", "/var/lib/mai\x00ld"),  # every command: "embedded null byte", exit 1
        ("web", "base_url", "https://support.example.com\n/help"),  # as a blank: links cut
    ],
)
def test_a_value_out_of_range_is_one_line_naming_key_and_file_and_not_taken(section, key, value):
    """An admin's value the checks must refuse, each just past the edge of what is
    taken: one line naming the key and the file, the only problem (so the edge is what
    refused it, not another key); the config is not taken."""
    with pytest.raises(ConfigError) as e:
        parse(_with(section, key, value), "/etc/maild/maild.toml")
    assert e.value.problems == [str(e.value)]
    assert str(e.value).startswith(f"/etc/maild/maild.toml: key '{section}.{key}' must be ")


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("smtp", "listen", "127.0.0.1:1"),
        ("metrics", "listen", "[::1]:65535"),
        ("outbound", "port", 1),
        ("outbound", "port", 65535),
        ("storage", "max_attempts", 1),  # one try, no retry
        ("schedule", "outbox_give_up_attempts", 1),
        ("smtp", "max_connections", 1),
        ("limits", "max_recipients", 0),
        ("schedule", "reminder_fraction", 0.99),
        ("schedule", "digest_time", "23:59"),
        ("schedule", "daily_report_time", "00:00"),
        ("web", "base_url", "http://h"),
        ("support", "address", " support@example.com "),
        ("outbound", "timeout", 86400),
        ("outbound", "timeout", 0.1),
        ("imap", "poll_interval", 86400),
        ("storage", "keep_closed_days", 36500),  # a hundred years
        ("spam", "keep_days", 36500),
        ("schedule", "credentials_keep_days", 36500),
        ("web", "link_days", 36500),
        ("schedule", "waiting_reminder_days", 1000),
        ("schedule", "waiting_autoclose_days", 1000),
        ("smtp", "max_message_size", 1 << 30),
        ("smtp", "max_message_size", 1024),
        ("support", "name", "Служба\u00a0поддержки «Ромашки» 24/7"),
        ("imap", "processed_folder", "Готово/Обработано"),
        ("web", "base_url", "https://поддержка.рф/help"),
    ],
)
def test_a_value_at_the_edge_of_its_range_is_taken(section, key, value):
    """The nearest values that are in range load as written: a bound one off would
    refuse a config an admin may rightly have."""
    cfg = parse(_with(section, key, value), "/etc/maild/maild.toml")
    got = getattr(getattr(cfg, section), key)
    assert got == (value.strip().lower() if key == "address" else value)


def test_processed_mail_moved_into_the_folder_it_is_read_from_is_refused():
    """Any folder, not only INBOX: mail moved where it is read would be taken, spooled
    and moved again on every round, without end."""
    imap = {**FULL["imap"], "folder": "Support", "processed_folder": "Support"}
    with pytest.raises(ConfigError) as e:
        parse({**FULL, "imap": imap}, "/etc/maild/maild.toml")
    assert str(e.value).startswith(
        "/etc/maild/maild.toml: key 'imap.processed_folder' is imap.folder ('Support')"
    )
    other = parse({**FULL, "imap": {**imap, "processed_folder": "Support/Done"}}, "f.toml")
    assert other.imap.processed_folder == "Support/Done"


def test_a_year_named_only_by_a_working_day_set_by_hand_is_known_to_the_calendar():
    """An admin who lists next year's transferred working Saturday alone has told maild
    that year: check-config and the daily report no longer warn that its transfers are
    unknown (both read calendar.listed: days off and working days)."""
    from maild.domain.calendar import unknown_year

    cfg = parse({**BASE, "calendar": {"extra_working_days": ["2027-01-09"]}}, "f.toml")
    assert cfg.calendar.listed == (date(2027, 1, 9),)
    assert unknown_year(date(2026, 12, 7), cfg.calendar.listed, lambda year: False) == 2026
    assert unknown_year(date(2027, 3, 1), cfg.calendar.listed, lambda year: False) is None


def test_the_domain_of_a_cyrillic_support_address_is_in_a_labels():
    """maild's Message-IDs name support's domain: «поддержка.рф» in 8-bit characters
    would give ids that thread in no client (and are left out of the mail)."""
    cfg = parse({**BASE, "support": {"address": "help@поддержка.рф"}}, "f.toml")
    assert cfg.support.domain == "xn--80ahaefyxhn.xn--p1ai"


def test_a_site_address_ending_in_a_slash_gives_links_without_a_double_slash():
    """Links are base_url + "/t/<token>": "https://support.example.com/help/" as typed
    gave ".../help//t/..." in every letter."""
    cfg = parse(_with("web", "base_url", "https://support.example.com/help/"), "f.toml")
    assert cfg.web is not None and cfg.web.base_url == "https://support.example.com/help"


def test_a_storage_path_under_the_home_folder_is_that_folder():
    """storage.path = "~/maild" (an admin's own test desk) is the store in the home
    folder of the user maild runs as, not a folder named "~" wherever it was run."""
    cfg = parse({**BASE, "storage": {"path": "~/maild"}}, "f.toml")
    assert cfg.storage_path == Path.home() / "maild"


def test_a_templates_path_that_is_a_file_is_a_problem(tmp_path):
    """templates.path set to a template file rather than its folder: every command
    refuses it (app.App), not quietly mailing the shipped wording instead."""
    from maild.config import templates_problem

    one = tmp_path / "ack.txt.j2"
    one.write_text("Здравствуйте!\n")
    cfg = parse({**BASE, "templates": {"path": str(one)}}, "/etc/maild/maild.toml")
    said = f"/etc/maild/maild.toml: templates.path {one} is not a directory"
    assert templates_problem(cfg) == said
    assert templates_problem(parse({**BASE, "templates": {"path": str(tmp_path)}}, "f")) is None
