/**
 * The fault proxy against the real local S3 server: each fault does what it
 * says, and the server acts (or not) on the request as the fault promises.
 */

import assert from "node:assert/strict";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import {
  anyRequest,
  FaultProxy,
  isAbort,
  isComplete,
  isCreate,
  isHeadObject,
  isListParts,
  isPutObject,
  isUploadPart,
  type ProxiedRequest,
} from "./_fault_proxy.ts";
import {
  localClient,
  pendingUploads,
  s3Endpoint,
  withBucket,
} from "./_local_s3.ts";

const KEY = "small.bin";
const BODY = new TextEncoder().encode("a small body");

/** Runs `fn` with a bucket holding `KEY`, a direct client, a proxy and a client through it. */
async function withProxy(
  fn: (context: {
    direct: S3Client;
    proxied: S3Client;
    proxy: FaultProxy;
    bucket: string;
  }) => Promise<void>,
): Promise<void> {
  await withBucket(async (direct, bucket) => {
    await direct.send(
      new PutObjectCommand({ Bucket: bucket, Key: KEY, Body: BODY }),
    );
    const proxy = FaultProxy.start(s3Endpoint());
    const proxied = localClient({ endpoint: proxy.endpoint });
    try {
      await fn({ direct, proxied, proxy, bucket });
    } finally {
      proxied.destroy();
      await proxy.close();
    }
  });
}

/** Starts a multipart upload of `key` and uploads one small part to it, both directly. */
async function startSmallUpload(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<{ uploadId: string; etag: string }> {
  const { UploadId: uploadId } = await client.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }),
  );
  const { ETag: etag } = await client.send(
    new UploadPartCommand({
      Bucket: bucket,
      Key: key,
      UploadId: uploadId,
      PartNumber: 1,
      Body: BODY,
    }),
  );
  return { uploadId: uploadId!, etag: etag! };
}

function completeCommand(
  bucket: string,
  key: string,
  uploadId: string,
  etag: string,
): CompleteMultipartUploadCommand {
  return new CompleteMultipartUploadCommand({
    Bucket: bucket,
    Key: key,
    UploadId: uploadId,
    MultipartUpload: { Parts: [{ PartNumber: 1, ETag: etag }] },
  });
}

/** The HTTP status an SDK error carries; `undefined` when no answer came. */
function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata
    ?.httpStatusCode;
}

/** Rejects unless `promise` rejects without an answer: the connection failed. */
async function assertNoAnswer(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => assert.fail("expected the request to fail without an answer"),
    (error: unknown) => error,
  );
  assert.equal(statusOf(error), undefined, `got an answer: ${error}`);
}

function head(bucket: string, key = KEY): HeadObjectCommand {
  return new HeadObjectCommand({ Bucket: bucket, Key: key });
}

const slowDown = { kind: "status", status: 503, code: "SlowDown" } as const;

