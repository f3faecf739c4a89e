#!/usr/bin/env bash
# Rebuilds the dashboard from dashboard/ (npm ci && npm run build) and fails when the built
# assets differ from the committed api/assets/dashboard, which the server embeds.
# Under CI=true a missing node/npm is installed (apt-get) or the check FAILS.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v npm >/dev/null 2>&1; then
  if [[ "${CI:-}" == "true" ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null || true
    command -v npm >/dev/null 2>&1 || { echo "CI FAILED: npm is missing and could not be installed" >&2; exit 1; }
  else
    echo "!!! dashboard check SKIPPED: npm is missing !!!" >&2
    exit 0
  fi
fi

(cd dashboard && npm ci --no-audit --no-fund && npm run build)

if ! git diff --exit-code --stat -- api/assets/dashboard \
  || [[ -n "$(git ls-files --others --exclude-standard -- api/assets/dashboard)" ]]; then
  echo "api/assets/dashboard differs from a fresh build of dashboard/: run" >&2
  echo "  (cd dashboard && npm ci && npm run build) and commit the result" >&2
  exit 1
fi
echo "api/assets/dashboard matches a fresh build"
ls -l api/assets/dashboard
