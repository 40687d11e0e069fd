import assert from "node:assert/strict";
import { causeChain, describeError, reasonOf } from "../src/_errors.ts";

function sdkError(name: string, message: string, status?: number): Error {
  const error = new Error(message);
  error.name = name;
  if (status !== undefined) {
    Object.assign(error, { $metadata: { httpStatusCode: status } });
  }
  return error;
}

Deno.test("describeError() gives name and message in one line, without a final period", () => {
  assert.equal(
    describeError(sdkError("SlowDown", "Please reduce your request rate.")),
    "SlowDown: Please reduce your request rate",
  );
  assert.equal(describeError(new Error("plain")), "plain");
  assert.equal(describeError("a string"), "a string");
});

Deno.test("describeError() names the HTTP status of an answer that had no body to explain it", () => {
  assert.equal(
    describeError(sdkError("UnknownError", "UnknownError", 503)),
    "UnknownError (HTTP 503)",
  );
  assert.equal(
    describeError(sdkError("NotFound", "", 404)),
    "NotFound (HTTP 404)",
  );
  // Without a status there is nothing to add.
  assert.equal(
    describeError(sdkError("UnknownError", "UnknownError")),
    "UnknownError",
  );
});

Deno.test("reasonOf() keeps a failed request's own message, and causeChain() walks causes outermost first", () => {
  const inner = sdkError(
    "InternalError",
    "We encountered an internal error.",
    500,
  );
  const failed = Object.assign(
    new Error("UploadPart failed after 3 attempts: InternalError", {
      cause: inner,
    }),
    { operation: "UploadPart", attempts: 3 },
  );
  assert.equal(
    reasonOf(failed),
    "UploadPart failed after 3 attempts: InternalError",
  );
  assert.deepEqual(
    causeChain(new Error("outer", { cause: failed })).map((e) => e.message),
    [
      "outer",
      "UploadPart failed after 3 attempts: InternalError",
      "We encountered an internal error.",
    ],
  );
});
