import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { CreateMultipartUploadCommand } from "@aws-sdk/client-s3";
import {
  S3UploadError,
  S3UploadStream,
  type UploadCheckpoint,
  type UploadOptions,
  type UploadProgress,
  uploadToS3,
} from "../../src/s3/mod.ts";
import { crc32 } from "../../mod.ts";
import {
  connectionReset,
  FAKE_PART_SIZE,
  fakeUploadOptions,
  patternStream,
  RecordingS3,
  s3Error,
  sha256,
} from "./_recording_s3.ts";

const MIB = 1024 * 1024;
const PART = FAKE_PART_SIZE;

function options(
  s3: RecordingS3,
  extra: Partial<UploadOptions> = {},
): UploadOptions {
  return fakeUploadOptions(s3, { ...extra });
}

function stored(s3: RecordingS3, key = "out.zip"): Uint8Array {
  const object = s3.objects.get(key);
  assert.ok(object, `object ${key} exists`);
  return object.bytes;
}

async function rejection(promise: Promise<unknown>): Promise<S3UploadError> {
  const error = await promise.then(
    () => assert.fail("expected the upload to fail"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof S3UploadError, `got ${error}`);
  return error;
}

Deno.test("uploadToS3() sends an empty body as one PutObject of zero bytes", async () => {
  const s3 = new RecordingS3();
  const result = await uploadToS3(ReadableStream.from([]), options(s3));
  assert.deepEqual(s3.commands, ["PutObject", "HeadObject"]);
  assert.equal(stored(s3).length, 0);
  assert.deepEqual(result, {
    outcome: "stored",
    bucket: "bucket",
    key: "out.zip",
    etag: '"d41d8cd98f00b204e9800998ecf8427e"',
    size: 0,
    parts: 1,
    crc32: 0,
    completedEarlier: false,
  });
  assert.equal(s3.calls[0]!.input.ContentType, "application/zip");
  assert.equal(s3.calls[0]!.input.ContentMD5, undefined);
});

Deno.test("uploadToS3() with contentMd5 sends the MD5 of a single PutObject's bytes", async () => {
  const s3 = new RecordingS3();
  await uploadToS3(ReadableStream.from([]), options(s3, { contentMd5: true }));
  assert.equal(s3.calls[0]!.input.ContentMD5, "1B2M2Y8AsgTpgAmY7PhCfg==");
});

Deno.test("uploadToS3() with contentMd5 sends every part's MD5, and without it none", async () => {
  for (const contentMd5 of [true, false]) {
    const s3 = new RecordingS3();
    const source = patternStream(2 * PART + 1);
    await uploadToS3(source.stream, options(s3, { contentMd5 }));
    const bytes = source.bytes();
    const sent = s3.calls
      .filter((c) => c.command === "UploadPart")
      .map((c) => [c.input.PartNumber, c.input.ContentMD5]);
    const expected = [1, 2, 3].map((n) => [
      n,
      contentMd5
        ? createHash("md5")
          .update(bytes.subarray((n - 1) * PART, n * PART))
          .digest("base64")
        : undefined,
    ]);
    assert.deepEqual(
      sent.toSorted((a, b) => Number(a[0]) - Number(b[0])),
      expected,
    );
  }
});

Deno.test("uploadToS3() sends a body of exactly one part of unknown length as one PutObject", async () => {
  const s3 = new RecordingS3();
  const source = patternStream(PART);
  const result = await uploadToS3(source.stream, options(s3));
  assert.deepEqual(s3.commands, ["PutObject", "HeadObject"]);
  assert.equal(sha256(stored(s3)), sha256(source.bytes()));
  assert.equal(result.size, PART);
  assert.equal(result.parts, 1);
  assert.equal(result.uploadId, undefined);
  assert.equal(result.crc32, crc32(source.bytes()));
});

Deno.test("uploadToS3() splits a longer body into parts of the part size and completes them in order", async () => {
  const s3 = new RecordingS3();
  const total = 3 * PART + 123;
  const source = patternStream(total, 100_000);
  const result = await uploadToS3(
    source.stream,
    options(s3, { concurrency: 2 }),
  );
  assert.deepEqual(s3.commands.filter((c) => c !== "UploadPart"), [
    "CreateMultipartUpload",
    "CompleteMultipartUpload",
    "HeadObject",
  ]);
  const parts = s3.calls.filter((c) => c.command === "UploadPart");
  assert.deepEqual(parts.map((c) => [c.partNumber, c.bodyLength]), [
    [1, PART],
    [2, PART],
    [3, PART],
    [4, 123],
  ]);
  const complete = s3.calls.find((c) =>
    c.command === "CompleteMultipartUpload"
  )!;
  const listed =
    (complete.input.MultipartUpload as { Parts: { PartNumber: number }[] })
      .Parts;
  assert.deepEqual(listed.map((p) => p.PartNumber), [1, 2, 3, 4]);
  assert.equal(sha256(stored(s3)), sha256(source.bytes()));
  assert.equal(result.size, total);
  assert.equal(result.parts, 4);
  assert.equal(result.uploadId, "upload-1");
  assert.equal(result.location, "memory://out.zip");
  assert.equal(result.crc32, crc32(source.bytes()));
  assert.match(result.etag, /^"[0-9a-f]{32}-4"$/);
  assert.deepEqual(s3.pendingUploads(), []);
});

Deno.test("uploadToS3() passes content type, disposition, metadata, tagging, storage class and encryption on", async () => {
  const s3 = new RecordingS3();
  await uploadToS3(
    patternStream(PART + 1).stream,
    options(s3, {
      contentType: "application/x-zip",
      contentDisposition: 'attachment; filename="a.zip"',
      metadata: { origin: "test" },
      tagging: { project: "zip stream", team: "a&b" },
      storageClass: "STANDARD_IA",
      serverSideEncryption: "aws:kms",
      sseKmsKeyId: "key-1",
    }),
  );
  const create = s3.calls[0]!;
  assert.equal(create.command, "CreateMultipartUpload");
  assert.equal(create.input.ContentType, "application/x-zip");
  assert.equal(create.input.ContentDisposition, 'attachment; filename="a.zip"');
  assert.deepEqual(create.input.Metadata, { origin: "test" });
  assert.equal(create.input.Tagging, "project=zip+stream&team=a%26b");
  assert.equal(create.input.StorageClass, "STANDARD_IA");
  assert.equal(create.input.ServerSideEncryption, "aws:kms");
  assert.equal(create.input.SSEKMSKeyId, "key-1");
});

Deno.test("uploadToS3() plans parts from contentLength and checks the body has that length", async () => {
  const s3 = new RecordingS3();
  const total = 2 * PART + 10;
  await uploadToS3(
    patternStream(total).stream,
    options(s3, { contentLength: total }),
  );
  const sizes = s3.calls.filter((c) => c.command === "UploadPart").map((c) =>
    c.bodyLength
  );
  assert.deepEqual(sizes, [PART, PART, 10]);
});

Deno.test("uploadToS3() sends a body whose contentLength fits one part as one PutObject", async () => {
  const s3 = new RecordingS3();
  const result = await uploadToS3(
    patternStream(PART).stream,
    options(s3, { contentLength: PART }),
  );
  assert.deepEqual(s3.commands, ["PutObject", "HeadObject"]);
  assert.equal(result.size, PART);
});

Deno.test("uploadToS3() aborts the upload when the body is shorter than contentLength", async () => {
  const s3 = new RecordingS3();
  const error = await rejection(
    uploadToS3(
      patternStream(PART + 100).stream,
      options(s3, { contentLength: PART + 101 }),
    ),
  );
  assert.equal(
    error.message,
    "Cannot upload to s3://bucket/out.zip (upload ID upload-1): expected 5242981 bytes (contentLength) but the source ended after 5242980; the multipart upload was aborted",
  );
  assert.equal(error.uploadId, "upload-1");
  assert.deepEqual(s3.pendingUploads(), []);
  assert.equal(s3.objects.size, 0);
});

Deno.test("uploadToS3() stops reading and aborts when the body is longer than contentLength", async () => {
  const s3 = new RecordingS3();
  const source = patternStream(3 * PART, MIB);
  const error = await rejection(
    uploadToS3(source.stream, options(s3, { contentLength: PART + MIB })),
  );
  assert.equal(
    error.message,
    "Cannot upload to s3://bucket/out.zip (upload ID upload-1): expected 6291456 bytes (contentLength) but the source gave at least 7340032; the multipart upload was aborted",
  );
  assert.ok(source.pulled() < 3 * PART);
  assert.deepEqual(s3.pendingUploads(), []);
});

Deno.test("uploadToS3() retries a throttled part from its own bytes and stores the same bytes", async () => {
  const s3 = new RecordingS3();
  s3.fault = (call, n) =>
    call.command === "UploadPart" && call.partNumber === 2 && n <= 3
      ? s3Error("SlowDown", 503)
      : undefined;
  const source = patternStream(3 * PART);
  const result = await uploadToS3(
    source.stream,
    options(s3, { concurrency: 1 }),
  );
  const part2 = s3.calls.filter((c) =>
    c.command === "UploadPart" && c.partNumber === 2
  );
  assert.equal(part2.length, 3);
  assert.equal(sha256(stored(s3)), sha256(source.bytes()));
  assert.equal(result.parts, 3);
});

Deno.test("uploadToS3() retries parts whose connection dropped", async () => {
  const s3 = new RecordingS3();
  s3.fault = (call, n) =>
    call.command === "UploadPart" && n % 2 === 1
      ? connectionReset()
      : undefined;
  const source = patternStream(2 * PART + 1);
  await uploadToS3(source.stream, options(s3));
  assert.equal(sha256(stored(s3)), sha256(source.bytes()));
});

Deno.test("uploadToS3() with contentMd5 retries a part whose answer carries another ETag", async () => {
  const s3 = new RecordingS3();
  let corrupted = false;
  const original = s3.send.bind(s3);
  s3.send = async (command, sendOptions) => {
    const answer = await original(command, sendOptions) as { ETag?: string };
    if (!corrupted && command.constructor.name === "UploadPartCommand") {
      corrupted = true;
      return { ...answer, ETag: '"00000000000000000000000000000000"' };
    }
    return answer;
  };
  const source = patternStream(2 * PART);
  await uploadToS3(source.stream, options(s3, { contentMd5: true }));
  assert.equal(s3.calls.filter((c) => c.command === "UploadPart").length, 3);
  assert.equal(sha256(stored(s3)), sha256(source.bytes()));
});

Deno.test("uploadToS3() aborts the multipart upload when a part runs out of retries", async () => {
  const s3 = new RecordingS3();
  s3.fault = (call) =>
    call.command === "UploadPart" && call.partNumber === 2
      ? s3Error("SlowDown", 503)
      : undefined;
  const source = patternStream(4 * PART);
  const error = await rejection(
    uploadToS3(
      source.stream,
      options(s3, { retry: { attempts: 3, baseDelay: 0, maxDelay: 0 } }),
    ),
  );
  assert.equal(
    error.message,
    "Cannot upload to s3://bucket/out.zip (upload ID upload-1): part 2 could not be uploaded: UploadPart failed after 3 attempts: SlowDown: Injected by the test; the multipart upload was aborted",
  );
  assert.equal(error.bucket, "bucket");
  assert.equal(error.key, "out.zip");
  assert.equal(error.uploadId, "upload-1");
  assert.equal(error.partNumber, 2);
  assert.equal((error.cause as Error).name, "SlowDown");
  assert.equal(s3.calls.filter((c) => c.partNumber === 2).length, 3);
  assert.ok(s3.commands.includes("AbortMultipartUpload"));
  assert.equal(s3.commands.at(-1), "ListParts");
  assert.deepEqual(s3.pendingUploads(), []);
  assert.ok(!s3.commands.includes("CompleteMultipartUpload"));
});

Deno.test("uploadToS3() announces a new multipart upload before its first part, and aborts it if the announcement fails", async () => {
  const s3 = new RecordingS3();
  const announced: unknown[] = [];
  const result = await uploadToS3(
    patternStream(3 * PART).stream,
    options(s3, {
      onUploadCreated: (upload) => {
        announced.push({ ...upload, commands: [...s3.commands] });
      },
    }),
  );
  assert.deepEqual(announced, [{
    bucket: "bucket",
    key: "out.zip",
    uploadId: result.uploadId,
    commands: ["CreateMultipartUpload"],
  }]);

  const failing = new RecordingS3();
  const error = await rejection(
    uploadToS3(
      patternStream(3 * PART).stream,
      options(failing, {
        onUploadCreated: () => Promise.reject(new Error("journal is full")),
      }),
    ),
  );
  assert.match(
    error.message,
    /: onUploadCreated threw: journal is full; the multipart upload was aborted$/,
  );
  assert.equal(error.outcome, "nothing-left");
  assert.ok(!failing.commands.includes("UploadPart"));
  assert.deepEqual(failing.pendingUploads(), []);
});

Deno.test("uploadToS3() does not retry a part the server refuses for good", async () => {
  const s3 = new RecordingS3();
  s3.fault = (call) =>
    call.command === "UploadPart" ? s3Error("AccessDenied", 403) : undefined;
  const error = await rejection(
    uploadToS3(patternStream(2 * PART).stream, options(s3)),
  );
  assert.equal(error.partNumber, 1);
  assert.equal(s3.calls.filter((c) => c.command === "UploadPart").length, 1);
  assert.deepEqual(s3.pendingUploads(), []);
});

Deno.test("uploadToS3() retries AbortMultipartUpload until it succeeds", async () => {
  const s3 = new RecordingS3();
  s3.fault = (call, n) =>
    call.command === "UploadPart"
      ? s3Error("AccessDenied", 403)
      : call.command === "AbortMultipartUpload" && n < 3
      ? s3Error("InternalError", 500)
      : undefined;
  const error = await rejection(
    uploadToS3(patternStream(2 * PART).stream, options(s3)),
  );
  assert.match(error.message, /; the multipart upload was aborted$/);
  assert.equal(
    s3.commands.filter((c) => c === "AbortMultipartUpload").length,
    3,
  );
  assert.deepEqual(s3.pendingUploads(), []);
});

Deno.test("uploadToS3() says so when even aborting the upload fails", async () => {
  const s3 = new RecordingS3();
  s3.fault = (call) =>
    call.command === "UploadPart" || call.command === "AbortMultipartUpload"
      ? s3Error("AccessDenied", 403)
      : undefined;
  const error = await rejection(
    uploadToS3(patternStream(2 * PART).stream, options(s3)),
  );
  assert.match(
    error.message,
    /; aborting it failed too, so its parts may remain \(AbortMultipartUpload failed after 1 attempt: AccessDenied: Injected by the test\)$/,
  );
  assert.deepEqual(s3.pendingUploads(), ["out.zip"]);
});

Deno.test("uploadToS3() does not say aborted when ListParts cannot confirm the upload is gone", async () => {
  const s3 = new RecordingS3();
  s3.fault = (call) =>
    call.command === "UploadPart" || call.command === "ListParts"
      ? s3Error("AccessDenied", 403)
      : undefined;
  const error = await rejection(
    uploadToS3(patternStream(2 * PART).stream, options(s3)),
  );
  assert.match(
    error.message,
    /; aborting it failed too, so its parts may remain \(AbortMultipartUpload was answered, but ListParts could not confirm that upload upload-1 is gone: ListParts failed after 1 attempt: AccessDenied: Injected by the test\)$/,
  );
  assert.doesNotMatch(error.message, /the multipart upload was aborted/);
});

Deno.test("uploadToS3() retries CompleteMultipartUpload after a server error", async () => {
  const s3 = new RecordingS3();
  s3.fault = (call, n) =>
    call.command === "CompleteMultipartUpload" && n === 1
      ? s3Error("InternalError", 500)
      : undefined;
  const source = patternStream(2 * PART);
  const result = await uploadToS3(source.stream, options(s3));
  assert.equal(
    s3.commands.filter((c) => c === "CompleteMultipartUpload").length,
    2,
  );
  assert.equal(result.size, 2 * PART);
  assert.equal(sha256(stored(s3)), sha256(source.bytes()));
});

Deno.test("uploadToS3() checks a completion answered with an ETag its parts do not make against HeadObject", async () => {
  const s3 = new RecordingS3();
  const original = s3.send.bind(s3);
  const head: { etag?: string } = {};
  s3.send = async (command, sendOptions) => {
    const answer = await original(command, sendOptions) as object;
    if (command.constructor.name === "CompleteMultipartUploadCommand") {
      return { ...answer, ETag: '"0123456789abcdef0123456789abcdef-2"' };
    }
    if (
      command.constructor.name === "HeadObjectCommand" &&
      head.etag !== undefined
    ) return { ...answer, ETag: head.etag };
    return answer;
  };
  // The answer was garbled, the object is the parts' one: stored, verified.
  const result = await uploadToS3(
    patternStream(2 * PART).stream,
    options(s3),
  );
  assert.equal(result.outcome, "stored");
  assert.match(result.etag, /^"[0-9a-f]{32}-2"$/);
  assert.notEqual(result.etag, '"0123456789abcdef0123456789abcdef-2"');

  // HeadObject shows another object: not stored, and the upload is gone.
  head.etag = '"0123456789abcdef0123456789abcdef-2"';
  const error = await rejection(
    uploadToS3(patternStream(2 * PART).stream, options(s3)),
  );
  assert.match(
    error.message,
    /could not be completed: CompleteMultipartUpload answered ETag "0123456789abcdef0123456789abcdef-2" but the parts sent make "[0-9a-f]{32}-2"$/,
  );
  assert.equal(error.outcome, "nothing-left");
  assert.deepEqual(s3.pendingUploads(), []);
});

Deno.test("uploadToS3() hashes the parts itself when their ETags are not MD5s (SSE-KMS)", async () => {
  const s3 = new RecordingS3();
  const original = s3.send.bind(s3);
  const KMS_SUFFIX = "-kms";
  s3.send = async (command, sendOptions) => {
    if (command.constructor.name === "CompleteMultipartUploadCommand") {
      const input = command.input as {
        MultipartUpload: { Parts: { ETag: string }[] };
      };
      for (const part of input.MultipartUpload.Parts) {
        part.ETag = part.ETag.replace(KMS_SUFFIX, "");
      }
    }
    const answer = await original(command, sendOptions) as { ETag?: string };
    return command.constructor.name === "UploadPartCommand"
      ? {
        ...answer,
        ETag: answer.ETag!.replace(/"$/, `${KMS_SUFFIX}"`),
        ServerSideEncryption: "aws:kms",
      }
      : answer;
  };
  const checkpoints: UploadCheckpoint[] = [];
  const source = patternStream(2 * PART);
  await uploadToS3(
    source.stream,
    options(s3, { onCheckpoint: (c) => void checkpoints.push(c) }),
  );
  const bytes = source.bytes();
  assert.deepEqual(
    checkpoints.at(-1)!.parts.map((part) => [part.partNumber, part.md5]),
    [1, 2].map((n) => [
      n,
      createHash("md5")
        .update(bytes.subarray((n - 1) * PART, n * PART))
        .digest("hex"),
    ]),
  );
  assert.equal(sha256(stored(s3)), sha256(bytes));
});

Deno.test("uploadToS3() accepts a completion whose answer was lost once the object's ETag proves it", async () => {
  const s3 = new RecordingS3();
  const original = s3.send.bind(s3);
  let lost = false;
  s3.send = async (command, sendOptions) => {
    const answer = await original(command, sendOptions);
    if (
      !lost && command.constructor.name === "CompleteMultipartUploadCommand"
    ) {
      lost = true;
      throw connectionReset();
    }
    return answer;
  };
  const source = patternStream(2 * PART);
  const result = await uploadToS3(source.stream, options(s3));
  assert.deepEqual(s3.commands.slice(-4), [
    "CompleteMultipartUpload",
    "CompleteMultipartUpload",
    "HeadObject",
    "HeadObject",
  ]);
  assert.equal(result.size, 2 * PART);
  assert.match(result.etag, /-2"$/);
});

Deno.test("uploadToS3() aborts the upload a lost CreateMultipartUpload answer left behind", async () => {
  const s3 = new RecordingS3();
  const other = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: "bucket", Key: "other.zip" }),
  );
  s3.calls.length = 0;
  const original = s3.send.bind(s3);
  let lost = false;
  s3.send = async (command, sendOptions) => {
    const answer = await original(command, sendOptions);
    if (!lost && command instanceof CreateMultipartUploadCommand) {
      lost = true;
      throw connectionReset();
    }
    return answer;
  };
  const source = patternStream(2 * PART);
  const result = await uploadToS3(source.stream, options(s3));
  assert.equal(result.uploadId, "upload-3");
  assert.deepEqual(
    s3.calls.filter((c) => c.command === "AbortMultipartUpload").map((c) =>
      c.input.UploadId
    ),
    ["upload-2"],
  );
  assert.deepEqual(s3.pendingUploads(), ["other.zip"]);
  assert.equal((other as { UploadId: string }).UploadId, "upload-1");
  assert.equal(sha256(stored(s3)), sha256(source.bytes()));
});

Deno.test("uploadToS3() fails when HeadObject reports another size than was sent", async () => {
  const s3 = new RecordingS3();
  const original = s3.send.bind(s3);
  s3.send = async (command, sendOptions) => {
    const answer = await original(command, sendOptions);
    return command.constructor.name === "HeadObjectCommand"
      ? { ...answer as object, ContentLength: 1 }
      : answer;
  };
  const error = await rejection(
    uploadToS3(patternStream(2 * PART).stream, options(s3)),
  );
  assert.equal(
    error.message,
    "Cannot upload to s3://bucket/out.zip (upload ID upload-1): the multipart upload could not be completed: HeadObject reports 1 bytes but 10485760 were sent",
  );
});

Deno.test("uploadToS3() aborts the upload when the source errors mid-stream, with the source's error as cause", async () => {
  const s3 = new RecordingS3();
  const failure = new Error("disk read failed");
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= 2 * PART) {
        controller.error(failure);
        return;
      }
      controller.enqueue(new Uint8Array(MIB));
      sent += MIB;
    },
  });
  const error = await rejection(uploadToS3(body, options(s3)));
  assert.equal(error.cause, failure);
  assert.equal(
    error.message,
    "Cannot upload to s3://bucket/out.zip (upload ID upload-1): the source stream failed or the writer was aborted: disk read failed; the multipart upload was aborted",
  );
  assert.deepEqual(s3.pendingUploads(), []);
  assert.equal(s3.objects.size, 0);
});

Deno.test("uploadToS3() fails without an upload when the source errors before the first part fills", async () => {
  const s3 = new RecordingS3();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(10));
      controller.error(new Error("entry unreadable"));
    },
  });
  const error = await rejection(uploadToS3(body, options(s3)));
  assert.equal(
    error.message,
    "Cannot upload to s3://bucket/out.zip: the source stream failed or the writer was aborted: entry unreadable",
  );
  assert.equal(error.uploadId, undefined);
  assert.deepEqual(s3.commands, []);
});

Deno.test("uploadToS3() cancels requests in flight and aborts the upload when its signal aborts", async () => {
  const s3 = new RecordingS3();
  s3.gate = Promise.withResolvers();
  const controller = new AbortController();
  let parts = 0;
  s3.onCall = (call) => {
    if (call.command === "UploadPart" && ++parts === 2) {
      controller.abort(new Error("user cancelled"));
    }
  };
  const source = patternStream(100 * PART, MIB);
  const error = await rejection(
    uploadToS3(
      source.stream,
      options(s3, { signal: controller.signal, concurrency: 2 }),
    ),
  );
  assert.equal(
    error.message,
    "Cannot upload to s3://bucket/out.zip (upload ID upload-1): the signal was aborted: user cancelled; the multipart upload was aborted",
  );
  assert.equal((error.cause as Error).message, "user cancelled");
  assert.deepEqual(s3.pendingUploads(), []);
  assert.ok(source.pulled() <= 4 * PART, `pulled ${source.pulled()}`);
});

Deno.test("uploadToS3() fails at once when its signal was aborted before it began", async () => {
  const s3 = new RecordingS3();
  const error = await rejection(
    uploadToS3(
      patternStream(10).stream,
      options(s3, { signal: AbortSignal.abort(new Error("too late")) }),
    ),
  );
  assert.equal(
    error.message,
    "Cannot upload to s3://bucket/out.zip: the signal was aborted before the upload began: too late",
  );
  assert.deepEqual(s3.commands, []);
});

Deno.test("S3UploadStream aborts the multipart upload when the writer aborts", async () => {
  const s3 = new RecordingS3();
  const upload = new S3UploadStream(options(s3));
  const writer = upload.getWriter();
  await writer.write(new Uint8Array(PART));
  await writer.write(new Uint8Array(PART));
  await writer.abort(new Error("changed my mind"));
  const error = await rejection(upload.result);
  assert.equal((error.cause as Error).message, "changed my mind");
  assert.deepEqual(s3.pendingUploads(), []);
  assert.ok(s3.commands.includes("AbortMultipartUpload"));
});

Deno.test("S3UploadStream holds at most concurrency + 1 parts and stops reading while S3 is busy", async () => {
  const s3 = new RecordingS3();
  s3.gate = Promise.withResolvers();
  const concurrency = 3;
  const arrived = Promise.withResolvers<void>();
  s3.onCall = () => {
    if (s3.active.get("UploadPart") === concurrency - 1) arrived.resolve();
  };
  const source = patternStream(20 * PART, 256 * 1024);
  const upload = new S3UploadStream(options(s3, { concurrency }));
  const piping = source.stream.pipeTo(upload);
  await arrived.promise;
  // Let the pipe run as far as it can while every part waits at the gate.
  for (let i = 0; i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  const limit = (concurrency + 1) * PART + 2 * 256 * 1024;
  assert.ok(source.pulled() <= limit, `pulled ${source.pulled()} > ${limit}`);
  assert.ok(source.pulled() >= concurrency * PART);
  s3.release();
  await piping;
  const result = await upload.result;
  assert.equal(result.parts, 20);
  assert.equal(s3.peak.get("UploadPart"), concurrency);
  assert.equal(sha256(stored(s3)), sha256(source.bytes()));
});

Deno.test("S3UploadStream reports progress as bytes are read and parts acknowledged", async () => {
  const s3 = new RecordingS3();
  const seen: UploadProgress[] = [];
  const total = 2 * PART + 5;
  await uploadToS3(
    patternStream(total, MIB).stream,
    options(s3, {
      contentLength: total,
      onProgress: (p) => seen.push(p),
      concurrency: 1,
    }),
  );
  assert.deepEqual(seen.at(-1), {
    bytesRead: total,
    bytesUploaded: total,
    partsUploaded: 3,
    totalBytes: total,
  });
  assert.deepEqual(seen[0], {
    bytesRead: MIB,
    bytesUploaded: 0,
    partsUploaded: 0,
    totalBytes: total,
  });
  for (let i = 1; i < seen.length; i++) {
    assert.ok(seen[i]!.bytesRead >= seen[i - 1]!.bytesRead);
    assert.ok(seen[i]!.bytesUploaded >= seen[i - 1]!.bytesUploaded);
  }
});

Deno.test("S3UploadStream fails the upload when onProgress throws", async () => {
  const s3 = new RecordingS3();
  const error = await rejection(
    uploadToS3(
      patternStream(2 * PART).stream,
      options(s3, {
        onProgress: () => {
          throw new Error("listener broke");
        },
      }),
    ),
  );
  assert.equal(
    error.message,
    "Cannot upload to s3://bucket/out.zip: onProgress threw: listener broke",
  );
});

Deno.test("S3UploadStream rejects options it cannot use, naming the option and the value", () => {
  const s3 = new RecordingS3();
  const cases: [Partial<UploadOptions>, ErrorConstructor, string][] = [
    [
      { partSize: 1024 },
      RangeError,
      'expected option "partSize" to be an integer from 5242880 to 5368709120 but got 1024',
    ],
    [
      { concurrency: 0 },
      RangeError,
      'expected option "concurrency" to be an integer from 1 to 64 but got 0',
    ],
    [
      { contentMd5: "yes" as unknown as boolean },
      TypeError,
      'expected option "contentMd5" to be a boolean but got "yes"',
    ],
    [
      { contentLength: -1 },
      RangeError,
      'expected option "contentLength" to be an integer from 0 to 53687091200000 but got -1',
    ],
    [
      { bucket: "" },
      TypeError,
      'expected option "bucket" to be a non-empty string but got ""',
    ],
    [
      { retry: { attempts: 0 } },
      RangeError,
      'expected option "retry.attempts" to be an integer from 1 to 100 but got 0',
    ],
    [
      { retry: { baseDelay: 10, maxDelay: 5 } },
      RangeError,
      'expected option "retry.maxDelay" to be a finite number of at least 10 but got 5',
    ],
    [
      { cleanupRetry: { onRetry: "log" as unknown as () => void } },
      TypeError,
      'expected option "cleanupRetry.onRetry" to be a function but got "log"',
    ],
    [
      { metadata: { a: 1 as unknown as string } },
      TypeError,
      'expected option "metadata" to be a record of strings but got {"a":1}',
    ],
    [
      { serverSideEncryption: "KMS" as "aws:kms" },
      TypeError,
      'expected option "serverSideEncryption" to be "AES256", "aws:kms" or "aws:kms:dsse" but got "KMS"',
    ],
    [
      { serverSideEncryption: "AES256", sseKmsKeyId: "key-1" },
      TypeError,
      'expected option "sseKmsKeyId" to be a non-empty string, with serverSideEncryption "aws:kms" or "aws:kms:dsse" but got "key-1"',
    ],
    [
      { signal: "stop" as unknown as AbortSignal },
      TypeError,
      'expected option "signal" to be an AbortSignal but got "stop"',
    ],
  ];
  for (const [extra, Kind, message] of cases) {
    const target = extra.bucket === ""
      ? "s3:///out.zip"
      : "s3://bucket/out.zip";
    assert.throws(() => new S3UploadStream(options(s3, extra)), {
      name: Kind.name,
      message: `Cannot upload to ${target}: ${message}`,
    });
  }
  assert.throws(
    () => new S3UploadStream({ ...options(s3), client: {} as RecordingS3 }),
    {
      name: "TypeError",
      message:
        'Cannot upload to s3://bucket/out.zip: expected option "client" to be an S3Client (an object with send()) but got {}',
    },
  );
});

Deno.test("uploadToS3() cancels the body when its options are invalid", async () => {
  let cancelled: unknown;
  const body = new ReadableStream<Uint8Array>({
    cancel: (reason) => void (cancelled = reason),
  });
  await assert.rejects(
    uploadToS3(body, { client: new RecordingS3(), bucket: "b", key: "" }),
    TypeError,
  );
  assert.ok(cancelled instanceof TypeError);
});

Deno.test("uploadToS3() rejects, never resolves, when onProgress throws after a single PutObject", async () => {
  const s3 = new RecordingS3();
  let calls = 0;
  const upload = new S3UploadStream(
    options(s3, {
      onProgress: ({ bytesUploaded }) => {
        calls++;
        if (bytesUploaded > 0) throw new Error("late listener failure");
      },
    }),
  );
  await patternStream(10).stream.pipeTo(upload).catch(() => {});
  const error = await rejection(upload.result);
  assert.equal(
    error.message,
    "Cannot upload to s3://bucket/out.zip: onProgress threw: late listener failure",
  );
  assert.equal(calls, 2);
});

Deno.test("uploadToS3() refuses a locked body before sending anything", async () => {
  const s3 = new RecordingS3();
  const body = patternStream(10).stream;
  body.getReader();
  await assert.rejects(uploadToS3(body, options(s3)), {
    name: "TypeError",
    message:
      "Cannot upload to S3: expected the body to be an unlocked ReadableStream but got a locked one",
  });
  assert.deepEqual(s3.commands, []);
});

Deno.test("S3UploadStream fails the upload on a chunk that is not a Uint8Array", async () => {
  const s3 = new RecordingS3();
  const upload = new S3UploadStream(options(s3));
  const writer = upload.getWriter();
  await assert.rejects(writer.write("text" as unknown as Uint8Array));
  const error = await rejection(upload.result);
  assert.equal(
    error.message,
    "Cannot upload to s3://bucket/out.zip: expected the source to give Uint8Array chunks but got a string",
  );
  assert.deepEqual(s3.commands, []);
});
