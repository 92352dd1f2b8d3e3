#!/bin/sh
# Install maild with its test extra into ./.venv and run the whole test suite on
# pytest-xdist workers, two for each core (at most 6): most integration tests wait on
# a daemon, a relay or a browser, and the other workers use that time. On two cores
# the suite took 120, 124 and 125 s on four workers against 134 and 142 s on three,
# in alternating runs of one tree (2026-12-05).
# Extra arguments go to pytest (e.g. ./test.sh -n0 tests/unit for one process).
set -eu
cd "$(dirname "$0")"
if [ ! -x .venv/bin/maild ]; then
    python3 -m venv .venv
    .venv/bin/pip install -q --upgrade pip
fi
# The install is editable (maild's code is used where it is): only pyproject.toml
# changes what it installs. pip builds the editable wheel again each time (~6 s of CPU
# on two cores), so it runs when pyproject.toml differs from the one last installed.
if ! cmp -s pyproject.toml .venv/installed-pyproject.toml; then
    .venv/bin/pip install -q -e '.[test]'
    cp pyproject.toml .venv/installed-pyproject.toml
fi
# The suite starts hundreds of Python processes (maild serve, ingest, ...), and each
# worker rewrites the asserts of every test module it collects. With bytecode caching
# off (PYTHONDONTWRITEBYTECODE, which some shells set to keep checkouts clean) all of
# it is compiled again every time: ~7 s of CPU per worker before the first test. So
# bytecode is written, to the __pycache__ folders .gitignore leaves out. (Not to a
# PYTHONPYCACHEPREFIX: Python then looks there for the standard library's and the
# installed packages' bytecode too, and in a fresh checkout compiled all of it again
# in each of the first processes: 2.1 s more CPU for one import of maild and its
# libraries.)
unset PYTHONDONTWRITEBYTECODE
# Each worker collects every test module, and a module with no bytecode yet has its
# asserts rewritten, in each worker at once (a fresh checkout, as CI's: ~13 s of CPU
# per worker against ~2 s with the bytecode there). Before a whole run, when a file is
# newer than the last such pass, two processes (one a core) collect first and write it
# (bench/FINDINGS.md 42). A collection error is left for the run itself to report.
stamp=.venv/collected.stamp
if [ "$#" = 0 ] && { [ ! -e "$stamp" ] ||
    [ -n "$(find tests maild -name '*.py' -newer "$stamp" -print -quit)" ]; }; then
    touch "$stamp.new"
    .venv/bin/python -m pytest -q --collect-only -p no:cacheprovider tests/unit >/dev/null 2>&1 &
    .venv/bin/python -m pytest -q --collect-only -p no:cacheprovider tests/integration \
        tests/faults tests/system >/dev/null 2>&1 || true
    wait || true
    mv "$stamp.new" "$stamp"
fi
# worksteal: a worker that runs out of tests takes some of those still queued for a
# busier one, instead of idling while that one works through its share of a long
# file (the last ~10 s of a run had one worker busy and two idle).
workers=$(( $(nproc) * 2 ))
[ "$workers" -le 6 ] || workers=6
exec .venv/bin/python -m pytest -q -n "$workers" --dist worksteal "$@"
