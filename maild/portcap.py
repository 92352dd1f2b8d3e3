"""Listening ports: why `maild serve` cannot listen on one, in one line, and the
exit that stops the unit's restarts when no restart can help (no permission).

Ports below net.ipv4.ip_unprivileged_port_start (1024) take CAP_NET_BIND_SERVICE:
the service user has it only from the unit's AmbientCapabilities= line, commented out
as shipped. check-config (the unit's ExecStartPre, run as the service user with its
capabilities) warns of such a port while it lacks the capability; run as root, it
warns as the storage's owner would (it has no capability unless the unit grants it)."""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

from maild.configtypes import Config
from maild.ownerreads import service_user
from maild.privileges import user_name

EX_OSERR = 71  # a listener could not start: its port is taken (a restart may find it free)
EX_CONFIG = 78  # no permission: a restart every 5 s cannot help (RestartPreventExitStatus)
CAP_NET_BIND_SERVICE = 10  # its bit in /proc/self/status CapEff
_START = Path("/proc/sys/net/ipv4/ip_unprivileged_port_start")


class CannotListen(Exception):
    """A listener that could not start: `line` for the log, `code` for serve's exit."""

    def __init__(self, what: str, listen: str, e: OSError) -> None:
        why = os.strerror(e.errno) if e.errno else str(e)
        if isinstance(e, socket.gaierror):  # its errno is getaddrinfo's: "Unknown error -2"
            host = listen.rsplit(":", 1)[0]
            why = f"the host {host} does not resolve ({e.strerror}): give its IP address"
        super().__init__(f"cannot listen on {listen}{what}: {why}{refused_hint(listen, e)}")
        denied = e.errno in (errno.EACCES, errno.EPERM)
        self.code = EX_CONFIG if denied else EX_OSERR


def unprivileged_start() -> int | None:
    """net.ipv4.ip_unprivileged_port_start; None where /proc/sys is hidden (the unit's
    ProcSubset=pid): an admin may have lowered it, so nothing is said of a port then."""
    try:
        return int(_START.read_text())
    except (OSError, ValueError):
        return None


def _port(listen: str) -> int:
    return int(listen.rsplit(":", 1)[1])


def _hint(start: int) -> str:
    return (
        f"a port below {start} takes CAP_NET_BIND_SERVICE: uncomment the unit's two "
        "lines that grant it (CapabilityBoundingSet=, AmbientCapabilities=; README, "
        f"Install as a service), or use a port from {start} up"
    )


def refused_hint(listen: str, e: OSError) -> str:
    """What to do about a low port the process may not listen on; '' otherwise."""
    start = unprivileged_start() or 1024  # (the bind was refused: the kernel's default)
    if e.errno not in (errno.EACCES, errno.EPERM) or not 0 < _port(listen) < start:
        return ""
    return f"; {_hint(start)}"


def may_bind_low() -> bool:
    """Whether this process holds CAP_NET_BIND_SERVICE (root as a rule does)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> CAP_NET_BIND_SERVICE & 1)
    except (OSError, ValueError, IndexError):
        pass
    return os.geteuid() == 0


def low_port_warnings(cfg: Config) -> list[str]:
    """Each listener on a port this process could not listen on: serve, run as the
    same user with the same capabilities (the unit's), would stop there. Run as root,
    each such port the storage's owner could not listen on, as files are judged
    (ownerreads): serve started by root switches to that user and loses root's
    capabilities, and the unit runs it as that user."""
    listens = [("smtp.listen", cfg.smtp.listen if cfg.smtp else None)]
    listens += [("web.listen", cfg.web.listen if cfg.web else None)]
    listens += [("metrics.listen", cfg.metrics.listen)]
    start = unprivileged_start()
    if start is None:  # not known here: serve's own refusal will say it, if any
        return []
    low = [(k, v) for k, v in listens if v and 0 < _port(v) < start]
    owner = service_user(cfg)  # root: serve switches to it, and has no capability then
    if not low or (owner is None and may_bind_low()):
        return []
    user = f"{owner.who}," if owner is not None else user_name(os.geteuid())
    return [f"{k} = {v}: {user} may not listen there: {_hint(start)}" for k, v in low]


def _listens(cfg: Config) -> list[tuple[str, str]]:
    """(key, HOST:PORT) of each listener `maild serve` starts."""
    found = [("smtp.listen", cfg.smtp.listen if cfg.smtp else None)]
    found += [("web.listen", cfg.web.listen if cfg.web else None)]
    found += [("metrics.listen", cfg.metrics.listen)]
    return [(k, v) for k, v in found if v]


def _addresses(listen: str) -> set[str]:
    """The addresses a listener on `listen` binds, as serve resolves its host (an empty
    host or 0.0.0.0: every address); raises socket.gaierror for a host that does not
    resolve."""
    host = listen.rsplit(":", 1)[0].strip("[]") or None
    found = socket.getaddrinfo(
        host, _port(listen), type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )
    return {str(info[4][0]) for info in found}


_ANY = {"0.0.0.0", "::"}
_ONE_STARTS = "only one listener can start there; give each its own port"


def _clash(one: set[str], other: set[str]) -> bool:
    """Whether listeners on these addresses (of one port) take it from one another: an
    address both bind, or a wildcard and an address of its family. serve listens on an
    IPv6 address with IPV6_V6ONLY (asyncio's create_server): [::] leaves 0.0.0.0 free."""
    return bool(one & other) or any(
        (a in _ANY or b in _ANY) and (":" in a) == (":" in b) for a in one for b in other
    )


def listen_problems(cfg: Config) -> list[str]:
    """Listeners `maild serve` could not start whatever the moment: two on one address
    and port (the second finds it taken: exit 71, and the unit restarts it every 5 s
    for ever), a host that does not resolve. One line each, naming the keys."""
    out: list[str] = []
    bound: list[tuple[str, str, set[str]]] = []
    for key, listen in _listens(cfg):
        try:
            addresses = _addresses(listen)
        except socket.gaierror as e:
            if e.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
                host = listen.rsplit(":", 1)[0]
                out.append(f"{key} = {listen}: the host {host} does not resolve ({e.strerror}): "
                           "give its IP address")  # fmt: skip
            continue  # (a resolver not answering now: serve's start says it, if it lasts)
        for other, other_listen, other_addresses in bound:
            same = _clash(addresses, other_addresses)
            if _port(listen) == _port(other_listen) and _port(listen) and same:
                both = f"{other} = {other_listen} and {key} = {listen}"
                out.append(f"{both} are one address and port: {_ONE_STARTS}")
        bound.append((key, listen, addresses))
    return out
