/**
 * The promise that matters most, checked over many random fault schedules:
 * whatever fails and however often, an upload ends either with an object
 * identical to what was streamed or with an S3UploadError and no multipart
 * upload left behind (unless aborting kept failing as often as it may
 * retry, which the error then says).
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { S3UploadError, uploadToS3 } from "../../src/s3/mod.ts";
import {
  connectionReset,
  type FaultDecision,
  patternStream,
  RecordingS3,
  s3Error,
} from "./_recording_s3.ts";

const MIB = 1024 * 1024;
const PART = 5 * MIB;

/** Commands that clean up: they see only transient faults, which retries get past. */
const CLEANUP = new Set([
  "AbortMultipartUpload",
  "ListParts",
  "ListMultipartUploads",
]);

type Fault =
  | "none"
  | "slow-down"
  | "internal"
  | "reset"
  | "hang"
  | "lost-answer"
  | "denied";

const faultArbitrary = fc.constantFrom<Fault>(
  "none",
  "none",
  "none",
  "none",
  "slow-down",
  "internal",
  "reset",
  "hang",
  "lost-answer",
  "denied",
);

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

Deno.test("uploadToS3() ends in an identical object or a clean failure under any schedule of faults", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(faultArbitrary, { minLength: 40, maxLength: 40 }),
      fc.integer({ min: 0, max: 4 * PART }),
      fc.integer({ min: 1, max: 4 }),
      async (schedule, size, concurrency) => {
        const s3 = new RecordingS3();
        let index = 0;
        const lost = new Set<number>();
        let lostCreate = false;
        s3.fault = (call): FaultDecision => {
          const fault = schedule[index++ % schedule.length]!;
          const cleanup = CLEANUP.has(call.command);
          switch (fault) {
            case "slow-down":
              return s3Error("SlowDown", 503);
            case "internal":
              return s3Error("InternalError", 500);
            case "reset":
              return connectionReset();
            case "hang":
              return "hang";
            case "denied":
              return cleanup
                ? s3Error("InternalError", 500)
                : s3Error("AccessDenied", 403);
            case "lost-answer":
              lost.add(s3.calls.indexOf(call));
              if (call.command === "CreateMultipartUpload") lostCreate = true;
              return undefined;
            default:
              return undefined;
          }
        };
        // A lost answer: the command took effect, but the client hears a dropped connection.
        const send = s3.send.bind(s3);
        s3.send = async (command, options) => {
          // send() records the call before its first await: this is its index.
          const position = s3.calls.length;
          const answer = await send(command, options);
          if (lost.delete(position)) throw connectionReset();
          return answer;
        };
        const source = patternStream(size, 512 * 1024);
        let error: unknown;
        try {
          await uploadToS3(source.stream, {
            client: s3,
            bucket: "bucket",
            key: "out.zip",
            partSize: PART,
            concurrency,
            retry: {
              attempts: 8,
              baseDelay: 0,
              maxDelay: 0,
              timeout: 20,
              timeoutPerMiB: 0,
            },
            cleanupRetry: {
              attempts: 8,
              baseDelay: 0,
              maxDelay: 0,
              timeout: 20,
              timeoutPerMiB: 0,
            },
          });
        } catch (caught) {
          error = caught;
        }
        // Uploads holding parts, and strays that a lost CreateMultipartUpload
        // answer began (never sent a part).
        const withParts = [...s3.uploads.values()].filter((u) =>
          u.parts.size > 0
        );
        const strays = [...s3.uploads.values()].filter((u) =>
          u.parts.size === 0
        );
        if (error === undefined) {
          assert.equal(
            sha256(s3.objects.get("out.zip")!.bytes),
            sha256(source.bytes()),
          );
          assert.deepEqual(withParts, []);
          // A stray is left only when looking for it failed as often as it may retry.
          if (strays.length > 0) {
            assert.ok(lostCreate, "a stray without a lost Create answer");
          }
        } else {
          assert.ok(
            error instanceof S3UploadError,
            `not an S3UploadError: ${error}`,
          );
          // Only when aborting kept failing as often as it may retry may an
          // upload remain, and then the error says so.
          if (!error.message.includes("; aborting it failed too")) {
            assert.deepEqual(withParts, [], error.message);
          }
          // "Nothing left" is true on the server: no object, no upload.
          if (error.outcome === "nothing-left") {
            assert.ok(!s3.objects.has("out.zip"), error.message);
            assert.deepEqual([...s3.uploads.keys()], [], error.message);
          } else {
            // "Pending" with nothing left is honest only when the cleanup
            // could not find out, and says so: an abort whose answer was
            // lost every time, a HeadObject that never answered.
            assert.ok(
              withParts.length + strays.length > 0 ||
                /could not be checked|failed too|may remain|remain, without parts/
                  .test(error.message),
              `"pending" with nothing pending: ${error.message}`,
            );
          }
          // "The object may be stored" is said only with the reason.
          if (error.objectUnknown) {
            assert.equal(error.outcome, "pending", error.message);
            assert.match(error.message, /could not be checked|failed too/);
          }
          if (
            strays.length > 0 &&
            !error.message.includes("; aborting it failed too")
          ) {
            assert.match(error.message, /without parts/);
          }
        }
      },
    ),
    { numRuns: 40 },
  );
});
