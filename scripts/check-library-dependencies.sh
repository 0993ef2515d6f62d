#!/usr/bin/env bash
# Checks that a project depending on the shard4j library (by default examples/quickstart) resolves
# neither picocli nor an slf4j binding: those belong to the command line, and a trainer chooses its
# own logging. Prints the resolved tree; exits 1 naming what does not belong.
# Usage: scripts/check-library-dependencies.sh [POM]   (after `mvn install` at the root)
set -euo pipefail
pom=${1:-examples/quickstart/pom.xml}
tree=$(mktemp)
trap 'rm -f "$tree"' EXIT
mvn -B -q -f "$pom" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:tree -DoutputFile="$tree"
cat "$tree"
grep -q 'dev.shard4j:shard4j:jar' "$tree" || { echo "$pom: the shard4j library is not in its tree" >&2; exit 1; }
grep -q 'org.slf4j:slf4j-api:jar' "$tree" || { echo "$pom: slf4j-api, which the library logs through, is missing" >&2; exit 1; }
bad=$(grep -E 'info.picocli:|org.jfree:|org.slf4j:slf4j-(simple|nop|jdk14|jdk-platform-logging|reload4j|log4j12):|ch.qos.logback:logback-classic:|org.apache.logging.log4j:log4j-slf4j2?-impl:|dev.shard4j:shard4j-cli:' "$tree" || true)
if [ -n "$bad" ]; then
  echo "$pom: the library brings what only the command line needs:" >&2
  echo "$bad" >&2
  exit 1
fi
echo "$pom: only the library's own run-time dependencies"
