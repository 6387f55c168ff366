#!/usr/bin/env bash
# A consumer's clean build per TLS backend (BENCHMARKS.md section 4, "Per TLS backend"): a crate
# that depends on this one (committed HEAD, without the sandbox) with `default-features = false`
# and one TLS feature, built from an empty target directory, dev profile, offline (run a build
# first so every crate is downloaded). Prints wall, user and system seconds per build.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/enkash"
git archive HEAD | tar -x -C "$work/enkash"
# The consumer sees the published crate: no workspace, no sandbox.
sed -i 's/^members = .*/members = ["."]/; /enkash-sandbox/d' "$work/enkash/Cargo.toml"
rm -rf "$work/enkash/sandbox"
for round in $(seq 1 "$rounds"); do
  for backend in tls-ring tls-aws-lc tls-native; do
    consumer="$work/consumer-$backend"
    mkdir -p "$consumer/src"
    cat > "$consumer/Cargo.toml" <<TOML
[package]
name = "consumer"
version = "0.1.0"
edition = "2024"
[dependencies]
enkash = { path = "$work/enkash", default-features = false, features = ["$backend"] }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
TOML
    echo 'fn main() { let _ = enkash::Config::from_env().map(enkash::Client::from_config); }' \
      > "$consumer/src/main.rs"
    cp Cargo.lock "$consumer/Cargo.lock"
    (cd "$consumer" && CARGO_TARGET_DIR="$consumer/target" CARGO_INCREMENTAL=0 \
      /usr/bin/time -f "%e %U %S" -o "$work/time" cargo build --quiet --offline)
    read -r wall user sys < "$work/time"
    printf '%s round %s: wall %s s, cpu %s s (user %s + sys %s), load %s\n' "$backend" "$round" \
      "$wall" "$(echo "$user + $sys" | bc)" "$user" "$sys" "$(cut -d' ' -f1 /proc/loadavg)"
    rm -rf "$consumer"
  done
done
