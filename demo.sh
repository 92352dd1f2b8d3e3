#!/bin/sh
# Set up maild in ./.venv, make a local data dir and config under ./demo/, feed a
# sample Russian email (windows-1251) through `maild ingest`, and print the ticket
# and the confirmation it produced. Safe to run again.
set -eu
cd "$(dirname "$0")"
if [ ! -x .venv/bin/maild ]; then
    python3 -m venv .venv
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e '.[test]'
fi
mkdir -p demo
cat > demo/maild.toml <<TOML
[support]
address = "support@example.com"
name = "Служба поддержки"
staff = ["anna@example.com"]
head = "head@example.com"

[storage]
path = "$(pwd)/demo/data"

[outbound]
host = "127.0.0.1"
port = 2525
TOML
export MAILD_CONFIG="$PWD/demo/maild.toml"
M=.venv/bin/maild
$M license add --key DEMO-0001 --level standard --email ivan@shop-example.ru --name "ООО Пример" >/dev/null
# A new Message-ID per run, so each run opens a new ticket.
sed "s/<demo-1@shop-example.ru>/<demo-$(date +%s%N)@shop-example.ru>/" tests/data/sample_request.eml > demo/sample.eml
out=$($M ingest demo/sample.eml)
echo "$ out: $out"
tid=$(echo "$out" | sed -n 's/.*\[TID#\([0-9-]*\)\].*/\1/p')
echo
echo "===== maild ticket show $tid ====="
$M ticket show "$tid"
echo
echo "===== the confirmation to the customer (queued in the outbox) ====="
id=$($M outbox list --json | .venv/bin/python -c "
import json, sys
rows = [m for m in json.load(sys.stdin) if m['tid'] == '$tid' and m['kind'] == 'confirmation']
print(rows[0]['id'])")
$M outbox show "$id"
