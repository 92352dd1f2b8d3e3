"""`python -m tests.pace --config FILE serve`: maild with some of its timers shorter,
for a test that waits for one of them and is not about its length (the listener's
probe every 5 s, a retry after 1, 2, 4 s): a test of what the daemon does then waits
its timer, not the production one (helpers.Daemon(pace=...)).

MAILD_PACE is JSON, {"module.NAME": value}: each module attribute is set before maild
starts, in this process and so in the children it forks. A name that no longer exists
fails the start: a renamed timer must not leave its test waiting the full time."""

from __future__ import annotations

import importlib
import json
import os
import runpy

for dotted, value in json.loads(os.environ.get("MAILD_PACE", "{}")).items():
    module_name, name = dotted.rsplit(".", 1)
    module = importlib.import_module(module_name)
    if not hasattr(module, name):
        raise SystemExit(f"tests.pace: {module_name} has no {name}")
    setattr(module, name, value)

main = "tests.clockshift" if float(os.environ.get("MAILD_DAYS_AHEAD", "0")) else "maild"
runpy.run_module(main, run_name="__main__", alter_sys=True)
