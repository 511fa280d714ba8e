#!/bin/sh
# The demo game against a local server, in one command:
#   cargo run --release &   # the server, http://127.0.0.1:8080
#   demo/run.sh             # the game, http://localhost:4000 (DEMO_PORT=4001 for a second one)
# The first run registers the game with the server (through its command line,
# on the same ./data) and keeps the credentials in ./data/demo-game-PORT.json.
set -eu
cd "$(dirname "$0")/.."
port="${DEMO_PORT:-4000}"
creds="data/demo-game-$port.json"
if [ ! -s "$creds" ]; then
  mkdir -p data
  cargo run --release -q -- client create --name "Demo Game $port" \
    --redirect-uri "http://localhost:$port/auth/callback" \
    --backchannel-logout-uri "http://localhost:$port/auth/backchannel-logout" \
    --json > "$creds.tmp"
  mv "$creds.tmp" "$creds"
fi
DEMO_CREDENTIALS="$creds" DEMO_LISTEN="127.0.0.1:$port" DEMO_NAME="${DEMO_NAME:-Demo Game $port}" \
  exec cargo run --release -q -p pattmayne-auth-demo
