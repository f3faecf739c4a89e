#!/usr/bin/env bash
# Re-fetch the vendored GraphiQL assets from the npm registry at pinned versions.
#
# Usage: bash api/assets/graphiql/update.sh
# To upgrade, change the versions below (keep graphiql 3.x with react/react-dom 18.x:
# graphiql 4+ no longer ships the UMD bundle), run this script, then update the
# versions in LICENSES.md and check the page in a browser. index.html is not touched.
set -euo pipefail

GRAPHIQL_VERSION=3.8.3
REACT_VERSION=18.3.1
REACT_DOM_VERSION=18.3.1

DEST="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

cd "$TMP"
npm pack --silent "graphiql@${GRAPHIQL_VERSION}" "react@${REACT_VERSION}" "react-dom@${REACT_DOM_VERSION}"

mkdir graphiql react react-dom
tar -xzf "graphiql-${GRAPHIQL_VERSION}.tgz" -C graphiql
tar -xzf "react-${REACT_VERSION}.tgz" -C react
tar -xzf "react-dom-${REACT_DOM_VERSION}.tgz" -C react-dom

cp graphiql/package/graphiql.min.js "$DEST/graphiql.min.js"
cp graphiql/package/graphiql.min.css "$DEST/graphiql.min.css"
cp react/package/umd/react.production.min.js "$DEST/react.production.min.js"
cp react-dom/package/umd/react-dom.production.min.js "$DEST/react-dom.production.min.js"

# Licences: show them so a change is noticed; LICENSES.md holds the texts.
for p in graphiql react react-dom; do
  echo "== $p: $(node -p "require('./$p/package/package.json').license")"
  cat "$p/package/LICENSE"
done

echo "Updated $DEST to graphiql@${GRAPHIQL_VERSION}, react@${REACT_VERSION}, react-dom@${REACT_DOM_VERSION}"
sha256sum "$DEST"/*.min.js "$DEST"/*.min.css
