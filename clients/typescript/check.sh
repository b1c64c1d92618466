#!/usr/bin/env bash
# check.sh: proves a TypeScript/Node team can generate its herken client from
# proto/ with buf and local plugins only, and call a real server with it.
#
#  1. npm ci (pinned versions, package-lock.json) into this directory
#  2. buf generate with buf.gen.yaml (local protoc-gen-es; nothing from buf.build)
#  3. tsc type-checks lookup.mjs against the generated .d.ts files
#  4. builds herken, creates an API key, starts `herken serve --in-memory --demo
#     --keys-file` on a free loopback port (port 0; the address is read from
#     the "herken serving" log line)
#  5. node lookup.mjs 06-12345678 with the key must print "Jan de Vries";
#     without the key it must fail UNAUTHENTICATED (exit 5); a malformed
#     number must fail with ErrorInfo reason PHONE_NUMBER_INVALID and a
#     BadRequest field violation decoded from the error details
#
# Needs go, node >= 20 and npm (registry access for npm ci). Exits non-zero on
# any failure. GO=... picks the go command; HERKEN_BIN=path skips the build.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
GO=${GO:-go}
BUF=("$GO" tool -modfile="$root/tools/go.mod" buf)

tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "check.sh: FAIL: $*" >&2
  if [[ -f $tmp/serve.log ]]; then
    echo "--- server log (last 20 lines)" >&2
    tail -n 20 "$tmp/serve.log" >&2
  fi
  exit 1
}
step() { printf '== [%3ds] %s\n' "$SECONDS" "$*"; }

cd "$here"
step "node $(node --version), npm $(npm --version), $("${BUF[@]}" --version | sed 's/^/buf /')"

step "npm ci"
npm ci --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error || fail "npm ci failed"

step "buf generate (local plugin protoc-gen-es $(node -p 'require("./node_modules/@bufbuild/protoc-gen-es/package.json").version'))"
rm -rf gen
"${BUF[@]}" generate || fail "buf generate failed"
[[ -f gen/herken/v1/recognition_service_pb.js && -f gen/google/rpc/error_details_pb.js ]] ||
  fail "buf generate did not write gen/herken/v1/recognition_service_pb.js and gen/google/rpc/error_details_pb.js"
echo "$(find gen -name '*.js' | wc -l) modules generated"

step "tsc: type-check lookup.mjs against the generated types"
npx --no-install tsc -p . || fail "lookup.mjs does not type-check against the generated code"

if [[ -n ${HERKEN_BIN:-} ]]; then
  herken=$HERKEN_BIN
else
  step "go build ./cmd/herken"
  (cd "$root" && "$GO" build -o "$tmp/herken" ./cmd/herken) || fail "go build ./cmd/herken failed"
  herken=$tmp/herken
fi

step "herken serve --in-memory --demo with an API key"
key=$("$herken" keys create --keys-file "$tmp/keys" --name ts-client-check --scopes lookup 2>"$tmp/keys.log") ||
  fail "herken keys create failed: $(cat "$tmp/keys.log")"
[[ $key == hk_* ]] || fail "herken keys create printed no key"
"$herken" serve --addr=127.0.0.1:0 --in-memory --demo --keys-file="$tmp/keys" --log-format=json \
  >"$tmp/serve.log" 2>&1 &
server_pid=$!
addr=
for _ in $(seq 1 150); do # up to 15s
  addr=$(sed -n 's/.*"msg":"herken serving","addr":"\([^"]*\)".*/\1/p' "$tmp/serve.log" | head -n 1)
  [[ -n $addr ]] && break
  kill -0 "$server_pid" 2>/dev/null || fail "herken serve exited"
  sleep 0.1
done
[[ -n $addr ]] || fail "herken serve did not report its address within 15s"
echo "serving on $addr"
export HERKEN_ADDR=$addr

step "node lookup.mjs 06-12345678 (with the API key)"
set +e
out=$(HERKEN_API_KEY=$key node lookup.mjs 06-12345678 2>&1)
rc=$?
set -e
echo "$out"
[[ $rc -eq 0 ]] || fail "lookup exited $rc, want 0"
[[ $out == *"Jan de Vries"* ]] || fail "lookup output lacks \"Jan de Vries\""

step "node lookup.mjs 06-12345678 (no API key: UNAUTHENTICATED)"
set +e
out=$(env -u HERKEN_API_KEY node lookup.mjs 06-12345678 2>&1)
rc=$?
set -e
echo "$out"
[[ $rc -eq 5 ]] || fail "lookup without a key exited $rc, want 5"
[[ $out == *"(Unauthenticated / "* && $out != *"(Unauthenticated / -)"* ]] ||
  fail "no ErrorInfo reason decoded for UNAUTHENTICATED"

step "node lookup.mjs 06-1234 (malformed: ErrorInfo + BadRequest details)"
set +e
out=$(HERKEN_API_KEY=$key node lookup.mjs 06-1234 2>&1)
rc=$?
set -e
echo "$out"
[[ $rc -eq 1 ]] || fail "lookup of a malformed number exited $rc, want 1"
[[ $out == *"(InvalidArgument / PHONE_NUMBER_INVALID)"* ]] || fail "ErrorInfo reason PHONE_NUMBER_INVALID not decoded"
[[ $out == *"field identifier.phone_number:"* ]] || fail "BadRequest field violation not decoded"

echo "check.sh: OK in ${SECONDS}s: TypeScript client generated with buf (local plugins) and checked against herken"
