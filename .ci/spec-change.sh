#!/usr/bin/env bash
# Follows a change in EnKash's docs as a maintainer would, on a copy of the repository: adds one
# optional field (`settlementUtr` on the v2 bill record) and one operation (a v2 bill receipt
# lookup) to spec/enkash.yaml, and nothing else. Then it regenerates with `codegen`, accepts the
# new snapshot and runs every test: an additive change to the spec must need no Rust edit.
#
# Usage: bash .ci/spec-change.sh
# The copy builds in target/spec-change: cargo names a path package's build by its place in the
# workspace, so sharing the repository's target directory would let the copy's generated code
# stand in for the repository's.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
copy=$(mktemp -d)
# The copy's build is a second full build: it goes as soon as the check ends, pass or fail.
trap 'rm -rf "$copy" "$root/target/spec-change"' EXIT
git ls-files -z | xargs -0 -I{} cp --parents {} "$copy"
export CARGO_TARGET_DIR="$root/target/spec-change"

echo "==> the spec change (as EnKash's docs would bring it)"
python3 - "$copy/spec/enkash.yaml" <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
field = """    UtilityPaymentV2Response:
      description: A bill record (current generation), as returned by create and the v2 lookups.
      type: object
      properties:
        settlementUtr:
          description: UTR of the settlement of this bill, once settled.
          type: string
          nullable: true
"""
anchor = """    UtilityPaymentV2Response:
      description: A bill record (current generation), as returned by create and the v2 lookups.
      type: object
      properties:
"""
assert anchor in text, "UtilityPaymentV2Response moved: update .ci/spec-change.sh"
text = text.replace(anchor, field, 1)
operation = """  /api/v2/utilityPayment/{utilityEnkashId}/receipt:
    get:
      tags: [Bill Payment]
      operationId: getUtilityBillReceipt
      x-call-kind: lookup
      summary: Get utility bill receipt
      description: The receipt of one settled bill by EnKash id.
      parameters:
        - $ref: '#/components/parameters/UtilityEnkashId'
      responses:
        '200':
          description: Envelope whose payload is the bill.
          content:
            application/json:
              schema:
                anyOf:
                  - $ref: '#/components/schemas/UtilityPaymentV2Envelope'
                  - allOf:
                      - $ref: '#/components/schemas/ErrorEnvelope'
                      - $ref: '#/components/schemas/FailureCode'
              examples:
                utilityPaymentV2Envelope:
                  $ref: '#/components/examples/UtilityPaymentV2Envelope'
        4XX:
          $ref: '#/components/responses/ClientError'
        5XX:
          $ref: '#/components/responses/ServerError'

"""
anchor = "  /api/v0/utilityPayment/referenceId/{referenceId}:\n"
assert anchor in text, "the referenceId lookup moved: update .ci/spec-change.sh"
text = text.replace(anchor, operation + anchor, 1)
open(path, "w").write(text)
PY
diff -u "$root/spec/enkash.yaml" "$copy/spec/enkash.yaml" || true

echo "==> regenerate, accept the snapshot, run every test (no Rust file edited)"
cd "$copy"
INSTA_UPDATE=always cargo test --quiet --features codegen --test generated_code
grep -q "pub fn get_utility_bill_receipt" generated/enkash.snap
grep -q "pub const GET_UTILITY_BILL_RECEIPT: OperationSpec" generated/enkash.snap
grep -q "pub settlement_utr: ::std::option::Option<::std::string::String>" generated/enkash.snap
git -C "$root" diff --no-index --stat "$root/generated/enkash.snap" "$copy/generated/enkash.snap" || true
cargo test --quiet --workspace --all-features
echo "==> an added field and an added operation built and passed with no Rust edit"

echo "==> a field EnKash sends that is optional but not nullable is refused, naming its path"
sed -i '/^        settlementUtr:$/,/nullable: true/{/nullable: true/d}' spec/enkash.yaml
if cargo build --quiet --features codegen 2>"$copy/refused.log"; then
  echo "spec-change: the build accepted a server-sent optional field without nullable" >&2
  exit 1
fi
grep -F '#/components/schemas/UtilityPaymentV2Response/properties/settlementUtr: an optional field EnKash sends may be null' "$copy/refused.log"
python3 - spec/enkash.yaml <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
broken = """          description: UTR of the settlement of this bill, once settled.
          type: string
"""
text = text.replace(broken, broken + "          nullable: true\n", 1)
open(path, "w").write(text)
PY

echo "==> an operation without x-call-kind is refused, naming its path"
sed -i '/operationId: getUtilityBillReceipt/{n;d}' spec/enkash.yaml
if cargo build --quiet --features codegen 2>"$copy/refused.log"; then
  echo "spec-change: the build accepted an operation without x-call-kind" >&2
  exit 1
fi
grep -F 'paths./api/v2/utilityPayment/{utilityEnkashId}/receipt.get: x-call-kind is missing' "$copy/refused.log"
