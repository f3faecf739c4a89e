#!/usr/bin/env bash
# Browser tests of the dashboard: real headless Chromium (Debian's `chromium`, never a
# downloaded browser) driven by Playwright against a camptrack server on 127.0.0.1 with a
# fresh SQLite file, demo data from the shared generator, and tokens from `camptrack token`.
#
#   bash scripts/browser-tests.sh            # all tests
#   bash scripts/browser-tests.sh -g partner # Playwright arguments pass through
#   UPDATE_SCREENSHOT=1 bash scripts/browser-tests.sh   # also refresh docs/dashboard.png
#
# Under CI=true a missing node/npm or chromium is installed (apt-get) or the run FAILS; it
# never skips. Outside CI a missing tool skips the suite with a loud message.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
SITES=${DASHBOARD_TEST_SITES:-600}

missing() {
  if [[ "${CI:-}" == "true" ]]; then
    echo "browser tests: $1 missing; installing with apt-get" >&2
    if command -v apt-get >/dev/null 2>&1; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null || true
    fi
    command -v "$3" >/dev/null 2>&1 || [[ -x "$3" ]] || { echo "CI FAILED: $1 is missing and could not be installed" >&2; exit 1; }
  else
    echo "!!! browser tests SKIPPED: $1 is missing (apt-get install -y $2) !!!" >&2
    exit 0
  fi
}
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || missing "node/npm" "nodejs npm" npm
[[ -x "$CHROMIUM" ]] || missing "chromium ($CHROMIUM)" chromium "$CHROMIUM"

echo "-- building camptrack"
cargo build -q -p camptrack-api --bin camptrack
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/camptrack"

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

export DATABASE_URL="sqlite://$WORK/camptrack.sqlite?mode=rwc"
export RUST_LOG=${RUST_LOG:-warn}
echo "-- demo data ($SITES sites) into $WORK"
"$BIN" migrate >/dev/null
"$BIN" demo --sites "$SITES" >/dev/null
ADMIN_TOKEN=$("$BIN" token create --role ADMIN --name "Browser admin")
PARTNER_TOKEN=$("$BIN" token create --role PARTNER --org NRC --name "Browser partner")
export ADMIN_TOKEN PARTNER_TOKEN

PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
export BASE_URL="http://127.0.0.1:$PORT"
"$BIN" serve --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$BASE_URL/readyz" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; echo "camptrack did not start" >&2; exit 1; }
  sleep 0.2
done
echo "-- camptrack serving at $BASE_URL"

cd "$ROOT/dashboard"
if [[ ! -d node_modules || "${CI:-}" == "true" ]]; then
  npm ci --no-audit --no-fund
fi
export CHROMIUM
if [[ "${UPDATE_SCREENSHOT:-}" == "1" ]]; then
  export SCREENSHOT_PATH="$ROOT/docs/dashboard.png"
  mkdir -p "$ROOT/docs"
fi
npx playwright test "$@"
