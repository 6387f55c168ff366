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
# The full openapi-diff answer (JSON) is kept in target/change-report/openapi-diff.json.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

base=${1:-HEAD^}
if ! base_commit=$(git rev-parse --verify --quiet "$base^{commit}"); then
  echo "change-report: no revision $base (the first commit, or a shallow clone): nothing to compare"
  exit 0
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
  git diff --no-index --stat "$out/base.yaml" spec/enkash.yaml | tail -1 || true
  # openapi-diff exits 1 both for a breaking change and for its own failure: only its answer (a
  # header line, then JSON) tells them apart.
  status=0
  .ci/node_modules/.bin/openapi-diff "$out/base.yaml" spec/enkash.yaml >"$out/openapi-diff.txt" \
    2>"$out/openapi-diff.err" || status=$?
  python3 - "$out" "$status" <<'PY'
import json, sys

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


def where(difference):
    places = []
    for side in ("sourceSpecEntityDetails", "destinationSpecEntityDetails"):
        for detail in difference.get(side, []):
            if detail["location"] not in places:
                places.append(detail["location"])
    return " -> ".join(places)


def changed(difference):
    """What the change takes out of (remove) or adds to (add) the values accepted, in short."""
    schema = (difference.get("details") or {}).get("differenceSchema")
    if schema is None:
        return ""
    text = json.dumps(schema, separators=(",", ":"))
    return text if len(text) <= 240 else text[:237] + "..."


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
        print(f"{label:<12} {difference['code']}  {where(difference)}")
        detail = changed(difference)
        if detail:
            verb = "no longer accepted" if difference["action"] == "remove" else "now accepted"
            print(f"{'':<12}   {verb}: {detail}")
print("openapi-diff: " + ", ".join(counts))
PY
fi

echo
semver_checks="$root/.ci/bin/cargo-semver-checks"
echo "== (b) the public Rust API of the crate ($("$semver_checks" --version))"
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
