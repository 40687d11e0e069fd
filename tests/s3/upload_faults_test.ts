/**
 * uploadToS3() through a fault-injecting proxy in front of the local S3
 * server: every fault ends either in a byte-identical object or in a clean
 * failure with no multipart upload left.
 */

import assert from "node:assert/strict";
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  S3UploadError,
  type UploadOptions,
  uploadToS3,
} from "../../src/s3/mod.ts";
import {
  type FaultAction,
  FaultProxy,
  isComplete,
  isCreate,
  isUploadPart,
  type ProxiedRequest,
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
const KEY = "faulty.zip";

/**
 * Runs an upload of `size` bytes through a proxy with the given faults and
 * returns the outcome plus what the test needs to judge it.
 */
async function uploadThroughFaults(
  faults: [(request: ProxiedRequest) => boolean, FaultAction, number][],
  { size = 3 * PART, retry = {} }: {
    size?: number;
    retry?: UploadOptions["retry"];
  } = {},
  judge: (outcome: {
    client: S3Client;
    bucket: string;
    proxy: FaultProxy;
    result: Awaited<ReturnType<typeof uploadToS3>> | undefined;
    error: unknown;
    sha256: string;
  }) => Promise<void>,
): Promise<void> {
  await withBucket(async (client, bucket) => {
    const proxy = FaultProxy.start(s3Endpoint());
    const proxied = localClient({ endpoint: proxy.endpoint });
    try {
      for (const [match, action, times] of faults) {
        proxy.inject(match, action, times);
      }
      const body = randomStream(size, 42);
      let result;
      let error;
      try {
        result = await uploadToS3(body.stream, {
          client: proxied,
          bucket,
          key: KEY,
          partSize: PART,
          concurrency: 2,
          retry: {
            baseDelay: 10,
            maxDelay: 200,
            // Generous, so that a slow machine does not add retries of its own.
            timeout: 30_000,
            timeoutPerMiB: 1_000,
            ...retry,
          },
        });
      } catch (caught) {
        error = caught;
      }
      await judge({
        client,
        bucket,
        proxy,
        result,
        error,
        sha256: body.sha256(),
      });
    } finally {
      proxied.destroy();
      await proxy.close();
    }
  });
}

/** The object exists and is exactly the bytes streamed. */
async function assertIdentical(
  client: S3Client,
  bucket: string,
  sha256: string,
  error: unknown,
) {
  assert.equal(error, undefined, `the upload failed: ${error}`);
  assert.equal(await objectSha256(client, bucket, KEY), sha256);
  assert.deepEqual(await pendingUploads(client, bucket, KEY), []);
}

/** The upload failed with an S3UploadError, and neither an object nor an upload is left. */
async function assertCleanFailure(
  client: S3Client,
  bucket: string,
  error: unknown,
) {
  assert.ok(
    error instanceof S3UploadError,
    `expected an S3UploadError, got ${error}`,
  );
  assert.deepEqual(await pendingUploads(client, bucket, KEY), []);
  await assert.rejects(
    client.send(new HeadObjectCommand({ Bucket: bucket, Key: KEY })),
    { name: "NotFound" },
  );
}

const slowDown: FaultAction = { kind: "status", status: 503, code: "SlowDown" };
const internalError: FaultAction = {
  kind: "status",
  status: 500,
  code: "InternalError",
};

Deno.test("uploadToS3() stores identical bytes when parts are answered 500 InternalError", async () => {
  await uploadThroughFaults(
    [[isUploadPart(2), internalError, 2]],
    {},
    async ({ client, bucket, proxy, error, sha256 }) => {
      await assertIdentical(client, bucket, sha256, error);
      const part2 = proxy.log.filter((entry) =>
        entry.query.includes("partNumber=2")
      );
      assert.deepEqual(part2.map((entry) => entry.action), [
        "status",
        "status",
        "pass",
      ]);
    },
  );
});

Deno.test("uploadToS3() stores identical bytes when S3 answers 503 SlowDown to several parts", async () => {
  await uploadThroughFaults(
    [[isUploadPart(), slowDown, 4]],
    {},
    async ({ client, bucket, proxy, error, sha256 }) => {
      await assertIdentical(client, bucket, sha256, error);
      assert.equal(
        proxy.log.filter((entry) => entry.action === "status").length,
        4,
      );
    },
  );
});

Deno.test("uploadToS3() stores identical bytes when a connection drops in the middle of a part", async () => {
  await uploadThroughFaults(
    [[isUploadPart(2), { kind: "drop" }, 1]],
    {},
    async ({ client, bucket, proxy, error, sha256 }) => {
      await assertIdentical(client, bucket, sha256, error);
      const dropped = proxy.log.find((entry) => entry.action === "drop");
      assert.ok(
        dropped && dropped.bodyBytesForwarded > 0 &&
          dropped.bodyBytesForwarded < PART,
      );
    },
  );
});

Deno.test("uploadToS3() stores identical bytes when a part stalls until its timeout", async () => {
  await uploadThroughFaults(
    [[isUploadPart(3), { kind: "stall" }, 1]],
    { retry: { timeout: 1_500, timeoutPerMiB: 300 } },
    async ({ client, bucket, proxy, error, sha256 }) => {
      await assertIdentical(client, bucket, sha256, error);
      const part3 = proxy.log.filter((entry) =>
        entry.query.includes("partNumber=3")
      );
      assert.equal(part3[0]!.action, "stall");
      assert.ok(part3.length >= 2, "the stalled part was sent again");
    },
  );
});

Deno.test("uploadToS3() stores identical bytes when CreateMultipartUpload is answered 503 first", async () => {
  await uploadThroughFaults(
    [[isCreate, slowDown, 1]],
    {},
    async ({ client, bucket, error, sha256 }) => {
      await assertIdentical(client, bucket, sha256, error);
    },
  );
});

Deno.test("uploadToS3() leaves no stray upload when the answer to CreateMultipartUpload was lost", async () => {
  await uploadThroughFaults(
    [[isCreate, { kind: "lose-answer" }, 1]],
    {},
    async ({ client, bucket, proxy, error, sha256 }) => {
      await assertIdentical(client, bucket, sha256, error);
      assert.equal(
        proxy.log.filter((entry) => entry.query.startsWith("uploads")).length,
        2,
      );
      assert.ok(
        proxy.log.some((entry) =>
          entry.method === "GET" && entry.query.includes("uploads")
        ),
      );
    },
  );
});

Deno.test("uploadToS3() stores identical bytes when CompleteMultipartUpload fails once", async () => {
  await uploadThroughFaults(
    [[isComplete, internalError, 1]],
    {},
    async ({ client, bucket, error, sha256 }) => {
      await assertIdentical(client, bucket, sha256, error);
    },
  );
});

Deno.test("uploadToS3() recognises its object when the answer to CompleteMultipartUpload was lost", async () => {
  await uploadThroughFaults(
    [[isComplete, { kind: "lose-answer" }, 1]],
    {},
    async ({ client, bucket, proxy, result, error, sha256 }) => {
      await assertIdentical(client, bucket, sha256, error);
      assert.equal(
        proxy.log.filter((entry) =>
          entry.method === "POST" && entry.query.includes("uploadId")
        ).length,
        2,
      );
      assert.match(result!.etag, /-3"$/);
    },
  );
});

Deno.test("uploadToS3() fails cleanly when a part is refused more times than it may retry", async () => {
  await uploadThroughFaults(
    [[isUploadPart(2), slowDown, 100]],
    { retry: { attempts: 3 } },
    async ({ client, bucket, error }) => {
      await assertCleanFailure(client, bucket, error);
      const failure = error as S3UploadError;
      assert.equal(failure.partNumber, 2);
      assert.match(
        failure.message,
        /: part 2 could not be uploaded: UploadPart failed after 3 attempts: SlowDown: /,
      );
      assert.match(failure.message, /; the multipart upload was aborted$/);
    },
  );
});

Deno.test("uploadToS3() fails cleanly when every attempt at a part stalls", async () => {
  await uploadThroughFaults(
    [[isUploadPart(1), { kind: "stall" }, 100]],
    { retry: { attempts: 2, timeout: 1_000, timeoutPerMiB: 100 } },
    async ({ client, bucket, error }) => {
      await assertCleanFailure(client, bucket, error);
      assert.match(
        (error as Error).message,
        /: part 1 could not be uploaded: UploadPart failed after 2 attempts over 3 s: TimeoutError: UploadPart did not finish within 1500 ms/,
      );
    },
  );
});

Deno.test("uploadToS3() fails cleanly when CompleteMultipartUpload keeps failing", async () => {
  await uploadThroughFaults(
    [[isComplete, internalError, 100]],
    { retry: { attempts: 2 } },
    async ({ client, bucket, error }) => {
      await assertCleanFailure(client, bucket, error);
      assert.match(
        (error as Error).message,
        /: the multipart upload could not be completed: CompleteMultipartUpload failed after 2 attempts/,
      );
    },
  );
});

Deno.test("uploadToS3() fails cleanly when connections keep dropping mid-part, after aborting through the same faults", async () => {
  await uploadThroughFaults(
    [
      [isUploadPart(), { kind: "drop" }, 100],
      [(request) => request.method === "DELETE", internalError, 1],
    ],
    { retry: { attempts: 2 } },
    async ({ client, bucket, error }) => {
      await assertCleanFailure(client, bucket, error);
    },
  );
});
