#!/usr/bin/env bash
# Installs Debian's poppler-utils (pdftotext, pdftoppm) when missing: the
# invoice tests read the PDFs' text back with pdftotext.
set -euo pipefail
if command -v pdftotext >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "pdftotext not found: installing Debian's poppler-utils for the invoice tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
  exit 0
fi
echo "The invoice tests need pdftotext: run 'sudo apt-get install -y poppler-utils'." >&2
exit 1
