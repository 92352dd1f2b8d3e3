#!/bin/sh
# Install maild with its test extra into ./.venv and run the whole test suite,
# on as many pytest-xdist workers as there are cores (at most 4): most tests wait on
# a daemon, a relay or a browser, so two workers on two cores take ~2/3 of the time.
# Extra arguments go to pytest (e.g. ./test.sh -n0 tests/unit for one process).
set -eu
cd "$(dirname "$0")"
if [ ! -x .venv/bin/maild ]; then
    python3 -m venv .venv
    .venv/bin/pip install -q --upgrade pip
fi
.venv/bin/pip install -q -e '.[test]'
exec .venv/bin/python -m pytest -q -n auto --maxprocesses 4 "$@"
