"""Messages that sent the admin the wrong way: storage.path naming a file was "its
mode 0o644 bars writing: chmod u+rwx FILE" (check-config rightly said "not a
directory"); a listen host that does not resolve was "Unknown error -2"."""

from __future__ import annotations

import contextlib

from tests.helpers import Daemon, Desk


def test_a_storage_path_naming_a_file_is_said_so_by_every_command(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    afile = tmp_path / "afile"
    afile.write_text("x\n")
    desk.sections["storage"]["path"] = str(afile)
    desk.write_config()
    line = f"maild: config error: {desk.config}: storage.path {afile} is not a directory"
    for args, code in (("status",), 78), (("ticket", "list"), 78), (("ingest", "-"), 75):
        r = desk.run(*args, input=b"From: a@b.example\n\nhi\n")
        assert r.code == code and r.err.splitlines() == [line], (args, r)
    r = desk.run("check-config")
    assert r.code == 78 and line in r.err.splitlines(), r
    assert afile.read_text() == "x\n"


def test_a_listen_host_that_does_not_resolve_is_named(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    desk.sections["smtp"] = {"listen": "nosuch.invalid:2525"}
    desk.write_config()
    desk.make_store()  # (a read command would refuse; a listing makes none)
    daemon = Daemon(desk)
    with contextlib.suppress(RuntimeError):
        daemon.start()
    assert daemon.proc.wait(timeout=20) == 71
    daemon.stop()
    log = daemon.logtext()
    assert "Unknown error" not in log, log
    assert (
        "cannot listen on nosuch.invalid:2525: the host nosuch.invalid does not resolve (" in log
    ), log


def test_a_listen_port_0_is_refused_by_check_config(tmp_path, sink):
    """Port 0 is a new random port at each start: postfix (the proxy, Prometheus)
    cannot be pointed at it, and check-config said OK."""
    for key in ("smtp", "metrics"):
        (tmp_path / key).mkdir()
        desk = Desk(tmp_path / key, sink.port, **{key: {"listen": "127.0.0.1:0"}})
        r = desk.run("check-config")
        assert r.code == 78, (key, r)
        [line] = [x for x in r.err.splitlines() if x.startswith("maild: config error: ")]
        assert line.endswith(
            f"key '{key}.listen' must be HOST:PORT, a port from 1 to 65535"
            " (0, a random one, is no port to point to)"
        ), line
