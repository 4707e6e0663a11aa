#!/usr/bin/env bash
# Refreshes the vendored Apache ECharts from the npm registry (through npm
# itself: `npm pack`), keeping only the files the analysis page serves, and
# records the version and SHA-256 of each in assets/vendor/echarts/README.md.
#
#   scripts/vendor-echarts.sh          # the version pinned below
#   scripts/vendor-echarts.sh 6.1.0    # another version
#
# Nothing is loaded from the internet at run time or in tests: the binary
# embeds these files (src/web/assets.rs) and serves them under /assets/vendor/.
set -euo pipefail
VERSION="${1:-6.1.0}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/assets/vendor/echarts"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
npm pack --silent "echarts@$VERSION" >/dev/null
tar -xzf "echarts-$VERSION.tgz"
mkdir -p "$DEST"
# echarts.simple: line, bar and pie charts only (about half the full build);
# the analysis page draws bars. LICENSE and NOTICE go with it (Apache-2.0).
cp package/dist/echarts.simple.min.js "$DEST/echarts.simple.min.js"
cp package/LICENSE "$DEST/LICENSE"
cp package/NOTICE "$DEST/NOTICE"
TGZ_SHA="$(sha256sum "echarts-$VERSION.tgz" | cut -d' ' -f1)"
JS_SHA="$(sha256sum "$DEST/echarts.simple.min.js" | cut -d' ' -f1)"
cat > "$DEST/README.md" <<MD
# Apache ECharts (vendored)

Served by the binary at \`/assets/vendor/echarts/echarts.simple.min.js\` and
loaded only by the questionnaire analysis page. Refresh with
\`scripts/vendor-echarts.sh [VERSION]\`, which fetches the package through npm.

| what | value |
|---|---|
| package | echarts (npm) |
| version | $VERSION |
| licence | Apache-2.0 (LICENSE, NOTICE beside this file) |
| file | \`echarts.simple.min.js\` (from \`dist/\`: line, bar and pie charts) |
| SHA-256 of the file | \`$JS_SHA\` |
| SHA-256 of echarts-$VERSION.tgz | \`$TGZ_SHA\` |
MD
echo "echarts $VERSION → $DEST ($JS_SHA)"
