#!/usr/bin/env bash
# Refreshes the dashboard screenshots in docs/img (docs/dashboard.md) by running the dashboard's
# browser test (test-e2e/dashboard.test.ts) with DASHBOARD_SCREENSHOTS pointing there.
# Needs Debian's chromium (/usr/bin/chromium, or CLAWGUARD_CHROMIUM): bash scripts/e2e-setup.sh installs it.
set -euo pipefail
cd "$(dirname "$0")/.."
DASHBOARD_SCREENSHOTS="$PWD/docs/img" npx vitest run -c vitest.e2e.config.ts test-e2e/dashboard.test.ts
ls -l docs/img/dashboard-*.png
