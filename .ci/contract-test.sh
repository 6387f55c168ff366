#!/usr/bin/env bash
# Contract test: run Schemathesis against the sandbox binary (sandbox/, `enkash-sandbox`) with spec/enkash.yaml.
# Prerequisite: .ci/install-tools.sh (creates .ci/venv with the pinned Schemathesis).
# Settings: .ci/schemathesis.toml. Extra arguments are passed on to `st run`.
set -euo pipefail

cd "$(dirname "$0")/.."

ST=.ci/venv/bin/st
PYTHON=.ci/venv/bin/python
if [[ ! -x "$ST" ]]; then
  echo "contract-test: missing $ST; run .ci/install-tools.sh first" >&2
  exit 2
fi

echo "==> cargo build -p enkash-sandbox --bin enkash-sandbox"
cargo build --quiet -p enkash-sandbox --bin enkash-sandbox
BIN="${CARGO_TARGET_DIR:-target}/debug/enkash-sandbox"

WORK=$(mktemp -d)
LOG="$WORK/sandbox.log"
SANDBOX_PID=
stop_sandbox() {
  if [[ -n "$SANDBOX_PID" ]] && kill -0 "$SANDBOX_PID" 2>/dev/null; then
    # TERM, not INT: a background job of a script starts with SIGINT ignored.
    kill -TERM "$SANDBOX_PID" 2>/dev/null || true
    wait "$SANDBOX_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap stop_sandbox EXIT

# Port 0: the OS picks a free port; the sandbox prints its URL. Tokens live a day, far longer
# than the run. --spec-examples preloads the bill, customer and invoices the spec's examples name.
"$BIN" 127.0.0.1:0 --spec-examples --token-lifetime 86400 >"$LOG" 2>&1 &
SANDBOX_PID=$!

BASE_URL=
for _ in $(seq 1 100); do
  # The log may not exist yet: the sandbox opens it as it starts.
  BASE_URL=$(sed -n 's/^EnKash sandbox listening on \(http:[^ ]*\)$/\1/p' "$LOG" 2>/dev/null || true)
  if [[ -n "$BASE_URL" ]] && curl -s -o /dev/null "$BASE_URL/oauth/token"; then
    break
  fi
  if ! kill -0 "$SANDBOX_PID" 2>/dev/null; then
    echo "contract-test: the sandbox exited:" >&2
    cat "$LOG" >&2
    exit 1
  fi
  BASE_URL=
  sleep 0.1
done
if [[ -z "$BASE_URL" ]]; then
  echo "contract-test: the sandbox did not answer within 10 s" >&2
  cat "$LOG" >&2
  exit 1
fi
echo "==> sandbox at $BASE_URL"

field() { sed -n "s/^  $1: *//p" "$LOG"; }
export SANDBOX_CLIENT_ID SANDBOX_CLIENT_SECRET SANDBOX_TOKEN
SANDBOX_CLIENT_ID=$(field "client id")
SANDBOX_CLIENT_SECRET=$(field "client secret")
SANDBOX_TOKEN=$(curl -sf -X POST "$BASE_URL/oauth/token" \
    -u "$SANDBOX_CLIENT_ID:$SANDBOX_CLIENT_SECRET" \
    --data-urlencode "username=$(field username)" \
    --data-urlencode "password=$(field password)" \
    --data-urlencode grant_type=password \
    --data-urlencode "clientId=$SANDBOX_CLIENT_ID" \
  | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

echo "==> schemathesis against $BASE_URL"
# Every tag of the spec: the token call, Bill Payment, Accounts Receivable and Vendor Payment.
status=0
"$ST" --config-file .ci/schemathesis.toml run spec/enkash.yaml \
  --url "$BASE_URL" \
  --include-tag-regex '^(Authentication|Bill Payment|Accounts Receivable|Vendor Payment)$' \
  --checks all \
  --seed 42 \
  --max-examples 25 \
  --generation-database none \
  --report junit,ndjson --report-dir "$WORK/report" \
  "$@" || status=$?

echo "==> counts per tag: operations tested, requests sent, answers by status class, failed checks"
"$PYTHON" .ci/tag-counts.py spec/enkash.yaml "$WORK/report"
[[ $status -eq 0 ]] || exit "$status"
echo "==> contract test passed"
