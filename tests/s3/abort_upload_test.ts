import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  CreateMultipartUploadCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import {
  abortUpload,
  type AbortUploadOptions,
  S3UploadError,
  type UploadCheckpoint,
  uploadToS3,
} from "../../src/s3/mod.ts";
import {
  FAKE_PART_SIZE,
  fakeUploadOptions,
  patternStream,
  RecordingS3,
  s3Error,
} from "./_recording_s3.ts";
import {
  objectSha256,
  pendingUploads,
  randomStream,
  withBucket,
} from "./_local_s3.ts";

/** No waiting between attempts: the tests count attempts, not seconds. */
const NO_WAIT = { baseDelay: 0, maxDelay: 0 };

/** An upload to the fake that fails at part 3 and is kept, with its last checkpoint. */
async function keptUpload(s3: RecordingS3): Promise<UploadCheckpoint> {
  let checkpoint: UploadCheckpoint | undefined;
  s3.fault = (call) =>
    call.command === "UploadPart" && call.partNumber === 3
      ? s3Error("AccessDenied", 403)
      : undefined;
  await assert.rejects(
    uploadToS3(
      patternStream(3 * FAKE_PART_SIZE).stream,
      fakeUploadOptions(s3, {
        concurrency: 1,
        abortOnFailure: false,
        onCheckpoint: (saved) => {
          checkpoint = structuredClone(saved);
        },
      }),
    ),
    { name: "S3UploadError", uploadKept: true },
  );
  s3.fault = () => undefined;
  s3.calls.length = 0;
  assert.ok(checkpoint !== undefined);
  assert.equal(checkpoint.parts.length, 2);
  return checkpoint;
}

/** An upload to the fake that completes, with its last checkpoint. */
async function completedUpload(s3: RecordingS3): Promise<UploadCheckpoint> {
  let checkpoint: UploadCheckpoint | undefined;
  await uploadToS3(
    patternStream(2 * FAKE_PART_SIZE + 10).stream,
    fakeUploadOptions(s3, {
      onCheckpoint: (saved) => {
        checkpoint = structuredClone(saved);
      },
    }),
  );
  s3.calls.length = 0;
  assert.ok(checkpoint !== undefined);
  assert.equal(checkpoint.parts.length, 3);
  return checkpoint;
}

