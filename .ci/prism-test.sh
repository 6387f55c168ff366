#!/usr/bin/env bash
# Runs the client's happy paths (tests/prism.rs) against `prism mock` of spec/enkash.yaml on
# 127.0.0.1 and fails when Prism logs any request that breaks the spec.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PRISM_PORT:-4010}
log=$(mktemp)
.ci/node_modules/.bin/prism mock --host 127.0.0.1 --port "$port" --errors spec/enkash.yaml >"$log" 2>&1 &
prism=$!
trap 'kill $prism 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 60); do
  if grep -q "Prism is listening" "$log"; then break; fi
  if ! kill -0 $prism 2>/dev/null; then cat "$log"; exit 1; fi
  sleep 0.5
done
grep -q "Prism is listening" "$log" || { cat "$log"; echo "prism did not start" >&2; exit 1; }

ENKASH_PRISM_URL="http://127.0.0.1:$port" cargo test --all-features --test prism -- --ignored

if grep -Ei "violation|\[VALIDATOR\].*(error|✖)" "$log"; then
  echo "prism logged request violations (above)" >&2
  exit 1
fi
# The multipart bulk uploads: each reached Prism and passed its validation of the form body.
for path in /api/v0/customer/bulk /api/v0/customer/bulk/update /api/v0/invoice/bulk/create; do
  verdict=$(awk -v want="post $path ℹ" '
    index($0, want) { pending = 1; next }
    pending && /\[VALIDATOR\]/ { print; pending = 0 }' "$log")
  if ! grep -q "passed the validation rules" <<<"$verdict" || grep -qv "passed the validation rules" <<<"$verdict"; then
    echo "prism: no multipart request to $path passed validation" >&2
    exit 1
  fi
  echo "prism: POST $path (multipart/form-data): passed validation"
done
echo "prism: $(grep -c 'Request received' "$log" || true) requests, no violations"