Deno.test("FaultProxy.outage() resets every request in its window, then passes them again", async () => {
  await withProxy(async ({ proxied, proxy, bucket }) => {
    proxy.outage(1_500);
    await assertNoAnswer(proxied.send(head(bucket)));
    await assertNoAnswer(
      proxied.send(new ListObjectsV2Command({ Bucket: bucket })),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    const object = await proxied.send(head(bucket));
    assert.equal(object.ContentLength, BODY.length);
    assert.deepEqual(proxy.log.map((entry) => entry.action), [
      "reset",
      "reset",
      "pass",
    ]);
    assert.equal(proxy.log[0]!.serverStatus, undefined);
    assert.equal(proxy.log[2]!.serverStatus, 200);
  });
});

Deno.test("FaultProxy.outage() closes the connections open when it starts", async () => {
  await withProxy(async ({ proxied, proxy, bucket }) => {
    proxy.inject(isHeadObject, { kind: "delay-answer", ms: 30_000 });
    const started = Date.now();
    const held = proxied.send(head(bucket));
    await new Promise((resolve) => setTimeout(resolve, 300));
    proxy.outage(500);
    await assertNoAnswer(held);
    assert.ok(Date.now() - started < 5_000, "the held answer was not cut");
  });
});

Deno.test('An "outage" action starts the outage at the request it matches', async () => {
  await withProxy(async ({ proxied, proxy, bucket }) => {
    proxy.inject(isHeadObject, { kind: "outage", durationMs: 1_000 });
    await proxied.send(new ListObjectsV2Command({ Bucket: bucket }));
    await assertNoAnswer(proxied.send(head(bucket)));
    await assertNoAnswer(
      proxied.send(new ListObjectsV2Command({ Bucket: bucket })),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await proxied.send(head(bucket));
    assert.deepEqual(proxy.log.map((entry) => entry.action), [
      "pass",
      "outage",
      "reset",
      "pass",
    ]);
  });
});

Deno.test("FaultProxy.injectFor() answers every request 503 SlowDown for its window, aborts included", async () => {
  await withProxy(async ({ direct, proxied, proxy, bucket }) => {
    const { uploadId } = await startSmallUpload(direct, bucket, "big.bin");
    proxy.injectFor(anyRequest, slowDown, 1_500);
    await assert.rejects(
      proxied.send(
        new AbortMultipartUploadCommand({
          Bucket: bucket,
          Key: "big.bin",
          UploadId: uploadId,
        }),
      ),
      (error: Error) => error.name === "SlowDown" && statusOf(error) === 503,
    );
    // A HEAD answer has no body, so the SDK cannot name the code, only the status.
    await assert.rejects(
      proxied.send(head(bucket)),
      (error: Error) => statusOf(error) === 503,
    );
    assert.deepEqual(await pendingUploads(direct, bucket, "big.bin"), [
      uploadId,
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    await proxied.send(
      new AbortMultipartUploadCommand({
        Bucket: bucket,
        Key: "big.bin",
        UploadId: uploadId,
      }),
    );
    assert.deepEqual(await pendingUploads(direct, bucket, "big.bin"), []);
    assert.deepEqual(proxy.log.map((entry) => entry.action), [
      "status",
      "status",
      "pass",
    ]);
  });
});

Deno.test('A "delay-answer" passes the answer on late, after the server acted', async () => {
  await withProxy(async ({ direct, proxied, proxy, bucket }) => {
    proxy.inject(isCreate, { kind: "delay-answer", ms: 1_500 });
    const started = Date.now();
    let answered = false;
    const created = proxied.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: "late.bin" }),
    ).finally(() => answered = true);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const pending = await pendingUploads(direct, bucket, "late.bin");
    assert.equal(pending.length, 1, "the server has not created the upload");
    assert.equal(answered, false);
    const { UploadId } = await created;
    assert.ok(Date.now() - started >= 1_500);
    assert.deepEqual(pending, [UploadId]);
    assert.equal(proxy.log[0]!.action, "delay-answer");
    assert.equal(proxy.log[0]!.serverStatus, 200);
  });
});

Deno.test('A "garble-answer" answers CompleteMultipartUpload 200 with a body that is not XML, after the server completed it', async () => {
  await withProxy(async ({ direct, proxied, proxy, bucket }) => {
    const { uploadId, etag } = await startSmallUpload(direct, bucket, "g.bin");
    proxy.inject(isComplete, { kind: "garble-answer" });
    await assert.rejects(
      proxied.send(completeCommand(bucket, "g.bin", uploadId, etag)),
      (error: Error) =>
        /XML parse error/.test(error.message) && statusOf(error) === 200,
    );
    const object = await direct.send(head(bucket, "g.bin"));
    assert.equal(object.ContentLength, BODY.length);
    assert.deepEqual(await pendingUploads(direct, bucket, "g.bin"), []);
    assert.equal(proxy.log[0]!.action, "garble-answer");
    assert.equal(proxy.log[0]!.serverStatus, 200);
  });
});

Deno.test('A "replace-answer" answers HeadObject 503 though the server answered 200', async () => {
  await withProxy(async ({ proxied, proxy, bucket }) => {
    proxy.inject(isHeadObject, {
      kind: "replace-answer",
      status: 503,
      code: "SlowDown",
    });
    await assert.rejects(
      proxied.send(head(bucket)),
      (error: Error) => statusOf(error) === 503,
    );
    const object = await proxied.send(head(bucket));
    assert.equal(object.ContentLength, BODY.length);
    assert.deepEqual(
      proxy.log.map((entry) => [entry.action, entry.serverStatus]),
      [["replace-answer", 200], ["pass", 200]],
    );
  });
});

Deno.test('A "replace-answer" answers NoSuchKey to an AbortMultipartUpload the server carried out', async () => {
  await withProxy(async ({ direct, proxied, proxy, bucket }) => {
    const { uploadId } = await startSmallUpload(direct, bucket, "a.bin");
    proxy.inject(isAbort(uploadId), {
      kind: "replace-answer",
      status: 404,
      code: "NoSuchKey",
    });
    await assert.rejects(
      proxied.send(
        new AbortMultipartUploadCommand({
          Bucket: bucket,
          Key: "a.bin",
          UploadId: uploadId,
        }),
      ),
      (error: Error) => error.name === "NoSuchKey" && statusOf(error) === 404,
    );
    assert.deepEqual(await pendingUploads(direct, bucket, "a.bin"), []);
    assert.deepEqual(
      proxy.log.map((
        entry,
      ) => [entry.method, entry.action, entry.serverStatus]),
      [["DELETE", "replace-answer", 204]],
    );
  });
});

Deno.test('A "rewrite-etag" empties the ETag of CompleteMultipartUpload\'s answer, as Ceph radosgw does', async () => {
  await withProxy(async ({ direct, proxied, proxy, bucket }) => {
    const { uploadId, etag } = await startSmallUpload(direct, bucket, "e.bin");
    proxy.inject(isComplete, { kind: "rewrite-etag", etag: "empty" });
    const output = await proxied.send(
      completeCommand(bucket, "e.bin", uploadId, etag),
    );
    assert.equal(output.ETag, "");
    assert.equal(output.Key, "e.bin");
    const object = await direct.send(head(bucket, "e.bin"));
    assert.match(object.ETag!, /^"[0-9a-f]{32}-1"$/);
    assert.equal(proxy.log[0]!.action, "rewrite-etag");
    assert.equal(proxy.log[0]!.serverStatus, 200);
  });
});

Deno.test('A "rewrite-etag" gives a part another ETag, so that Swift refuses CompleteMultipartUpload with InvalidPart', async () => {
  await withProxy(async ({ direct, proxied, proxy, bucket }) => {
    const { UploadId } = await direct.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: "w.bin" }),
    );
    proxy.inject(isUploadPart(1), { kind: "rewrite-etag", etag: "other" });
    const part = await proxied.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: "w.bin",
        UploadId,
        PartNumber: 1,
        Body: BODY,
      }),
    );
    const listed = await direct.send(
      new ListPartsCommand({ Bucket: bucket, Key: "w.bin", UploadId }),
    );
    const stored = listed.Parts?.[0]?.ETag;
    assert.match(part.ETag!, /^"[0-9a-f]{32}"$/);
    assert.match(stored!, /^"[0-9a-f]{32}"$/);
    assert.notEqual(part.ETag, stored);
    await assert.rejects(
      direct.send(completeCommand(bucket, "w.bin", UploadId!, part.ETag!)),
      (error: Error) => error.name === "InvalidPart" && statusOf(error) === 400,
    );
    await assert.rejects(direct.send(head(bucket, "w.bin")), {
      name: "NotFound",
    });
    assert.equal(proxy.log[0]!.action, "rewrite-etag");
  });
});

