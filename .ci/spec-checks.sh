#!/usr/bin/env bash
# Run the external OpenAPI checks on spec/enkash.yaml.
# Prerequisite: .ci/install-tools.sh (creates .ci/venv and .ci/node_modules).
set -euo pipefail

cd "$(dirname "$0")/.."

SPEC=spec/enkash.yaml
REDOCLY=.ci/node_modules/.bin/redocly
VENV_BIN=.ci/venv/bin

# Never send Redocly telemetry (disabled here, not in redocly.yaml).
export REDOCLY_TELEMETRY=off

for tool in "$VENV_BIN/openapi-spec-validator" "$REDOCLY"; do
  if [[ ! -x "$tool" ]]; then
    echo "spec-checks: missing $tool; run .ci/install-tools.sh first" >&2
    exit 2
  fi
done

echo "==> openapi-spec-validator $SPEC"
"$VENV_BIN/openapi-spec-validator" "$SPEC"

echo "==> redocly lint (redocly.yaml, recommended-strict)"
# Lints every API listed under `apis:` in redocly.yaml (enkash -> spec/enkash.yaml).
# Exits non-zero on any error; config-file problems are errors too.
"$REDOCLY" lint --config redocly.yaml --lint-config error --format stylish

# redocly has no "fail on warnings" flag. recommended-strict makes its rules
# errors, but a rule set to `warn` in redocly.yaml would pass silently, so
# count warnings from the JSON report and fail if there are any.
warnings=$("$REDOCLY" lint --config redocly.yaml --lint-config error --format json 2>/dev/null \
  | "$VENV_BIN/python" -c 'import json,sys; print(json.load(sys.stdin)["totals"]["warnings"])')
if [[ "$warnings" != "0" ]]; then
  echo "spec-checks: redocly reported $warnings warning(s); treating as failure" >&2
  exit 1
fi

echo "==> spec checks passed"
