"""check-config said OK of listeners `maild serve` cannot all start: two on one
address and port (serve exits 71, and the unit restarts it every 5 s for ever), a
host that does not resolve. Each is a problem now (78), one line naming the keys."""

from __future__ import annotations

from tests.helpers import Desk


def _problems(desk: Desk) -> tuple[int, list[str]]:
    r = desk.run("check-config")
    lines = r.err.strip().splitlines()
    return r.code, [x for x in lines if x.startswith("maild: config error:")]


def test_two_listeners_on_one_address_and_port_are_a_problem(tmp_path, sink):
    listen = "127.0.0.1:18125"
    desk = Desk(
        tmp_path,
        sink.port,
        smtp={"listen": listen},
        web={"listen": "localhost:18125", "base_url": "https://support.example.com"},
        metrics={"listen": "0.0.0.0:18125"},
    )
    code, lines = _problems(desk)
    clash = "are one address and port: only one listener can start there; give each its own port"
    assert code == 78 and lines == [
        f"maild: config error: {desk.config}: smtp.listen = {listen} and "
        f"web.listen = localhost:18125 {clash}",
        f"maild: config error: {desk.config}: smtp.listen = {listen} and "
        f"metrics.listen = 0.0.0.0:18125 {clash}",
        f"maild: config error: {desk.config}: web.listen = localhost:18125 and "
        f"metrics.listen = 0.0.0.0:18125 {clash}",
    ]
    desk.sections["web"]["listen"] = "127.0.0.1:18126"
    desk.sections["metrics"]["listen"] = "127.0.0.2:18125"  # another address: both start
    desk.write_config()
    assert _problems(desk) == (0, [])
    assert not (tmp_path / "data").exists()  # (check-config makes nothing)


def test_a_listen_host_that_does_not_resolve_is_a_problem(tmp_path, sink):
    desk = Desk(tmp_path, sink.port, smtp={"listen": "nohost.invalid:18127"})
    code, [line] = _problems(desk)
    assert code == 78 and line.startswith(
        f"maild: config error: {desk.config}: smtp.listen = nohost.invalid:18127: "
        "the host nohost.invalid does not resolve ("
    ), line
    assert line.endswith("): give its IP address")


def test_ipv6_listeners_on_one_address_and_port_are_a_problem(tmp_path, sink):
    """An IPv6 listen is written in brackets, [::1]:PORT: its host is resolved without
    them, and the IPv6 wildcard [::] takes the port from every IPv6 address, as
    0.0.0.0 does from every IPv4 one."""
    desk = Desk(
        tmp_path, sink.port, smtp={"listen": "[::]:18128"}, metrics={"listen": "[::1]:18128"}
    )
    code, lines = _problems(desk)
    assert code == 78 and lines == [
        f"maild: config error: {desk.config}: smtp.listen = [::]:18128 and metrics.listen = "
        "[::1]:18128 are one address and port: only one listener can start there; give "
        "each its own port"
    ]
    desk.sections["metrics"]["listen"] = "[::1]:18129"
    desk.write_config()
    assert _problems(desk) == (0, [])


def test_listeners_of_the_two_families_on_one_port_are_no_problem(tmp_path, sink):
    """serve listens on an IPv6 address with IPV6_V6ONLY (asyncio's create_server): 0.0.0.0
    leaves the port of ::1 free, and [::] that of 127.0.0.1; check-config called them one
    address and port (78), and the unit's ExecStartPre stopped a serve that would start."""
    desk = Desk(
        tmp_path, sink.port, smtp={"listen": "0.0.0.0:18130"}, metrics={"listen": "[::1]:18130"}
    )
    assert _problems(desk) == (0, [])
    desk.sections["smtp"]["listen"], desk.sections["metrics"]["listen"] = (
        "[::]:18131",
        "127.0.0.1:18131",
    )
    desk.write_config()
    assert _problems(desk) == (0, [])
