#!/usr/bin/env bash
# Install the pinned CI checking tools into .ci/venv (Python) and
# .ci/node_modules (Node). Idempotent: skips steps whose inputs are unchanged.
set -euo pipefail

cd "$(dirname "$0")/.."

hash_of() { sha256sum "$@" | sha256sum | cut -d' ' -f1; }

# --- Python: openapi-spec-validator, schemathesis ---------------------------
VENV=.ci/venv
PY_STAMP="$VENV/.requirements.sha256"
py_hash="$(hash_of .ci/requirements.txt)"
if [[ -x "$VENV/bin/python" && -f "$PY_STAMP" && "$(cat "$PY_STAMP")" == "$py_hash" ]]; then
  echo "install-tools: $VENV up to date"
else
  echo "install-tools: installing Python tools into $VENV"
  [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r .ci/requirements.txt
  echo "$py_hash" > "$PY_STAMP"
fi

# --- Node: @redocly/cli, @stoplight/prism-cli -------------------------------
NODE_STAMP=.ci/node_modules/.package-lock.sha256
node_hash="$(hash_of .ci/package.json .ci/package-lock.json)"
if [[ -x .ci/node_modules/.bin/redocly && -x .ci/node_modules/.bin/prism \
      && -f "$NODE_STAMP" && "$(cat "$NODE_STAMP")" == "$node_hash" ]]; then
  echo "install-tools: .ci/node_modules up to date"
else
  echo "install-tools: npm ci in .ci"
  npm ci --prefix .ci --no-audit --no-fund
  echo "$node_hash" > "$NODE_STAMP"
fi

# --- OpenSSL headers: the tls-native feature (on under --all-features) -------
if pkg-config --exists openssl 2>/dev/null; then
  echo "install-tools: OpenSSL headers present"
else
  echo "install-tools: installing libssl-dev and pkg-config (Debian)"
  SUDO=$([[ $(id -u) -eq 0 ]] || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libssl-dev pkg-config
fi

# --- Rust: cargo-semver-checks (the change report's public API diff) --------
# Built from crates.io source (about ten minutes on two cores), so it is kept outside the clone,
# by version, where every clone on the machine finds it; a new machine builds it once.
# .ci/bin/cargo-semver-checks links to it.
SEMVER_CHECKS_VERSION=0.51.0
SEMVER_CHECKS_ROOT="${ENKASH_TOOLS_CACHE:-$HOME/.cache/enkash-ci}/cargo-semver-checks-$SEMVER_CHECKS_VERSION"
if [[ -x "$SEMVER_CHECKS_ROOT/bin/cargo-semver-checks" ]]; then
  echo "install-tools: cargo-semver-checks $SEMVER_CHECKS_VERSION up to date"
else
  echo "install-tools: cargo install cargo-semver-checks $SEMVER_CHECKS_VERSION"
  started=$(date +%s)
  cargo install --quiet --locked cargo-semver-checks \
    --version "$SEMVER_CHECKS_VERSION" --root "$SEMVER_CHECKS_ROOT.partial"
  rm -rf "$SEMVER_CHECKS_ROOT"
  mv "$SEMVER_CHECKS_ROOT.partial" "$SEMVER_CHECKS_ROOT"
  echo "install-tools: cargo-semver-checks built in $(( $(date +%s) - started )) s"
fi
mkdir -p .ci/bin
ln -sfn "$SEMVER_CHECKS_ROOT/bin/cargo-semver-checks" .ci/bin/cargo-semver-checks
