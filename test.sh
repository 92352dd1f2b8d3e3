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
.venv/bin/pip install -q -e '.[test]'
workers=$(( $(nproc) + 1 ))
[ "$workers" -le 4 ] || workers=4
exec .venv/bin/python -m pytest -q -n "$workers" "$@"
