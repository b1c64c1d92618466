// @ts-check
// lookup.mjs: who is calling? A minimal herken client for Node, using the code
// buf generated into ./gen (see buf.gen.yaml) and Connect's gRPC transport.
// Plain JavaScript that node runs as is; `npx tsc` type-checks it against the
// generated .d.ts files.
//
//   node lookup.mjs 06-12345678
//   HERKEN_ADDR=herken.example.nl:50051 HERKEN_API_KEY=hk_... node lookup.mjs 06-12345678
//
// HERKEN_ADDR is host:port (default localhost:50051); plaintext HTTP/2 unless
// HERKEN_TLS=1 (a private CA: NODE_EXTRA_CA_CERTS=ca.pem). HERKEN_API_KEY, when set, is sent as "authorization: Bearer
// <key>" (an environment variable, not a flag: flags show in ps).
// Exit codes follow `herken lookup`: 0 found (or several candidates), 3 not
// found, 4 unavailable / deadline exceeded, 5 not allowed, 1 other errors.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";

import { MatchOutcome, RecognitionService } from "./gen/herken/v1/recognition_service_pb.js";
import { IdentifierSchema } from "./gen/herken/v1/identifier_pb.js";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "./gen/google/rpc/error_details_pb.js";

const phone = process.argv[2];
if (!phone || process.argv.length > 3) {
  console.error("usage: node lookup.mjs PHONE_NUMBER   (env: HERKEN_ADDR, HERKEN_API_KEY, HERKEN_TLS=1)");
  process.exit(2);
}
const addr = process.env.HERKEN_ADDR || "localhost:50051";
const apiKey = process.env.HERKEN_API_KEY || "";
const scheme = process.env.HERKEN_TLS === "1" ? "https" : "http";

/** Adds the API key to every call. @type {import("@connectrpc/connect").Interceptor} */
const bearer = (next) => async (req) => {
  req.header.set("authorization", `Bearer ${apiKey}`);
  return next(req);
};

// gRPC over HTTP/2 (the protocol herken speaks); one transport per process,
// it keeps the connection open and multiplexes calls on it.
const transport = createGrpcTransport({
  baseUrl: `${scheme}://${addr}`,
  interceptors: apiKey ? [bearer] : [],
});
const recognition = createClient(RecognitionService, transport);

try {
  const res = await recognition.lookup(
    { identifier: create(IdentifierSchema, { value: { case: "phoneNumber", value: phone } }) },
    { timeoutMs: 2000 }, // a deadline on every call: Lookup is on the ring path
  );
  switch (res.outcome) {
    case MatchOutcome.FOUND: {
      const c = res.customer?.customer;
      console.log(`${c?.displayName} (${c?.name})`);
      break;
    }
    case MatchOutcome.AMBIGUOUS:
      console.log(`ambiguous: ${res.candidates.length} customers share ${res.canonicalIdentifier?.value}`);
      for (const s of res.candidates) console.log(`  ${s.displayName} (${s.name})`);
      break;
    default:
      console.log(res.withheld ? "not found (caller id withheld)" : "not found");
      process.exitCode = 3;
  }
} catch (e) {
  // Every herken error carries google.rpc.ErrorInfo (reason, domain
  // "herken.v1"); invalid input also google.rpc.BadRequest field violations,
  // RESOURCE_EXHAUSTED a google.rpc.RetryInfo. Switch on the reason, not on
  // the message.
  const err = ConnectError.from(e);
  const info = err.findDetails(ErrorInfoSchema)[0];
  console.error(`lookup failed: ${err.rawMessage} (${Code[err.code]} / ${info?.reason ?? "-"})`);
  for (const br of err.findDetails(BadRequestSchema)) {
    for (const v of br.fieldViolations) console.error(`  field ${v.field}: ${v.description}`);
  }
  for (const ri of err.findDetails(RetryInfoSchema)) {
    console.error(`  retry after ${ri.retryDelay?.seconds ?? 0n}s ${ri.retryDelay?.nanos ?? 0}ns`);
  }
  process.exitCode =
    err.code === Code.NotFound ? 3
    : err.code === Code.Unavailable || err.code === Code.DeadlineExceeded ? 4
    : err.code === Code.Unauthenticated || err.code === Code.PermissionDenied ? 5
    : 1;
}
