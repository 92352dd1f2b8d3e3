#!/bin/sh
# Install maild with its test extra into ./.venv and run the whole test suite.
set -eu
cd "$(dirname "$0")"
if [ ! -x .venv/bin/maild ]; then
    python3 -m venv .venv
    .venv/bin/pip install -q --upgrade pip
fi
.venv/bin/pip install -q -e '.[test]'
exec .venv/bin/python -m pytest -q "$@"
