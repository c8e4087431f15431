#!/usr/bin/env bash
# Fails when the committed templ code or built CSS differ from what their
# sources generate, so `go run .` on a fresh clone serves what the sources say.
set -euo pipefail
cd "$(dirname "$0")/.."

snapshot() {
  find views checkout -name '*_templ.go' -print0 | sort -z | xargs -0 sha256sum
  sha256sum static/app.css
}

before=$(snapshot)
go tool templ generate >/dev/null
make --no-print-directory css >/dev/null
after=$(snapshot)

if [ "$before" != "$after" ]; then
  echo "Generated files were stale and have now been regenerated:"
  diff <(echo "$before") <(echo "$after") || true
  echo "Commit the regenerated *_templ.go files and static/app.css ('make generate' does the same)."
  exit 1
fi
echo "generated files are up to date"
