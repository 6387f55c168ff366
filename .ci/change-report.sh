#!/usr/bin/env bash
# The change report: what the working tree changes for the crate's users, against a base revision.
#   (a) the OpenAPI diff of spec/enkash.yaml, breaking changes flagged: openapi-diff (npm, pinned in
#       .ci/package.json);
#   (b) the diff of the crate's public Rust API: cargo-semver-checks (crates.io, pinned in
#       .ci/install-tools.sh), which builds the crate's rustdoc at both revisions and lists what
#       breaks a user's code (a major version) and what needs a minor one.
# It reports; it does not gate: a breaking change still exits 0. It fails when a tool fails (a spec
# it cannot read, a crate it cannot build).
#
#   bash .ci/change-report.sh          # against the previous commit (HEAD^, its first parent)
#   bash .ci/change-report.sh HEAD     # uncommitted work against the last commit
#   bash .ci/change-report.sh REV      # against any revision
#
# The full openapi-diff answer (JSON, with the schema of the values each difference adds or takes
# away) is kept in target/change-report/openapi-diff.json.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

base=${1:-HEAD^}
if ! base_commit=$(git rev-parse --verify --quiet "$base^{commit}"); then
  if [[ $# -eq 0 ]]; then
    echo "change-report: no previous commit (the first one, or a shallow clone): nothing to compare"
    exit 0
  fi
  echo "change-report: no revision $base" >&2
  exit 2
fi
echo "change report: the working tree against $base ($(git log -1 --format='%h %s' "$base_commit"))"

bash .ci/install-tools.sh >/dev/null
out="$root/target/change-report"
rm -rf "$out"
mkdir -p "$out"

echo
echo "== (a) the OpenAPI diff of spec/enkash.yaml (openapi-diff $(node -p "require('./.ci/node_modules/openapi-diff/package.json').version"))"
if ! git cat-file -e "$base_commit:spec/enkash.yaml" 2>/dev/null; then
  echo "no spec/enkash.yaml at $base: nothing to compare"
elif git show "$base_commit:spec/enkash.yaml" | cmp -s - spec/enkash.yaml; then
  echo "spec/enkash.yaml is the same as at $base: no change to the API"
else
  git show "$base_commit:spec/enkash.yaml" >"$out/base.yaml"
  echo "-- the spec's own diff"
  git diff --no-index -U1 "$out/base.yaml" spec/enkash.yaml | sed -n '/^@@/,$p' | head -n 60 || true
  echo "-- openapi-diff (every operation a changed schema reaches)"
  # openapi-diff exits 1 both for a breaking change and for its own failure: only its answer (a
  # header line, then JSON) tells them apart.
  status=0
  .ci/node_modules/.bin/openapi-diff "$out/base.yaml" spec/enkash.yaml >"$out/openapi-diff.txt" \
    2>"$out/openapi-diff.err" || status=$?
  python3 - "$out" "$status" <<'PY'
import json, re, sys

out, status = sys.argv[1], int(sys.argv[2])
text = open(f"{out}/openapi-diff.txt").read()
header, _, body = text.partition("\n")
try:
    outcome = json.loads(body) if body.strip() else None
except json.JSONDecodeError:
    outcome = None
if header.startswith("No changes found") and status == 0:
    print("openapi-diff: no difference it classifies (it does not compare enum values or descriptions)")
    sys.exit(0)
if outcome is None or status not in (0, 1) or (status == 1) != outcome.get("breakingDifferencesFound"):
    sys.stderr.write(f"change-report: openapi-diff failed (exit {status}):\n{text}")
    sys.stderr.write(open(f"{out}/openapi-diff.err").read())
    sys.exit(2)
json.dump(outcome, open(f"{out}/openapi-diff.json", "w"), indent=2)


def where(location):
    """`paths./a/b.put.requestBody.content.application/json.schema` -> `PUT /a/b request body`."""
    match = re.match(r"paths\.(/.*?)\.(get|put|post|delete|patch|head|options|trace)\.(.*)", location)
    if not match:
        return location
    path, method, rest = match.groups()
    rest = re.sub(r"\.content\.[^.]+/[^.]+\.schema$", "", rest)
    rest = re.sub(r"^requestBody$", "request body", rest)
    rest = re.sub(r"^responses\.(\w+)$", r"response \1", rest)
    return f"{method.upper()} {path} {rest}"


def places(difference):
    found = []
    for side in ("sourceSpecEntityDetails", "destinationSpecEntityDetails"):
        for detail in difference.get(side, []):
            if where(detail["location"]) not in found:
                found.append(where(detail["location"]))
    return ", ".join(found)


def meaning(code):
    if code.endswith(".scope.remove"):
        return "accepts fewer values than before"
    if code.endswith(".scope.add"):
        return "accepts more values than before"
    return code.rsplit(".", 1)[-1] + "d"


labels = [
    ("breakingDifferences", "BREAKING"),
    ("nonBreakingDifferences", "non-breaking"),
    ("unclassifiedDifferences", "unclassified"),
]
counts = []
for key, label in labels:
    found = outcome.get(key, [])
    counts.append(f"{len(found)} {label}")
    for difference in found:
        print(f"{label:<12} {places(difference)}: {meaning(difference['code'])} ({difference['code']})")
print("openapi-diff: " + ", ".join(counts))
PY
fi

echo
semver_checks="$root/.ci/bin/cargo-semver-checks"
echo "== (b) the public Rust API of the crate ($("$semver_checks" --version))"
# The files the published package is made of (Cargo.toml's `include`, and the lock file that picks
# the versions of the types it re-exports): unchanged, its public API is too.
if git diff --quiet "$base_commit" -- Cargo.toml Cargo.lock build.rs build spec src generated; then
  echo "no file of the package changed since $base: the public API is the same"
  echo "change-report: done"
  exit 0
fi
# The default features and `axum`, the one feature that adds public items (`codegen` produces the
# same code from the spec, `exact-scale` changes how numbers are read). The rustdoc of both
# revisions builds in target/semver-checks.
status=0
"$semver_checks" semver-checks check-release --package enkash --baseline-rev "$base_commit" \
  --default-features --features axum 2>&1 | tee "$out/semver-checks.txt" \
  || status=${PIPESTATUS[0]}
# cargo-semver-checks exits 1 both for a breaking change and for its own failure: a failure has no
# summary line.
if grep -Eq '^ +Summary (no semver update required|semver requires new (major|minor) version)' \
  "$out/semver-checks.txt"; then
  echo "change-report: done (a breaking change is reported, not refused)"
else
  echo "change-report: cargo-semver-checks failed (exit $status)" >&2
  exit 1
fi