Deno.test('A "rewrite-etag" changes the ETag HeadObject answers and keeps the object\'s length', async () => {
  await withProxy(async ({ direct, proxied, proxy, bucket }) => {
    proxy.inject(isHeadObject, { kind: "rewrite-etag", etag: "other" });
    const rewritten = await proxied.send(head(bucket));
    const stored = await direct.send(head(bucket));
    assert.equal(rewritten.ContentLength, BODY.length);
    assert.match(rewritten.ETag!, /^"[0-9a-f]{32}"$/);
    assert.notEqual(rewritten.ETag, stored.ETag);
    assert.deepEqual(
      proxy.log.map((entry) => [entry.action, entry.serverStatus]),
      [["rewrite-etag", 200]],
    );
  });
});

Deno.test("isListParts() and isAbort() pick the requests of one upload, for a NoSuchKey answered in place of NoSuchUpload", async () => {
  await withProxy(async ({ direct, proxied, proxy, bucket }) => {
    const one = await startSmallUpload(direct, bucket, "one.bin");
    const two = await startSmallUpload(direct, bucket, "two.bin");
    const noSuchKey = {
      kind: "status",
      status: 404,
      code: "NoSuchKey",
    } as const;
    proxy.inject(isListParts(one.uploadId), noSuchKey, 10);
    proxy.inject(isAbort(one.uploadId), noSuchKey, 10);
    const list = (key: string, uploadId: string) =>
      proxied.send(
        new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
      );
    const abort = (key: string, uploadId: string) =>
      proxied.send(
        new AbortMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
        }),
      );
    const isNoSuchKey = (error: Error) =>
      error.name === "NoSuchKey" && statusOf(error) === 404;
    await assert.rejects(list("one.bin", one.uploadId), isNoSuchKey);
    await assert.rejects(abort("one.bin", one.uploadId), isNoSuchKey);
    assert.equal((await list("two.bin", two.uploadId)).Parts?.length, 1);
    await abort("two.bin", two.uploadId);
    // The faults were answered in the server's place: upload one is still there.
    assert.deepEqual(await pendingUploads(direct, bucket, "one.bin"), [
      one.uploadId,
    ]);
    assert.deepEqual(await pendingUploads(direct, bucket, "two.bin"), []);
    assert.deepEqual(proxy.log.map((entry) => entry.action), [
      "status",
      "status",
      "pass",
      "pass",
    ]);
  });
});

