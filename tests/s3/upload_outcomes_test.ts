/**
 * What uploadToS3() reports after an outage, a slow or garbled completion, a
 * failing HeadObject, an empty ETag, `NoSuchKey` and `InvalidPart`, through
 * the fault proxy in front of the local S3 server. Each case checks the end
 * state on the server (the object byte-identical, or no object and nothing
 * pending) AND the outcome reported, with the library's default budgets
 * unless a case says otherwise.
 */

import assert from "node:assert/strict";
import {
  AbortMultipartUploadCommand,
  HeadObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import {
  S3UploadError,
  type UploadCheckpoint,
  type UploadOptions,
  type UploadResult,
  uploadToS3,
} from "../../src/s3/mod.ts";
import {
  anyRequest,
  FaultProxy,
  isAbort,
  isComplete,
  isHeadObject,
  isListParts,
  isPutObject,
  isUploadPart,
} from "./_fault_proxy.ts";
import {
  localClient,
  objectSha256,
  pendingUploads,
  randomStream,
  s3Endpoint,
  withBucket,
} from "./_local_s3.ts";

const MIB = 1024 * 1024;
const PART = 5 * MIB;
const KEY = "outcome.zip";
const slowDown = { kind: "status", status: 503, code: "SlowDown" } as const;

interface Run {
  client: S3Client;
  bucket: string;
  proxy: FaultProxy;
  result: UploadResult | undefined;
  error: S3UploadError | undefined;
  sha256: string;
  seconds: number;
}

/**
 * Uploads `size` random bytes through a proxy that `arrange` sets up (it may
 * also add options, which get the proxy), then hands what happened to `judge`.
 */
async function run(
  arrange: (proxy: FaultProxy) => Partial<UploadOptions>,
  judge: (run: Run) => Promise<void>,
  size = 3 * PART,
): Promise<void> {
  await withBucket(async (client, bucket) => {
    const proxy = FaultProxy.start(s3Endpoint());
    const proxied = localClient({ endpoint: proxy.endpoint });
    try {
      const body = randomStream(size, 7);
      const started = Date.now();
      let result;
      let error;
      try {
        result = await uploadToS3(body.stream, {
          client: proxied,
          bucket,
          key: KEY,
          partSize: PART,
          concurrency: 2,
          ...arrange(proxy),
        });
      } catch (caught) {
        assert.ok(caught instanceof S3UploadError, `got ${caught}`);
        error = caught;
      }
      await judge({
        client,
        bucket,
        proxy,
        result,
        error,
        sha256: body.sha256(),
        seconds: (Date.now() - started) / 1_000,
      });
    } finally {
      proxied.destroy();
      await proxy.close();
    }
  });
}

/** Reported stored, verified, and the server holds exactly the bytes sent and no upload. */
async function assertStored(r: Run): Promise<UploadResult> {
  assert.equal(r.error, undefined, `the upload failed: ${r.error?.message}`);
  assert.equal(r.result!.outcome, "stored");
  assert.equal(r.result!.unverified, undefined);
  assert.equal(await objectSha256(r.client, r.bucket, KEY), r.sha256);
  assert.deepEqual(await pendingUploads(r.client, r.bucket, KEY), []);
  return r.result!;
}

/** Reported "nothing-left", and the server holds neither the object nor an upload. */
async function assertNothingLeft(r: Run): Promise<S3UploadError> {
  assert.ok(r.error, "expected the upload to fail");
  assert.equal(r.error.outcome, "nothing-left", r.error.message);
  assert.equal(r.error.uploadKept, false);
  assert.deepEqual(await pendingUploads(r.client, r.bucket, KEY), []);
  await assert.rejects(
    r.client.send(new HeadObjectCommand({ Bucket: r.bucket, Key: KEY })),
    { name: "NotFound" },
  );
  return r.error;
}

/** Starts `fault` once the first part is acknowledged: mid-upload. */
function afterFirstPart(fault: () => void): Partial<UploadOptions> {
  let started = false;
  return {
    onProgress: (progress) => {
      if (started || progress.partsUploaded === 0) return;
      started = true;
      fault();
    },
  };
}

for (const seconds of [5, 15]) {
  Deno.test(`uploadToS3() rides out the server gone for ${seconds} s mid-upload and reports the object stored`, async () => {
    await run(
      (proxy) => afterFirstPart(() => proxy.outage(seconds * 1_000)),
      async (r) => {
        await assertStored(r);
        assert.ok(r.seconds >= seconds, `took ${r.seconds} s`);
      },
    );
  });
}

Deno.test("uploadToS3() gives up on parts after the server is gone for 45 s, then aborts the upload once it is back and reports nothing left", async () => {
  await run(
    (proxy) => afterFirstPart(() => proxy.outage(45_000)),
    async (r) => {
      const error = await assertNothingLeft(r);
      assert.match(error.message, /could not be uploaded: UploadPart failed/);
      assert.match(error.message, /; the multipart upload was aborted$/);
      // The abort had to wait for the server: the cleanup budget outlasts the parts'.
      assert.ok(r.seconds >= 45, `took ${r.seconds} s`);
    },
  );
});

Deno.test("uploadToS3() rides out every request answered 503 for 20 s and reports the object stored", async () => {
  await run(
    (proxy) =>
      afterFirstPart(() => proxy.injectFor(anyRequest, slowDown, 20_000)),
    async (r) => {
      await assertStored(r);
      assert.ok(r.seconds >= 20, `took ${r.seconds} s`);
    },
  );
});

Deno.test("uploadToS3() aborts through 20 s of 503 answers to every request, the abort included, and reports nothing left", async () => {
  await run(
    (proxy) => ({
      // Parts give up at once, so that the abort meets the 503s.
      retry: { attempts: 1 },
      ...afterFirstPart(() => proxy.injectFor(anyRequest, slowDown, 20_000)),
    }),
    async (r) => {
      const error = await assertNothingLeft(r);
      assert.match(error.message, /; the multipart upload was aborted$/);
      const aborts = r.proxy.log.filter((entry) => entry.method === "DELETE");
      assert.ok(aborts.some((entry) => entry.action === "status"));
      assert.equal(aborts.at(-1)!.action, "pass");
    },
  );
});

Deno.test("uploadToS3() finds its object stored when every CompleteMultipartUpload answer comes after 65 s", async () => {
  await run(
    (proxy) => {
      proxy.inject(isComplete, { kind: "delay-answer", ms: 65_000 }, Infinity);
      return {};
    },
    async (r) => {
      const result = await assertStored(r);
      assert.match(result.etag, /-3"$/);
      // One attempt timed out (60 s), and the work budget (40 s) allows no second.
      assert.equal(r.proxy.log.filter((e) => e.method === "POST").length, 2);
    },
  );
});

Deno.test("uploadToS3() finds its object stored when CompleteMultipartUpload answers 200 with a garbled body", async () => {
  await run(
    (proxy) => {
      proxy.inject(isComplete, { kind: "garble-answer" }, Infinity);
      return {};
    },
    async (r) => {
      const result = await assertStored(r);
      assert.match(result.etag, /-3"$/);
    },
  );
});

Deno.test("uploadToS3() rides out HeadObject answered 503 after the completion and reports the object stored", async () => {
  await run(
    (proxy) => {
      proxy.injectFor(isHeadObject, slowDown, 10_000);
      return {};
    },
    async (r) => {
      await assertStored(r);
      assert.ok(
        r.proxy.log.some((e) => e.method === "HEAD" && e.action === "status"),
      );
    },
  );
});

Deno.test("uploadToS3() reports the object stored but unverified when HeadObject never answers after the completion", async () => {
  await run(
    (proxy) => {
      proxy.inject(isHeadObject, slowDown, Infinity);
      return { cleanupRetry: { maxTime: 1_000, baseDelay: 100 } };
    },
    async (r) => {
      assert.equal(
        r.error,
        undefined,
        `the upload failed: ${r.error?.message}`,
      );
      assert.equal(r.result!.outcome, "stored-unverified");
      assert.match(
        r.result!.unverified!,
        /^the server said it stored the object, but HeadObject failed, so its size was not checked \(HeadObject failed after \d+ attempts: (SlowDown|Unknown \(HTTP 503\))/,
      );
      assert.equal(await objectSha256(r.client, r.bucket, KEY), r.sha256);
      assert.deepEqual(await pendingUploads(r.client, r.bucket, KEY), []);
    },
  );
});

Deno.test("uploadToS3() checks HeadObject's ETag when CompleteMultipartUpload answers an empty one, as radosgw does", async () => {
  await run(
    (proxy) => {
      proxy.inject(isComplete, { kind: "rewrite-etag", etag: "empty" }, 1);
      return {};
    },
    async (r) => {
      const result = await assertStored(r);
      assert.match(result.etag, /^"[0-9a-f]{32}-3"$/);
    },
  );
  // HeadObject's ETag is not the one the parts make: the object is not ours.
  await run(
    (proxy) => {
      proxy.inject(isComplete, { kind: "rewrite-etag", etag: "empty" }, 1);
      proxy.inject(isHeadObject, { kind: "rewrite-etag", etag: "other" }, 1);
      return {};
    },
    async (r) => {
      assert.ok(r.error);
      assert.match(
        r.error.message,
        /could not be completed: HeadObject reports ETag "[0-9a-f]{32}-3" but the parts sent make "[0-9a-f]{32}-3"$/,
      );
      assert.equal(r.error.outcome, "nothing-left");
      assert.deepEqual(await pendingUploads(r.client, r.bucket, KEY), []);
    },
  );
});

Deno.test("uploadToS3() finds its one-part object stored when every PutObject answer is lost", async () => {
  await run(
    (proxy) => {
      proxy.inject(
        isPutObject,
        { kind: "replace-answer", status: 500, code: "InternalError" },
        Infinity,
      );
      return { retry: { attempts: 2 } };
    },
    async (r) => {
      const result = await assertStored(r);
      assert.equal(result.parts, 1);
    },
    MIB,
  );
});

Deno.test("uploadToS3() completes again with ListParts' ETag when a part's answer was damaged and its bytes were signed", async () => {
  await run(
    (proxy) => {
      proxy.inject(isUploadPart(2), { kind: "rewrite-etag", etag: "other" }, 1);
      return {};
    },
    async (r) => {
      const result = await assertStored(r);
      assert.match(result.etag, /-3"$/);
      // The first completion was refused with InvalidPart, the second taken.
      assert.equal(r.proxy.log.filter((e) => e.method === "POST").length, 3);
    },
  );
});

Deno.test("uploadToS3() names the part a completion refuses with InvalidPart when nothing proves its stored bytes, aborts, and reports nothing left", async () => {
  await run(
    (proxy) => {
      proxy.inject(isUploadPart(2), { kind: "rewrite-etag", etag: "other" }, 1);
      return { payloadSigning: "never" };
    },
    async (r) => {
      const error = await assertNothingLeft(r);
      assert.equal(error.partNumber, 2);
      assert.match(
        error.message,
        /could not be completed: CompleteMultipartUpload failed after 1 attempt: InvalidPart: .*: part 2 is not on the server as it was sent \(ListParts shows ETag "[0-9a-f]{32}" \(5242880 bytes\) where UploadPart answered "[0-9a-f]{32}" \(5242880 bytes\)\); it was sent unsigned without Content-MD5, so nothing shows the bytes stored are the ones sent, and its bytes are no longer held to send it again; the multipart upload was aborted$/,
      );
    },
  );
});

Deno.test("uploadToS3() takes an abort answered 404 NoSuchKey, as Swift and radosgw answer, as gone once ListParts confirms it", async () => {
  await run(
    (proxy) => {
      proxy.inject(
        isUploadPart(3),
        { kind: "status", status: 403, code: "AccessDenied" },
        Infinity,
      );
      proxy.inject(
        isAbort(),
        { kind: "replace-answer", status: 404, code: "NoSuchKey" },
        Infinity,
      );
      return {};
    },
    async (r) => {
      const error = await assertNothingLeft(r);
      assert.equal(error.partNumber, 3);
      assert.match(error.message, /; the multipart upload no longer exists$/);
    },
  );
});

Deno.test("uploadToS3() reports a resumed upload gone when ListParts answers 404 NoSuchKey, without looping", async () => {
  await withBucket(async (client, bucket) => {
    let checkpoint: UploadCheckpoint | undefined;
    const first = await uploadToS3(randomStream(3 * PART, 7).stream, {
      client,
      bucket,
      key: KEY,
      partSize: PART,
      abortOnFailure: false,
      onCheckpoint: (c) => {
        checkpoint = c;
        // Calls are serialised, so one may already see every part: stop at
        // the first that holds two or more.
        if (c.parts.length >= 2) throw new Error("stop here");
      },
    }).catch((e) => e);
    assert.ok(first instanceof S3UploadError && first.uploadKept);
    assert.equal(first.outcome, "pending");
    assert.equal(
      (await pendingUploads(client, bucket, KEY)).length,
      1,
      "the kept upload is pending",
    );

    const proxy = FaultProxy.start(s3Endpoint());
    const proxied = localClient({ endpoint: proxy.endpoint });
    try {
      // Someone aborted it; the server answers NoSuchKey, as radosgw does.
      await client.send(
        new AbortMultipartUploadCommand({
          Bucket: bucket,
          Key: KEY,
          UploadId: checkpoint!.uploadId,
        }),
      );
      proxy.inject(
        isListParts(checkpoint!.uploadId),
        { kind: "status", status: 404, code: "NoSuchKey" },
        Infinity,
      );
      const error = await uploadToS3(randomStream(3 * PART, 7).stream, {
        client: proxied,
        bucket,
        key: KEY,
        resume: checkpoint!,
      }).catch((e) => e);
      assert.ok(error instanceof S3UploadError);
      assert.match(
        error.message,
        /cannot resume: upload ID \S+ no longer exists/,
      );
      assert.equal(error.outcome, "nothing-left");
      assert.deepEqual(await pendingUploads(client, bucket, KEY), []);
      assert.ok(
        proxy.log.filter((e) => e.method === "GET").length <= 2,
        "ListParts is not asked again and again",
      );
    } finally {
      proxied.destroy();
      await proxy.close();
    }
  });
});
