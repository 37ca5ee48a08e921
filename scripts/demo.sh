#!/usr/bin/env bash
# `npm run demo`: installs the npm dependencies on a fresh clone, then runs scripts/demo.ts, which builds
# whatever else is missing (docs/first-application.md).
set -euo pipefail
cd "$(dirname "$0")/.."
BUN=node_modules/.bin/bun
[ -x "$BUN" ] || npm ci --no-audit --no-fund
exec "$BUN" scripts/demo.ts "$@"
