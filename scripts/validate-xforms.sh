#!/usr/bin/env bash
# Validates every XForm camptrack serves with ODK Validate (the jar bundled in pyxform,
# run with the machine's Java): starts camptrack on a scratch SQLite database with a small
# demo data set, reads the OpenRosa form list as a device would, downloads each form and
# its media, checks the md5 hashes the list and manifest announce, and runs ODK Validate on
# each form. A deliberately broken form must fail, so a validator that accepts anything
# fails this script too.
#
# Usage: scripts/validate-xforms.sh            (builds the debug binary)
#        CAMPTRACK_BIN=path/to/camptrack scripts/validate-xforms.sh
#
# In CI (CI=true) missing tools (pyxform, Java) are installed, or the script fails; it
# never skips. Outside CI it skips with a loud message when a tool is missing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

in_ci() { [[ "${CI:-}" == "true" ]]; }

die() {
  echo "validate-xforms FAILED: $*" >&2
  exit 1
}

skip_or_die() {
  if in_ci; then
    die "$*"
  fi
  echo "validate-xforms SKIPPED (not in CI): $*" >&2
  echo "  install it with: python3 -m pip install pyxform (and a Java runtime)" >&2
  exit 0
}

have_pyxform() { python3 -c 'import pyxform.validators.odk_validate' >/dev/null 2>&1; }

ensure_tools() {
  command -v python3 >/dev/null 2>&1 || {
    if in_ci; then apt-get update -qq && apt-get install -y -qq python3 python3-pip >/dev/null; fi
    command -v python3 >/dev/null 2>&1 || skip_or_die "python3 is not installed"
  }
  if ! have_pyxform; then
    if in_ci; then
      echo "installing pyxform (it bundles ODK Validate)"
      python3 -m pip --version >/dev/null 2>&1 \
        || { apt-get update -qq && apt-get install -y -qq python3-pip >/dev/null; } || true
      python3 -m pip install --quiet pyxform \
        || python3 -m pip install --quiet --break-system-packages pyxform \
        || true
    fi
    have_pyxform || skip_or_die "pyxform is not installed and could not be installed"
  fi
  if ! java -version >/dev/null 2>&1; then
    if in_ci; then
      echo "installing a Java runtime for ODK Validate"
      { apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null; } || true
    fi
    java -version >/dev/null 2>&1 || skip_or_die "Java is not installed (ODK Validate needs it)"
  fi
  python3 -c 'import pyxform; print("pyxform", pyxform.__version__)'
  java -version 2>&1 | head -n 1
}

ensure_tools

BIN="${CAMPTRACK_BIN:-}"
if [[ -z "${BIN}" ]]; then
  cargo build --quiet --bin camptrack
  BIN="${CARGO_TARGET_DIR:-target}/debug/camptrack"
fi
[[ -x "${BIN}" ]] || die "no camptrack binary at ${BIN}"

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [[ -n "${SERVER_PID}" ]]; then
    kill "${SERVER_PID}" 2>/dev/null || true
    wait "${SERVER_PID}" 2>/dev/null || true
  fi
  rm -rf "${WORK}"
}
trap cleanup EXIT

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
export DATABASE_URL="sqlite://${WORK}/camptrack.sqlite?mode=rwc"
export CAMPTRACK_LISTEN="127.0.0.1:${PORT}"
export RUST_LOG=warn

"${BIN}" migrate >/dev/null
"${BIN}" demo --sites 60 >/dev/null
TOKEN="$("${BIN}" token create --role ADMIN --name "xform validation")"
"${BIN}" serve >"${WORK}/server.log" 2>&1 &
SERVER_PID=$!

for _ in $(seq 1 100); do
  if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:${PORT}/healthz', timeout=1)" 2>/dev/null; then
    break
  fi
  sleep 0.2
done

BASE="http://127.0.0.1:${PORT}" TOKEN="${TOKEN}" WORK="${WORK}" python3 - <<'PY'
import base64, hashlib, os, sys, urllib.request, xml.etree.ElementTree as ET
from pyxform.validators.odk_validate import check_xform, ODKValidateError

base, token, work = os.environ["BASE"], os.environ["TOKEN"], os.environ["WORK"]
auth = "Basic " + base64.b64encode(f"validator:{token}".encode()).decode()

def fetch(url):
    req = urllib.request.Request(url, headers={"Authorization": auth, "X-OpenRosa-Version": "1.0"})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.headers.get("X-OpenRosa-Version") == "1.0", f"{url}: no X-OpenRosa-Version"
        return r.read()

def md5(b):
    return "md5:" + hashlib.md5(b).hexdigest()

passed, failed = 0, 0
ns = {"x": "http://openrosa.org/xforms/xformsList", "m": "http://openrosa.org/xforms/xformsManifest"}
forms = ET.fromstring(fetch(f"{base}/openrosa/formList")).findall("x:xform", ns)
if len(forms) < 2:
    print(f"expected the site assessment and the distribution report, got {len(forms)} forms")
    failed += 1
for form in forms:
    form_id = form.findtext("x:formID", namespaces=ns)
    xml = fetch(form.findtext("x:downloadUrl", namespaces=ns))
    problems = []
    if md5(xml) != form.findtext("x:hash", namespaces=ns):
        problems.append("the form list's hash is not the md5 of the downloaded form")
    manifest = ET.fromstring(fetch(form.findtext("x:manifestUrl", namespaces=ns)))
    for media in manifest.findall("m:mediaFile", ns):
        name = media.findtext("m:filename", namespaces=ns)
        data = fetch(media.findtext("m:downloadUrl", namespaces=ns))
        if md5(data) != media.findtext("m:hash", namespaces=ns):
            problems.append(f"{name}: the manifest's hash is not the md5 of the file")
        if not data.decode("utf-8").startswith("name,label\n"):
            problems.append(f"{name}: not a name,label CSV")
    path = os.path.join(work, f"{form_id}.xml")
    with open(path, "wb") as f:
        f.write(xml)
    try:
        warnings = check_xform(path)
        for w in warnings or []:
            print(f"  {form_id}: warning: {w}")
    except ODKValidateError as e:
        problems.append(f"ODK Validate: {e}")
    if problems:
        failed += 1
        print(f"FAIL {form_id}")
        for p in problems:
            print(f"  {p}")
    else:
        passed += 1
        print(f"ok   {form_id} (version {form.findtext('x:version', namespaces=ns)})")

# Negative control: a broken copy must be refused, or the validator proves nothing.
broken = os.path.join(work, "broken.xml")
with open(os.path.join(work, f"{forms[0].findtext('x:formID', namespaces=ns)}.xml"), "rb") as f:
    text = f.read().decode()
with open(broken, "w") as f:
    f.write(text.replace('type="int"', 'type="int" calculate="1 +"', 1))
try:
    check_xform(broken)
    print("FAIL negative control: ODK Validate accepted a broken form")
    failed += 1
except ODKValidateError:
    passed += 1
    print("ok   negative control (a broken form is refused)")

print(f"xforms: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
