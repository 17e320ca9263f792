#!/usr/bin/env bash
# Runs the Quickstart against the local sandbox (pass --real for the real APIs; --help for options).
# Installs workerd when npm is there so the deployed app really runs, builds the SDK, then starts the
# Quickstart with java itself, so every argument reaches it exactly as typed: a value with spaces, an
# empty value. Relative paths in arguments are read from the folder you run this in.
#
# AGENTPROVISION_QUICKSTART_CLASSPATH, when set, is the classpath to run with: the build and the
# workerd install are skipped (the tests use it to run this script in a second).
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"

if [ -n "${AGENTPROVISION_QUICKSTART_CLASSPATH:-}" ]; then
  classpath="$AGENTPROVISION_QUICKSTART_CLASSPATH"
else
  (
    cd "$root"
    ./scripts/install-workerd.sh >/dev/null 2>&1 \
      || echo "(workerd could not be installed: the app will be deployed but not run)" >&2
    ./mvnw -q -B -pl examples -am package -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true
  )
  classpath="$root/examples/target/classes:$(cat "$root/examples/target/quickstart.classpath")"
fi

if [ -n "${JAVA_HOME:-}" ]; then
  java="$JAVA_HOME/bin/java"
else
  java=java
fi
exec "$java" "-Dagentprovision.quickstart.home=$root" -cp "$classpath" io.agentprovision.examples.Quickstart "$@"
