import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  checkpointOffset,
  parseUploadCheckpoint,
  S3UploadError,
  S3UploadStream,
  type UploadCheckpoint,
  type UploadOptions,
  uploadToS3,
} from "../../src/s3/mod.ts";
import { crc32, type WrittenEntry, zip } from "../../mod.ts";
import {
  FAKE_PART_SIZE,
  fakeUploadOptions,
  patternStream,
  RecordingS3,
  s3Error,
  sha256,
} from "./_recording_s3.ts";

const MIB = 1024 * 1024;
const PART = FAKE_PART_SIZE;
const TOTAL = 6 * PART + 1234;

function options(
  s3: RecordingS3,
  extra: Partial<UploadOptions> = {},
): UploadOptions {
  return fakeUploadOptions(s3, { concurrency: 1, ...extra });
}

function md5(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

async function rejection(promise: Promise<unknown>): Promise<S3UploadError> {
  const error = await promise.then(
    () => assert.fail("expected the upload to fail"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof S3UploadError, `got ${error}`);
  return error;
}

/** A body of `bytes` from `start` on, in chunks that do not line up with parts. */
function bodyOf(bytes: Uint8Array, start = 0): ReadableStream<Uint8Array> {
  return ReadableStream.from(
    (function* () {
      for (let i = start; i < bytes.length; i += 777_777) {
        yield bytes.slice(i, Math.min(bytes.length, i + 777_777));
      }
    })(),
  );
}

/**
 * Runs an upload of `total` pattern bytes that fails for good at part
 * `failAt`, keeping the upload, and returns the last checkpoint.
 */
async function interruptedUpload(
  s3: RecordingS3,
  failAt: number,
  total = TOTAL,
): Promise<{ checkpoint: UploadCheckpoint; bytes: Uint8Array }> {
  const source = patternStream(total, 100_000);
  const checkpoints: UploadCheckpoint[] = [];
  s3.fault = (call) =>
    call.command === "UploadPart" && call.partNumber === failAt
      ? s3Error("AccessDenied", 403)
      : undefined;
  await rejection(
    uploadToS3(
      source.stream,
      options(s3, {
        abortOnFailure: false,
        onCheckpoint: (checkpoint) => {
          checkpoints.push(JSON.parse(JSON.stringify(checkpoint)));
        },
      }),
    ),
  );
  s3.fault = () => undefined;
  s3.calls.length = 0;
  return { checkpoint: checkpoints.at(-1)!, bytes: source.bytes() };
}

function uploadedParts(s3: RecordingS3): number[] {
  return s3.calls.filter((c) => c.command === "UploadPart")
    .map((c) => c.partNumber!);
}

function completedParts(s3: RecordingS3): number[] {
  const complete = s3.calls.find((c) =>
    c.command === "CompleteMultipartUpload"
  )!;
  return (complete.input.MultipartUpload as { Parts: { PartNumber: number }[] })
    .Parts.map((p) => p.PartNumber);
}

Deno.test("onCheckpoint reports the new upload, then every part with its range, ETag, MD5 and CRC so far", async () => {
  const s3 = new RecordingS3();
  const source = patternStream(3 * PART + 10, 100_000);
  const checkpoints: string[] = [];
  const result = await uploadToS3(
    source.stream,
    options(s3, {
      concurrency: 2,
      onCheckpoint: (checkpoint) => {
        checkpoints.push(JSON.stringify(checkpoint));
      },
    }),
  );
  const bytes = source.bytes();
  assert.equal(checkpoints.length, 5);
  assert.deepEqual(JSON.parse(checkpoints[0]!), {
    version: 1,
    bucket: "bucket",
    key: "out.zip",
    uploadId: "upload-1",
    partSize: PART,
    parts: [],
  });
  const last = parseUploadCheckpoint(JSON.parse(checkpoints.at(-1)!));
  assert.deepEqual(
    last.parts,
    [0, 1, 2, 3].map((index) => {
      const part = bytes.subarray(index * PART, (index + 1) * PART);
      return {
        partNumber: index + 1,
        offset: index * PART,
        size: part.length,
        etag: `"${md5(part)}"`,
        md5: md5(part),
        prefixCrc32: crc32(bytes.subarray(0, index * PART + part.length)),
      };
    }),
  );
  assert.equal(result.crc32, crc32(bytes));
  // Each checkpoint has at least the parts of the one before.
  const counts = checkpoints.map((text) => JSON.parse(text).parts.length);
  assert.deepEqual(counts, counts.toSorted((a, b) => a - b));
});

Deno.test("onCheckpoint calls never overlap, and a slow one holds back the next part", async () => {
  const s3 = new RecordingS3();
  let running = 0;
  let most = 0;
  const result = await uploadToS3(
    patternStream(4 * PART).stream,
    options(s3, {
      concurrency: 3,
      onCheckpoint: async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
      },
    }),
  );
  assert.equal(result.parts, 4);
  assert.equal(most, 1);
});

Deno.test("uploadToS3() with abortOnFailure false keeps a failed upload it reported a checkpoint of, and says so", async () => {
  const s3 = new RecordingS3();
  s3.fault = (call) =>
    call.command === "UploadPart" && call.partNumber === 3
      ? s3Error("AccessDenied", 403)
      : undefined;
  const error = await rejection(
    uploadToS3(
      patternStream(TOTAL).stream,
      options(s3, { abortOnFailure: false, onCheckpoint: () => {} }),
    ),
  );
  assert.equal(error.uploadKept, true);
  assert.equal(
    error.message,
    "Cannot upload to s3://bucket/out.zip (upload ID upload-1): part 3 could not be uploaded: UploadPart failed after 1 attempt: AccessDenied: Injected by the test; the multipart upload was kept with its completed parts, to be resumed from its last checkpoint or aborted (upload ID upload-1)",
  );
  assert.ok(!s3.commands.includes("AbortMultipartUpload"));
  assert.deepEqual(s3.pendingUploads(), ["out.zip"]);
});

Deno.test("uploadToS3() with abortOnFailure false still aborts an upload no checkpoint was reported for", async () => {
  const s3 = new RecordingS3();
  s3.fault = (call) =>
    call.command === "UploadPart" && call.partNumber === 2
      ? s3Error("AccessDenied", 403)
      : undefined;
  const error = await rejection(
    uploadToS3(
      patternStream(TOTAL).stream,
      options(s3, { abortOnFailure: false }),
    ),
  );
  assert.equal(error.uploadKept, false);
  assert.match(error.message, /; the multipart upload was aborted$/);
  assert.deepEqual(s3.pendingUploads(), []);
});

Deno.test("uploadToS3() resumes from a checkpoint: no new upload, completed parts hashed but not sent", async () => {
  const s3 = new RecordingS3();
  const { checkpoint, bytes } = await interruptedUpload(s3, 4);
  assert.deepEqual(checkpoint.parts.map((p) => p.partNumber), [1, 2, 3]);
  const result = await uploadToS3(
    bodyOf(bytes),
    options(s3, { resume: checkpoint, concurrency: 2 }),
  );
  assert.ok(!s3.commands.includes("CreateMultipartUpload"));
  assert.equal(s3.commands[0], "ListParts");
  assert.deepEqual(uploadedParts(s3), [4, 5, 6, 7]);
  assert.deepEqual(completedParts(s3), [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(sha256(s3.objects.get("out.zip")!.bytes), sha256(bytes));
  assert.equal(result.size, TOTAL);
  assert.equal(result.parts, 7);
  assert.equal(result.crc32, crc32(bytes));
  assert.equal(result.uploadId, "upload-1");
  assert.deepEqual(s3.pendingUploads(), []);
});

Deno.test("uploadToS3() resumes with a body that starts at the checkpoint's offset", async () => {
  const s3 = new RecordingS3();
  const { checkpoint, bytes } = await interruptedUpload(s3, 4);
  const offset = checkpointOffset(checkpoint);
  assert.equal(offset, 3 * PART);
  const checkpoints: UploadCheckpoint[] = [];
  const progress: number[] = [];
  const result = await uploadToS3(
    bodyOf(bytes, offset),
    options(s3, {
      resume: checkpoint,
      bodyOffset: offset,
      onCheckpoint: (c) => {
        checkpoints.push(c);
      },
      onProgress: (p) => progress.push(p.bytesUploaded),
    }),
  );
  assert.deepEqual(uploadedParts(s3), [4, 5, 6, 7]);
  assert.deepEqual(completedParts(s3), [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(sha256(s3.objects.get("out.zip")!.bytes), sha256(bytes));
  assert.equal(result.size, TOTAL);
  assert.equal(result.crc32, crc32(bytes));
  // The checkpoints go on from the earlier run's parts.
  assert.deepEqual(
    checkpoints.at(-1)!.parts.map((p) => p.partNumber),
    [1, 2, 3, 4, 5, 6, 7],
  );
  assert.equal(progress.at(-1), TOTAL);
});

Deno.test("uploadToS3() does not resend a part the server holds with the same bytes though no checkpoint recorded it", async () => {
  const s3 = new RecordingS3();
  const { checkpoint, bytes } = await interruptedUpload(s3, 4);
  // As if part 5 had completed and the process died before checkpointing it.
  const upload = s3.uploads.get("upload-1")!;
  const part5 = bytes.slice(4 * PART, 5 * PART);
  upload.parts.set(5, { bytes: part5, etag: `"${md5(part5)}"` });
  // And part 6 holds bytes that are no longer the body's.
  const stale = new Uint8Array(PART);
  upload.parts.set(6, { bytes: stale, etag: `"${md5(stale)}"` });
  const checkpoints: UploadCheckpoint[] = [];
  await uploadToS3(
    bodyOf(bytes),
    options(s3, {
      resume: checkpoint,
      onCheckpoint: (c) => {
        checkpoints.push(c);
      },
    }),
  );
  assert.deepEqual(uploadedParts(s3), [4, 6, 7]);
  assert.equal(sha256(s3.objects.get("out.zip")!.bytes), sha256(bytes));
  // Part 5 is news to the checkpoint once its bytes proved the same.
  assert.deepEqual(checkpoints.map((c) => c.parts.length), [4, 5, 6, 7]);
});

Deno.test("uploadToS3() verifies checkpointed parts after a gap and sends only the gap", async () => {
  const s3 = new RecordingS3();
  const { checkpoint, bytes } = await interruptedUpload(s3, 3);
  // Parts 1, 2 and 4 done: with concurrency, part 3 can fail after 4 finished.
  const part4 = bytes.slice(3 * PART, 4 * PART);
  s3.uploads.get("upload-1")!.parts.set(4, {
    bytes: part4,
    etag: `"${md5(part4)}"`,
  });
  const withGap: UploadCheckpoint = {
    ...checkpoint,
    parts: [...checkpoint.parts, {
      partNumber: 4,
      offset: 3 * PART,
      size: PART,
      etag: `"${md5(part4)}"`,
      md5: md5(part4),
      prefixCrc32: crc32(bytes.subarray(0, 4 * PART)),
    }],
  };
  assert.equal(checkpointOffset(withGap), 2 * PART);
  await uploadToS3(
    bodyOf(bytes, 2 * PART),
    options(s3, { resume: withGap, bodyOffset: 2 * PART }),
  );
  assert.deepEqual(uploadedParts(s3), [3, 5, 6, 7]);
  assert.deepEqual(completedParts(s3), [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(sha256(s3.objects.get("out.zip")!.bytes), sha256(bytes));
});

Deno.test("uploadToS3() stops a resume whose bytes differ from the checkpoint, naming the part, and leaves the upload", async () => {
  const s3 = new RecordingS3();
  const { checkpoint, bytes } = await interruptedUpload(s3, 4);
  const changed = bytes.slice();
  changed[PART + 100] = changed[PART + 100]! ^ 0xff;
  const error = await rejection(
    uploadToS3(bodyOf(changed), options(s3, { resume: checkpoint })),
  );
  const part2 = checkpoint.parts[1]!;
  assert.equal(
    error.message,
    `Cannot upload to s3://bucket/out.zip (upload ID upload-1): cannot resume: part 2 (body bytes ${PART} to ${
      2 * PART - 1
    }) differs from the checkpoint: ${PART} bytes of MD5 ${
      md5(changed.subarray(PART, 2 * PART))
    } now, ${PART} bytes of MD5 ${part2.md5} then, so the inputs have changed since the earlier run; the multipart upload was left as it was: resume it with the original inputs, or abort upload ID upload-1`,
  );
  assert.equal(error.partNumber, 2);
  assert.equal(error.uploadId, "upload-1");
  assert.equal(error.uploadKept, true);
  assert.deepEqual(uploadedParts(s3), []);
  assert.ok(!s3.commands.includes("AbortMultipartUpload"));
  assert.deepEqual(s3.pendingUploads(), ["out.zip"]);
});

Deno.test("uploadToS3() stops a resume whose body ends before the parts the checkpoint records", async () => {
  const s3 = new RecordingS3();
  const { checkpoint, bytes } = await interruptedUpload(s3, 4);
  const error = await rejection(
    uploadToS3(
      bodyOf(bytes.subarray(0, PART + 5)),
      options(s3, { resume: checkpoint }),
    ),
  );
  assert.equal(error.partNumber, 2);
  assert.match(
    error.message,
    /cannot resume: part 2 \(body bytes 5242880 to 5242884\) differs from the checkpoint: 5 bytes of MD5 [0-9a-f]{32} now, 5242880 bytes/,
  );
  assert.deepEqual(s3.pendingUploads(), ["out.zip"]);
});

Deno.test("uploadToS3() says clearly when the upload to resume no longer exists, and sends nothing", async () => {
  const s3 = new RecordingS3();
  const { checkpoint, bytes } = await interruptedUpload(s3, 4);
  s3.uploads.clear();
  const error = await rejection(
    uploadToS3(bodyOf(bytes), options(s3, { resume: checkpoint })),
  );
  assert.equal(
    error.message,
    "Cannot upload to s3://bucket/out.zip (upload ID upload-1): cannot resume: upload ID upload-1 no longer exists (it was aborted or completed, or a lifecycle rule expired it); start a new upload without the checkpoint: ListParts failed after 1 attempt: NoSuchUpload: Injected by the test",
  );
  assert.deepEqual(s3.commands, ["ListParts", "HeadObject"]);
  assert.equal(error.uploadKept, false);
});

/** Completes an upload of TOTAL pattern bytes and returns its result and last checkpoint. */
async function completedUpload(s3: RecordingS3) {
  const checkpoints: UploadCheckpoint[] = [];
  const result = await uploadToS3(
    patternStream(TOTAL, 100_000).stream,
    options(s3, {
      onCheckpoint: (checkpoint) => {
        checkpoints.push(JSON.parse(JSON.stringify(checkpoint)));
      },
    }),
  );
  s3.calls.length = 0;
  return { result, checkpoint: checkpoints.at(-1)! };
}

/** A body that never ends, and whether it was cancelled. */
function endlessBody(): {
  stream: ReadableStream<Uint8Array>;
  cancelled(): boolean;
} {
  let cancelled = false;
  return {
    stream: new ReadableStream({
      pull(controller) {
        controller.enqueue(new Uint8Array(PART));
      },
      cancel() {
        cancelled = true;
      },
    }),
    cancelled: () => cancelled,
  };
}

Deno.test("uploadToS3() recognises an upload an earlier run completed before discarding its checkpoint, and sends nothing", async () => {
  const s3 = new RecordingS3();
  const { result: first, checkpoint } = await completedUpload(s3);
  const body = endlessBody();
  const result = await uploadToS3(
    body.stream,
    options(s3, { resume: checkpoint }),
  );
  assert.deepEqual(result, {
    outcome: "stored",
    bucket: "bucket",
    key: "out.zip",
    etag: first.etag,
    size: TOTAL,
    parts: 7,
    crc32: first.crc32,
    uploadId: first.uploadId,
    completedEarlier: true,
  });
  assert.equal(first.completedEarlier, false);
  assert.deepEqual(s3.commands, ["ListParts", "HeadObject"]);
  assert.ok(body.cancelled(), "the body was cancelled");
});

Deno.test("uploadToS3() does not take an object replaced since for the upload its checkpoint completed", async () => {
  const s3 = new RecordingS3();
  const { checkpoint } = await completedUpload(s3);
  await uploadToS3(ReadableStream.from([new Uint8Array(TOTAL)]), options(s3));
  s3.calls.length = 0;
  const error = await rejection(
    uploadToS3(endlessBody().stream, options(s3, { resume: checkpoint })),
  );
  assert.match(
    error.message,
    /cannot resume: upload ID upload-1 no longer exists/,
  );
  assert.deepEqual(s3.commands, ["ListParts", "HeadObject"]);
});

Deno.test("uploadToS3() refuses to resume when ListParts does not show a part the checkpoint records", async () => {
  const s3 = new RecordingS3();
  const { checkpoint, bytes } = await interruptedUpload(s3, 4);
  s3.uploads.get("upload-1")!.parts.delete(2);
  const error = await rejection(
    uploadToS3(bodyOf(bytes), options(s3, { resume: checkpoint })),
  );
  assert.equal(
    error.message,
    `Cannot upload to s3://bucket/out.zip (upload ID upload-1): cannot resume: the checkpoint records part 2 (${PART} bytes, ETag ${
      checkpoint.parts[1]!.etag
    }) but ListParts does not show it; the checkpoint does not describe this upload; the multipart upload was kept with its completed parts, to be resumed from its last checkpoint or aborted (upload ID upload-1)`,
  );
  assert.deepEqual(s3.commands, ["ListParts"]);
  assert.deepEqual(s3.pendingUploads(), ["out.zip"]);
});

Deno.test("uploadToS3() reads every page of ListParts when resuming", async () => {
  const s3 = new RecordingS3();
  const { checkpoint, bytes } = await interruptedUpload(s3, 6);
  s3.listPartsPageSize = 2;
  await uploadToS3(bodyOf(bytes), options(s3, { resume: checkpoint }));
  const markers = s3.calls.filter((c) => c.command === "ListParts")
    .map((c) => c.input.PartNumberMarker);
  assert.deepEqual(markers, [undefined, "2", "4"]);
  assert.deepEqual(uploadedParts(s3), [6, 7]);
  assert.equal(sha256(s3.objects.get("out.zip")!.bytes), sha256(bytes));
});

Deno.test("S3UploadStream rejects resume options that do not fit the checkpoint, naming the option and the value", async () => {
  const s3 = new RecordingS3();
  const { checkpoint } = await interruptedUpload(s3, 4);
  const cases: [Partial<UploadOptions>, ErrorConstructor, string][] = [
    [
      { key: "other.zip", resume: checkpoint },
      RangeError,
      'Cannot upload to s3://bucket/other.zip: expected option "resume" to be a checkpoint of s3://bucket/other.zip but got "a checkpoint of s3://bucket/out.zip"',
    ],
    [
      { partSize: 6 * MIB, resume: checkpoint },
      RangeError,
      `Cannot upload to s3://bucket/out.zip: expected option "partSize" to be the checkpoint's ${PART}, since parts must be cut at the same bytes but got ${
        6 * MIB
      }`,
    ],
    [
      { contentLength: TOTAL, resume: checkpoint },
      RangeError,
      `Cannot upload to s3://bucket/out.zip: expected option "contentLength" to be the checkpoint's undefined (unknown); a body of another length means the inputs changed but got ${TOTAL}`,
    ],
    [
      { bodyOffset: PART + 1, resume: checkpoint },
      RangeError,
      `Cannot upload to s3://bucket/out.zip: expected option "bodyOffset" to be 0 or the end of a part from part 1 up to ${
        3 * PART
      } (checkpointOffset) but got ${PART + 1}`,
    ],
    [
      { bodyOffset: PART },
      RangeError,
      `Cannot upload to s3://bucket/out.zip: expected option "bodyOffset" to be 0 without resume but got ${PART}`,
    ],
    [
      {
        resume: {
          ...checkpoint,
          parts: [{ ...checkpoint.parts[0]!, md5: "x" }],
        },
      },
      TypeError,
      'Cannot upload to s3://bucket/out.zip: invalid option "resume": Invalid upload checkpoint: expected parts[0].md5 to be 32 lowercase hex digits but got "x"',
    ],
    [
      {
        resume: {
          ...checkpoint,
          parts: [{ ...checkpoint.parts[1]!, partNumber: 1 }],
        },
      },
      RangeError,
      `Cannot upload to s3://bucket/out.zip: invalid option "resume": Invalid upload checkpoint: expected parts[0].offset to be 0 but got ${PART}`,
    ],
    [
      { abortOnFailure: "no" as unknown as boolean },
      TypeError,
      'Cannot upload to s3://bucket/out.zip: expected option "abortOnFailure" to be a boolean but got "no"',
    ],
    [
      { onCheckpoint: 1 as unknown as () => void },
      TypeError,
      'Cannot upload to s3://bucket/out.zip: expected option "onCheckpoint" to be a function but got 1',
    ],
  ];
  for (const [extra, Kind, message] of cases) {
    assert.throws(() => new S3UploadStream(options(s3, extra)), {
      name: Kind.name,
      message,
    });
  }
});

Deno.test("parseUploadCheckpoint() refuses parts out of order and a short part before the last", () => {
  const part = (partNumber: number, size = PART) => ({
    partNumber,
    offset: (partNumber - 1) * PART,
    size,
    etag: '"e"',
    md5: "0".repeat(32),
    prefixCrc32: 0,
  });
  const base = {
    version: 1,
    bucket: "b",
    key: "k",
    uploadId: "u",
    partSize: PART,
  };
  assert.throws(
    () => parseUploadCheckpoint({ ...base, parts: [part(2), part(1)] }),
    {
      name: "RangeError",
      message:
        "Invalid upload checkpoint: expected parts[1].partNumber to be an integer from 3 to 10000 but got 1",
    },
  );
  assert.throws(
    () => parseUploadCheckpoint({ ...base, parts: [part(1, 10), part(2)] }),
    {
      name: "RangeError",
      message:
        `Invalid upload checkpoint: expected parts[0].size to be ${PART} (only the last part may be shorter) but got 10`,
    },
  );
  assert.throws(
    () => parseUploadCheckpoint({ ...base, version: 2, parts: [] }),
    {
      name: "RangeError",
      message: "Invalid upload checkpoint: expected version to be 1 but got 2",
    },
  );
  assert.equal(
    parseUploadCheckpoint({ ...base, parts: [part(1), part(3, 10)] }).parts
      .length,
    2,
  );
});

Deno.test("uploadToS3() fails and aborts the upload when onCheckpoint throws", async () => {
  const s3 = new RecordingS3();
  const error = await rejection(
    uploadToS3(
      patternStream(3 * PART).stream,
      options(s3, {
        onCheckpoint: (checkpoint) => {
          if (checkpoint.parts.length === 1) throw new Error("disk full");
        },
      }),
    ),
  );
  assert.equal(
    error.message,
    "Cannot upload to s3://bucket/out.zip (upload ID upload-1): onCheckpoint threw: disk full; the multipart upload was aborted",
  );
  assert.deepEqual(s3.pendingUploads(), []);
});

Deno.test("uploadToS3() and zip() resume a deflated archive of unknown length: records skip whole entries, the rest is hashed again", async () => {
  const text = new TextEncoder().encode(
    Array.from(
      { length: 400_000 },
      (_, i) => `line ${i} ${(i * 7919) % 104_729}\n`,
    )
      .join(""),
  );
  const reads: number[] = Array(8).fill(0);
  const entries = () =>
    Array.from({ length: 8 }, (_, index) => ({
      name: `logs/${index}.log`,
      lastModified: Date.UTC(2026, 0, 1),
      data: ReadableStream.from(
        (function* () {
          for (let i = 0; i < text.length; i += 1 << 20) {
            reads[index]!++;
            yield text.subarray(i, i + (1 << 20));
          }
        })(),
      ),
    }));
  const full = new Uint8Array(
    await new Response(zip(entries(), { level: 1 })).arrayBuffer(),
  );
  assert.ok(full.length > 3 * PART, `${full.length} bytes`);

  const s3 = new RecordingS3();
  const records: WrittenEntry[] = [];
  let checkpoint: UploadCheckpoint | undefined;
  s3.fault = (call) =>
    call.command === "UploadPart" && call.partNumber === 3
      ? s3Error("AccessDenied", 403)
      : undefined;
  await rejection(
    uploadToS3(
      zip(entries(), { level: 1, onEntry: (entry) => records.push(entry) }),
      options(s3, {
        abortOnFailure: false,
        onCheckpoint: (c) => {
          checkpoint = c;
        },
      }),
    ),
  );
  s3.fault = () => undefined;
  s3.calls.length = 0;
  const offset = checkpointOffset(checkpoint!);
  assert.equal(offset, 2 * PART);
  reads.fill(0);
  const result = await uploadToS3(
    zip(entries(), { level: 1, resume: { offset, entries: records } }),
    options(s3, { resume: checkpoint, bodyOffset: offset }),
  );
  assert.equal(sha256(s3.objects.get("out.zip")!.bytes), sha256(full));
  assert.equal(result.crc32, crc32(full));
  assert.deepEqual(uploadedParts(s3)[0], 3);
  const skipped = records.filter((record) => record.end <= offset).length;
  assert.ok(skipped > 0, "some entries lie wholly in the completed parts");
  assert.deepEqual(reads.slice(0, skipped), Array(skipped).fill(0));
  assert.ok(reads[skipped]! > 0);
});
