#!/usr/bin/env bash
# Installs workerd (Cloudflare's Workers runtime, npm package "workerd") under .workerd/ in the
# repository, where the sandbox looks for it. Pinned: the sandbox's default compatibility date must
# be one this build accepts. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
WORKERD_VERSION=1.20261117.1
if [ -x .workerd/node_modules/.bin/workerd ] && .workerd/node_modules/.bin/workerd --version >/dev/null 2>&1; then
  exit 0
fi
command -v npm >/dev/null || { echo "npm is not installed; cannot install workerd" >&2; exit 1; }
npm install --no-save --no-audit --no-fund --loglevel=error --prefix .workerd "workerd@${WORKERD_VERSION}"
.workerd/node_modules/.bin/workerd --version