Deno.test("isHeadObject() and isPutObject() pick their requests and no others", () => {
  const request = (
    method: string,
    target: string,
    headers: Record<string, string> = {},
  ): ProxiedRequest => {
    const url = new URL(target, "http://proxy");
    return {
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: new Headers(headers),
    };
  };
  const headObject = request("HEAD", "/bucket/a/b.zip");
  const headBucket = request("HEAD", "/bucket");
  const putObject = request("PUT", "/bucket/a.zip?x-id=PutObject");
  const uploadPart = request("PUT", "/bucket/a.zip?partNumber=1&uploadId=u");
  const createBucket = request("PUT", "/bucket");
  const copyObject = request("PUT", "/bucket/a.zip", {
    "x-amz-copy-source": "/bucket/b.zip",
  });
  const listParts = request("GET", "/bucket/a.zip?uploadId=u");
  const abort = request("DELETE", "/bucket/a.zip?uploadId=u");
  const deleteObject = request("DELETE", "/bucket/a.zip");
  const all = [
    headObject,
    headBucket,
    putObject,
    uploadPart,
    createBucket,
    copyObject,
    listParts,
    abort,
    deleteObject,
  ];
  const picked = (match: (request: ProxiedRequest) => boolean) =>
    all.filter(match);
  assert.deepEqual(picked(isHeadObject), [headObject]);
  assert.deepEqual(picked(isPutObject), [putObject]);
  assert.deepEqual(picked(isListParts()), [listParts]);
  assert.deepEqual(picked(isListParts("u")), [listParts]);
  assert.deepEqual(picked(isListParts("v")), []);
  assert.deepEqual(picked(isAbort()), [abort]);
  assert.deepEqual(picked(isAbort("v")), []);
  assert.deepEqual(picked(isUploadPart()), [uploadPart]);
});