async function rejection(promise: Promise<unknown>): Promise<S3UploadError> {
  const error = await promise.then(
    () => assert.fail("expected abortUpload() to reject"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof S3UploadError, `got ${error}`);
  return error;
}

Deno.test("abortUpload() aborts a pending upload, confirms with ListParts that it is gone, and says so", async () => {
  const s3 = new RecordingS3();
  const checkpoint = await keptUpload(s3);
  const result = await abortUpload({
    client: s3,
    bucket: "bucket",
    key: "out.zip",
    uploadId: checkpoint.uploadId,
  });
  assert.deepEqual(result, {
    bucket: "bucket",
    key: "out.zip",
    uploadId: "upload-1",
    outcome: "aborted",
  });
  assert.deepEqual(s3.commands, [
    "ListParts",
    "AbortMultipartUpload",
    "ListParts",
  ]);
  assert.deepEqual(s3.pendingUploads(), []);
});

Deno.test("abortUpload() takes the upload from a checkpoint, and aborts it", async () => {
  const s3 = new RecordingS3();
  const checkpoint = await keptUpload(s3);
  const result = await abortUpload({ client: s3, checkpoint });
  assert.equal(result.outcome, "aborted");
  assert.equal(result.uploadId, "upload-1");
  assert.deepEqual(s3.pendingUploads(), []);
});

Deno.test("abortUpload() reports an upload that no longer exists as already gone, sending no abort", async () => {
  const s3 = new RecordingS3();
  const checkpoint = await keptUpload(s3);
  await abortUpload({ client: s3, checkpoint });
  s3.calls.length = 0;
  const again = await abortUpload({ client: s3, checkpoint });
  assert.equal(again.outcome, "already-gone");
  // The checkpoint's object is not at the key: HeadObject says so.
  assert.deepEqual(s3.commands, ["ListParts", "HeadObject"]);
  s3.calls.length = 0;
  const unknown = await abortUpload({
    client: s3,
    bucket: "bucket",
    key: "out.zip",
    uploadId: "never-created",
  });
  assert.equal(unknown.outcome, "already-gone");
  assert.deepEqual(s3.commands, ["ListParts"]);
});

Deno.test("abortUpload() recognises, by its checkpoint, an upload an earlier run completed, and leaves the object", async () => {
  const s3 = new RecordingS3();
  const checkpoint = await completedUpload(s3);
  const stored = s3.objects.get("out.zip")!.bytes;
  const result = await abortUpload({ client: s3, checkpoint });
  assert.equal(result.outcome, "completed");
  assert.deepEqual(s3.commands, ["ListParts", "HeadObject"]);
  assert.equal(s3.objects.get("out.zip")!.bytes, stored);
  // Without the checkpoint nothing tells a completed upload from one aborted.
  const bare = await abortUpload({
    client: s3,
    bucket: "bucket",
    key: "out.zip",
    uploadId: checkpoint.uploadId,
  });
  assert.equal(bare.outcome, "already-gone");
  // An object put over it since is not the checkpoint's.
  s3.putObject("out.zip", new Uint8Array(10));
  assert.equal(
    (await abortUpload({ client: s3, checkpoint })).outcome,
    "already-gone",
  );
});

Deno.test("abortUpload() recognises a completed upload whose parts are still listed and whose abort answers NoSuchKey, as on Swift", async () => {
  const s3 = new RecordingS3();
  const checkpoint = await keptUpload(s3);
  // The object the checkpoint's two parts make, stored at the key.
  const parts = [...s3.uploads.get("upload-1")!.parts.values()];
  const digests = createHash("md5");
  for (const part of parts) {
    digests.update(createHash("md5").update(part.bytes).digest());
  }
  s3.objects.set("out.zip", {
    bytes: new Uint8Array(2 * FAKE_PART_SIZE),
    etag: `"${digests.digest("hex")}-2"`,
    contentType: undefined,
    metadata: undefined,
  });
  s3.fault = (call) =>
    call.command === "AbortMultipartUpload"
      ? s3Error("NoSuchKey", 404)
      : undefined;
  const result = await abortUpload({ client: s3, checkpoint, retry: NO_WAIT });
  assert.equal(result.outcome, "completed");
  assert.equal(s3.commands.at(-1), "HeadObject");
});

Deno.test("abortUpload() rejects with outcome pending, saying what was tried and what the server answered", async () => {
  const s3 = new RecordingS3();
  const checkpoint = await keptUpload(s3);
  s3.fault = (call) =>
    call.command === "ListParts" ? s3Error("InternalError", 500) : undefined;
  const listing = await rejection(
    abortUpload({ client: s3, checkpoint, retry: { ...NO_WAIT, attempts: 2 } }),
  );
  assert.equal(
    listing.message,
    "Cannot abort upload ID upload-1 of s3://bucket/out.zip: ListParts could not tell whether it still exists: ListParts failed after 2 attempts: InternalError: Injected by the test; it may remain, with its parts",
  );
  assert.equal(listing.outcome, "pending");
  assert.equal(listing.uploadId, "upload-1");
  assert.equal(listing.bucket, "bucket");
  assert.equal(listing.key, "out.zip");
  assert.equal((listing.cause as Error).name, "InternalError");
  assert.deepEqual(s3.commands, ["ListParts", "ListParts"]);

  s3.calls.length = 0;
  s3.fault = (call) =>
    call.command === "AbortMultipartUpload"
      ? s3Error("AccessDenied", 403)
      : undefined;
  const refused = await rejection(
    abortUpload({
      client: s3,
      bucket: "bucket",
      key: "out.zip",
      uploadId: "upload-1",
      retry: NO_WAIT,
    }),
  );
  assert.equal(
    refused.message,
    "Cannot abort upload ID upload-1 of s3://bucket/out.zip: AbortMultipartUpload failed after 1 attempt: AccessDenied: Injected by the test; it may remain, with its parts",
  );
  assert.equal(refused.outcome, "pending");
  assert.deepEqual(s3.pendingUploads(), ["out.zip"]);
});

Deno.test("abortUpload() retries with the cleanup budget by default: 60 attempts", async () => {
  const s3 = new RecordingS3();
  const checkpoint = await keptUpload(s3);
  // More failures than the work budget's 20 attempts allow.
  s3.fault = (call, n) =>
    call.command === "ListParts" && n <= 30
      ? s3Error("SlowDown", 503)
      : undefined;
  const result = await abortUpload({ client: s3, checkpoint, retry: NO_WAIT });
  assert.equal(result.outcome, "aborted");
  assert.equal(s3.commands.filter((name) => name === "ListParts").length, 32);
});

Deno.test("abortUpload() stops before sending anything when its signal has aborted", async () => {
  const s3 = new RecordingS3();
  const checkpoint = await keptUpload(s3);
  const error = await rejection(
    abortUpload({
      client: s3,
      checkpoint,
      signal: AbortSignal.abort(new Error("Stopped by the user")),
    }),
  );
  assert.equal(
    error.message,
    "Cannot abort upload ID upload-1 of s3://bucket/out.zip: stopped by the signal before the upload was shown gone: Stopped by the user; it may remain, with its parts",
  );
  assert.equal(error.outcome, "pending");
  assert.deepEqual(s3.commands, []);
  assert.deepEqual(s3.pendingUploads(), ["out.zip"]);
});

Deno.test("abortUpload() names the option that is wrong and what it got", async () => {
  const s3 = new RecordingS3();
  const checkpoint = await keptUpload(s3);
  const ids = { bucket: "bucket", key: "out.zip", uploadId: "upload-1" };
  const cases: [unknown, typeof TypeError | typeof RangeError, string][] = [
    [
      undefined,
      TypeError,
      "Cannot abort an upload: expected an options object with client and either checkpoint or bucket, key and uploadId but got undefined",
    ],
    [
      { ...ids, client: {} },
      TypeError,
      'Cannot abort upload ID upload-1 of s3://bucket/out.zip: expected option "client" to be an S3Client (an object with send()) but got {}',
    ],
    [
      { client: s3, bucket: "bucket", key: "out.zip" },
      TypeError,
      'Cannot abort an upload: expected option "uploadId" to be a non-empty string (or a checkpoint) but got undefined',
    ],
    [
      { client: s3, key: "out.zip", uploadId: "u" },
      TypeError,
      'Cannot abort an upload: expected option "bucket" to be a non-empty string but got undefined',
    ],
    [
      { client: s3, checkpoint: { ...checkpoint, parts: "none" } },
      TypeError,
      'Cannot abort an upload: invalid option "checkpoint": Invalid upload checkpoint: expected parts to be an array but got "none"',
    ],
    [
      { client: s3, checkpoint, key: "other.zip" },
      RangeError,
      'Cannot abort upload ID upload-1 of s3://bucket/out.zip: expected option "key" to be the checkpoint\'s "out.zip" or left out but got "other.zip"',
    ],
    [
      { client: s3, checkpoint, retry: { attempts: 0 } },
      RangeError,
      'Cannot abort upload ID upload-1 of s3://bucket/out.zip: expected option "retry.attempts" to be an integer from 1 to 100 but got 0',
    ],
    [
      { client: s3, checkpoint, signal: "stop" },
      TypeError,
      'Cannot abort upload ID upload-1 of s3://bucket/out.zip: expected option "signal" to be an AbortSignal but got "stop"',
    ],
  ];
  for (const [options, Kind, message] of cases) {
    await assert.rejects(
      abortUpload(options as AbortUploadOptions),
      (error: unknown) => {
        assert.ok(error instanceof Kind, `${message}: got ${error}`);
        assert.equal(error.message, message);
        return true;
      },
    );
  }
  assert.deepEqual(s3.commands, []);
});

// Against the local S3 server (OpenStack Swift).

Deno.test("abortUpload() aborts a pending upload on the local server, and ListMultipartUploads no longer shows it", async () => {
  await withBucket(async (client, bucket) => {
    const key = "pending.zip";
    const { UploadId: uploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }),
    );
    assert.ok(uploadId !== undefined);
    await client.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: 1,
        Body: new Uint8Array(FAKE_PART_SIZE),
      }),
    );
    assert.deepEqual(await pendingUploads(client, bucket, key), [uploadId]);
    const result = await abortUpload({ client, bucket, key, uploadId });
    assert.deepEqual(result, { bucket, key, uploadId, outcome: "aborted" });
    assert.deepEqual(await pendingUploads(client, bucket, key), []);

    const again = await abortUpload({ client, bucket, key, uploadId });
    assert.equal(again.outcome, "already-gone");
    const unknown = await abortUpload({
      client,
      bucket,
      key,
      uploadId: "no-such-upload",
    });
    assert.equal(unknown.outcome, "already-gone");
  });
});

