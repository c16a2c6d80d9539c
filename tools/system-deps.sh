#!/usr/bin/env bash
# Install the Debian packages the test suite needs, if they are missing:
#   chromium   (browser tests drive it through Playwright)
#   postgresql (the suite runs every database test on PostgreSQL as well as SQLite)
#   libreoffice-calc-nogui (the summary workbook must open in LibreOffice without repair)
set -euo pipefail

need=()
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  need+=(chromium)
fi
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
if ! command -v soffice >/dev/null 2>&1 && ! command -v libreoffice >/dev/null 2>&1; then
  need+=(libreoffice-calc-nogui)
fi
[ ${#need[@]} -eq 0 ] && exit 0

echo "Installing Debian packages for the tests: ${need[*]}"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "Please install these Debian packages (as root): ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
