#!/usr/bin/env bash
# What depending on enkash costs a consumer's build, and what regenerating costs a maintainer,
# measured on copies of this crate in a temporary directory (the repository is not touched):
#   1. clean `cargo build` (dev profile) of a minimal consumer of enkash with default features,
#      of the same consumer on a copy of enkash with no build step at all (build.rs removed, the
#      generated code a plain source file), and with the `codegen` feature on;
#   2. spec-to-formatted-code time: the codegen build script (load the spec, progenitor,
#      prettyplease) run on its own, as the consumer's build compiled it (the consumer's profile)
#      and as the repository's own build compiles it (its profile, Cargo.toml);
#   3. rebuild time after a one-line spec edit: the consumer with and without `codegen`, and the
#      repository's `cargo build --features codegen` (where maintainers regenerate).
# Each figure is the median of ROUNDS runs (default 3); the variants take turns within a round.
#
#   bash benches/build-cost.sh                 # about 30 minutes on 2 cores
#   ROUNDS=1 bash benches/build-cost.sh        # a quick look
#   ONLY=regen bash benches/build-cost.sh      # sections 2 and 3 only
#   CARGO_PROFILE_DEV_BUILD_OVERRIDE_OPT_LEVEL=0 ONLY=regen bash benches/build-cost.sh
#                                              # the repository without its optimized build step
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
rounds=${ROUNDS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
elapsed() { awk -v end="$(now)" -v start="$1" 'BEGIN {printf "%.2f", end - start}'; }
median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

# The files that make up the package, plus the targets its manifest names.
copy_crate() {
  mkdir -p "$1"
  cp -r "$repo"/{Cargo.toml,Cargo.lock,build.rs,build,README.md,src,generated,spec,examples,benches} "$1"
}

copy_crate "$work/enkash"

# The same crate with no build step: the generated code as a source file.
copy_crate "$work/enkash-nobuild"
rm "$work/enkash-nobuild/build.rs"
awk 'n >= 2 {print} /^---$/ && n < 2 {n++}' "$repo/generated/enkash.snap" \
  >"$work/enkash-nobuild/src/enkash_generated.rs"
sed -i 's|include!(concat!(env!("OUT_DIR"), "/enkash_generated.rs"));|include!("enkash_generated.rs");|' \
  "$work/enkash-nobuild/src/generated.rs"
grep -q 'include!("enkash_generated.rs")' "$work/enkash-nobuild/src/generated.rs"
sed -i 's/^\[package\]$/[package]\nbuild = false/' "$work/enkash-nobuild/Cargo.toml"

# A minimal consumer: builds a client and a request.
consumer() { # name, path of enkash, features
  mkdir -p "$work/$1/src"
  cat >"$work/$1/Cargo.toml" <<EOF
[package]
name = "consumer"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
enkash = { path = "$2", features = [$3] }

[workspace]
EOF
  cat >"$work/$1/src/main.rs" <<'EOF'
fn main() {
    let config = enkash::Config::builder()
        .base_url("http://127.0.0.1:8787")
        .credentials(enkash::Credentials::new("CEKFOWV7UQ", "secret", "ops@example.com", "password"))
        .build()
        .expect("a configuration");
    let client = enkash::Client::from_config(config).expect("a client");
    let _request = client.get_utility_bill_status().utility_enkash_id("UTIL-87654321");
}
EOF
  cp "$repo/Cargo.lock" "$work/$1/Cargo.lock"
}
consumer default "$work/enkash" ''
consumer nobuild "$work/enkash-nobuild" ''
consumer codegen "$work/enkash" '"codegen"'

# The repository itself (every tracked file: its workspace and its profile), as a maintainer builds.
mkdir -p "$work/repo"
(cd "$repo" && git ls-files -z | xargs -0 -I{} cp --parents {} "$work/repo")

build() { # consumer (or repo); prints seconds
  local started features=()
  [[ $1 == repo ]] && features=(--features codegen --lib)
  started=$(now)
  (cd "$work/$1" && CARGO_TARGET_DIR="$work/target-$1" cargo build --offline --quiet "${features[@]}")
  elapsed "$started"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(rustc --version)"
echo "rounds: $rounds"
echo
if [[ ${ONLY:-} != regen ]]; then
echo "== clean builds of the consumer (dev profile), seconds"
variants=(default nobuild codegen)
for round in $(seq 1 "$rounds"); do
  line="round $round:"
  for i in 0 1 2; do
    variant=${variants[$(((i + round) % 3))]}
    rm -rf "$work/target-$variant"
    seconds=$(build "$variant")
    echo "$seconds" >>"$work/clean-$variant"
    line="$line $variant $seconds"
  done
  echo "$line"
done
for variant in "${variants[@]}"; do
  printf '%-8s median %6.1f s\n' "$variant" "$(median <"$work/clean-$variant")"
done
awk -v a="$(median <"$work/clean-default")" -v b="$(median <"$work/clean-nobuild")" \
  'BEGIN {printf "default / no build step: %.3f\n", a / b}'
fi
# Sections 2 and 3 start from a built target directory.
for variant in codegen default repo; do
  [[ -d "$work/target-$variant" ]] || build "$variant" >/dev/null
done

echo
echo "== spec to formatted code: the codegen build script on its own, seconds"
for variant in codegen repo; do
  script=$(ls "$work"/target-$variant/debug/build/enkash-*/build-script-build | head -1)
  for run in $(seq 1 5); do
    out=$(mktemp -d -p "$work")
    started=$(now)
    (cd "$work/enkash" && OUT_DIR="$out" CARGO_FEATURE_CODEGEN=1 "$script" >/dev/null)
    seconds=$(elapsed "$started")
    echo "$seconds" >>"$work/script-$variant"
    echo "$variant run $run: $seconds ($(wc -l <"$out/enkash_generated.rs") lines)"
  done
done
for variant in codegen repo; do
  printf '%-8s median %.2f s\n' "$variant" "$(median <"$work/script-$variant")"
done

echo
echo "== rebuild after a one-line spec edit, seconds"
for round in $(seq 1 "$rounds"); do
  for variant in codegen default repo; do
    # One description changes, differently each time, so the spec really changes.
    spec="$work/enkash/spec/enkash.yaml"
    [[ $variant == repo ]] && spec="$work/repo/spec/enkash.yaml"
    line=$(grep -n 'description: Human-readable outcome' "$spec" | head -1 | cut -d: -f1)
    sed -i "${line}s/outcome.*/outcome (edit $round for $variant)./" "$spec"
    seconds=$(build "$variant")
    echo "$seconds" >>"$work/rebuild-$variant"
    echo "round $round: $variant $seconds"
  done
done
for variant in codegen default repo; do
  printf '%-8s median %6.2f s\n' "$variant" "$(median <"$work/rebuild-$variant")"
done