Deno.test("abortUpload() with the checkpoint of an upload completed on the local server says completed and keeps the object", async () => {
  await withBucket(async (client, bucket) => {
    const key = "completed.zip";
    const body = randomStream(FAKE_PART_SIZE + 12_345, 7);
    let checkpoint: UploadCheckpoint | undefined;
    await uploadToS3(body.stream, {
      client,
      bucket,
      key,
      partSize: FAKE_PART_SIZE,
      onCheckpoint: (saved) => {
        checkpoint = structuredClone(saved);
      },
    });
    assert.ok(checkpoint !== undefined);
    assert.equal(checkpoint.parts.length, 2);
    const result = await abortUpload({ client, checkpoint });
    assert.equal(result.outcome, "completed");
    assert.equal(await objectSha256(client, bucket, key), body.sha256());
  });
});

Deno.test("abortUpload() with the checkpoint of an upload aborted on the local server says already gone", async () => {
  await withBucket(async (client, bucket) => {
    const key = "aborted.zip";
    let checkpoint: UploadCheckpoint | undefined;
    const controller = new AbortController();
    await assert.rejects(
      uploadToS3(randomStream(3 * FAKE_PART_SIZE, 3).stream, {
        client,
        bucket,
        key,
        partSize: FAKE_PART_SIZE,
        concurrency: 1,
        signal: controller.signal,
        onCheckpoint: (saved) => {
          checkpoint = structuredClone(saved);
          if (saved.parts.length === 1) controller.abort();
        },
      }),
      { name: "S3UploadError", outcome: "nothing-left" },
    );
    assert.ok(checkpoint !== undefined);
    const result = await abortUpload({ client, checkpoint });
    assert.equal(result.outcome, "already-gone");
  });
});
