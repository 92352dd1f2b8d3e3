"""Roundup's mail gateway on the same messages, in-process, for comparison.

Run by bench/run.py in a separate interpreter (the one Roundup is installed in):
    python bench/roundup_gw.py WORKDIR N SEED
Prints one JSON line: {"backend", "n", "median_ms", "mean_ms", "msgs_per_s", "issues"}.

The tracker is the stock "classic" template, sqlite backend, with the two settings
its install notes require (tracker web, mail domain), mail written to a file
instead of sent, and "Email Access" for Anonymous so that unknown senders get an
account (otherwise every message would bounce). Everything else is Roundup's
default, including pbkdf2 hashing of each new user's generated password.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mails import make_mails  # noqa: E402


def setup(home: Path, backend: str) -> None:
    from roundup.admin import AdminTool

    argv = sys.argv
    try:
        sys.argv = ["roundup-admin", "-i", str(home), "install", "classic", backend]
        AdminTool().main()
        cfg = home / "config.ini"
        text = cfg.read_text()
        text = text.replace("#web = NO DEFAULT", "web = http://localhost/tracker/", 1)
        text = text.replace("#domain = NO DEFAULT", "domain = example.com", 1)
        cfg.write_text(text)
        schema = home / "schema.py"
        schema.write_text(
            schema.read_text().replace(
                "#db.security.addPermissionToRole('Anonymous', 'Email Access')",
                "db.security.addPermissionToRole('Anonymous', 'Email Access')",
            )
        )
        sys.argv = ["roundup-admin", "-i", str(home), "initialise", "adminpw"]
        rc = AdminTool().main()
        if rc:
            raise SystemExit(f"roundup-admin initialise failed: {rc}")
    finally:
        sys.argv = argv


def main() -> int:
    work, n, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    backend = sys.argv[4] if len(sys.argv) > 4 else "sqlite"
    work.mkdir(parents=True, exist_ok=True)
    os.environ["SENDMAILDEBUG"] = str(work / "outgoing.mbox")
    logging.basicConfig(level=logging.ERROR)
    home = work / "tracker"
    with open(os.devnull, "w") as devnull:  # roundup-admin prints its install notes
        stdout, sys.stdout = sys.stdout, devnull
        try:
            setup(home, backend)
        finally:
            sys.stdout = stdout

    import roundup.instance
    from roundup.mailgw import MailGW

    instance = roundup.instance.open(str(home))
    args = argparse.Namespace(
        default_class="", set_value=[], oauth_directory=None, oauth_token_endpoint=None, args=[]
    )
    mails = make_mails(n + 10, seed=seed, run="r")
    times = []
    failed = 0
    t_all = time.perf_counter()
    for i, (_sender, _msgid, raw) in enumerate(mails):
        gw = MailGW(instance, args)
        t0 = time.perf_counter()
        try:
            gw.main(io.BytesIO(raw))
        except Exception:
            failed += 1
        if i >= 10:  # the first ten warm up imports and caches
            times.append(time.perf_counter() - t0)
        else:
            t_all = time.perf_counter()
    total = time.perf_counter() - t_all
    db = instance.open("admin")
    issues = len(db.issue.list())
    db.close()
    times.sort()
    print(
        json.dumps(
            {
                "backend": backend,
                "n": len(times),
                "median_ms": times[len(times) // 2] * 1000,
                "mean_ms": sum(times) / len(times) * 1000,
                "msgs_per_s": len(times) / total,
                "issues": issues,
                "failed": failed,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
