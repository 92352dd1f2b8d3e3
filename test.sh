#!/bin/sh
# Install maild with its test extra into ./.venv and run the whole test suite on
# pytest-xdist workers, one more than there are cores (at most 4): most tests wait on
# a daemon, a relay or a browser, and the extra worker uses that time. On two cores
# the integration tests took 104-110 s on three workers against 111-130 s on two,
# in alternating runs (four workers were slower than two).
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
# worksteal: a worker that runs out of tests takes some of those still queued for a
# busier one, instead of idling while that one works through its share of a long
# file (the last ~10 s of a run had one worker busy and two idle).
workers=$(( $(nproc) + 1 ))
[ "$workers" -le 4 ] || workers=4
exec .venv/bin/python -m pytest -q -n "$workers" --dist worksteal "$@"
