#!/usr/bin/env bash
# Runs each fuzz target in fuzz/ briefly (FUZZ_SECONDS, default 60) as a smoke test: no crash,
# no panic, no allocation over the RSS limit. Long runs: see README, "Fuzzing".
# Built without a sanitizer (`-s none`): the project's one toolchain is stable.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
version=0.13.2
if ! cargo fuzz --version 2>/dev/null | grep -q "$version"; then
  cargo install cargo-fuzz --version "$version" --locked --quiet
fi
cargo fuzz build -s none
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in $(cargo fuzz list); do
  echo "==> fuzz $target for ${seconds}s"
  if ! cargo fuzz run -s none "$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz target $target failed; the input is under fuzz/artifacts/$target/" >&2
    exit 1
  fi
  grep -E "^Done" "$log"
done
