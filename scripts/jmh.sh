#!/usr/bin/env bash
# The JMH run recorded in BENCHMARKS.md: every CPU benchmark with short, fixed settings (about
# 5 minutes on 2 cores), results in target/jmh/results.json, then the summary tables.
# Builds the library and the benchmarks jar first. A JDK of 22 or later (JMH_JAVA_HOME, else
# Temurin 25 when installed) adds the java.lang.foreign comparison; with JDK 17 it is left out.
# Extra arguments go to JMH, e.g. `scripts/jmh.sh CallOverhead` to run one class.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
java_home=${JMH_JAVA_HOME:-}
if [ -z "$java_home" ] && [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
  java_home=/usr/lib/jvm/temurin-25-jdk-amd64
fi
java=${java_home:+$java_home/bin/}java
jar=jmh/target/benchmarks.jar
if "$java" -version 2>&1 | grep -qE 'version "(2[2-9]|[3-9][0-9])'; then
  jar=jmh/target/jdk22/benchmarks.jar
fi

mvn -B -q install -DskipTests
JAVA_HOME=${java_home:-${JAVA_HOME:-}} mvn -B -q -f jmh/pom.xml package

mkdir -p target/jmh
filter=("$@")
[ ${#filter[@]} -gt 0 ] || filter=("^dev.shard4j.jmh.(CallOverhead|ForeignCall|Allocation|Kernel|Collective)Benchmark")
"$java" --enable-native-access=ALL-UNNAMED -Dorg.bytedeco.javacpp.cachedir="$root/target/javacpp-cache" \
  -jar "$jar" "${filter[@]}" -f 1 -wi 2 -w 1s -i 3 -r 1s \
  -jvmArgsAppend "--enable-native-access=ALL-UNNAMED -Dorg.bytedeco.javacpp.cachedir=$root/target/javacpp-cache" \
  -rf json -rff target/jmh/results.json | tee target/jmh/run.log
echo
"$java" -cp "$jar" dev.shard4j.jmh.Summary target/jmh/results.json | tee target/jmh/summary.md
