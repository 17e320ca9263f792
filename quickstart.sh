#!/usr/bin/env bash
# Runs the Quickstart against the local sandbox (pass --real for the real APIs; --help for options).
# Installs workerd when npm is there so the deployed app really runs, builds the SDK and starts it.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install-workerd.sh >/dev/null 2>&1 || echo "(workerd could not be installed: the app will be deployed but not run)"
exec ./mvnw -q -B -pl examples -am package exec:java -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true \
  -Dexec.args="$*"
