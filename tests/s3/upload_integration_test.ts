/**
 * uploadToS3() against the real local S3 server (OpenStack Swift + s3api),
 * started by scripts/with_s3_server.sh.
 */

import assert from "node:assert/strict";
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { predictLength, zip, type ZipEntry } from "../../mod.ts";
import {
  S3UploadError,
  S3UploadStream,
  type UploadOptions,
  uploadToS3,
} from "../../src/s3/mod.ts";
import { assertOpensEverywhere, type ExpectedEntry } from "../_readers.ts";
import {
  getObjectStream,
  localClient,
  objectSha256,
  pendingUploads,
  randomStream,
  uniqueBucketName,
  withBucket,
} from "./_local_s3.ts";

const MIB = 1024 * 1024;
const PART = 5 * MIB;

function options(
  client: S3Client,
  bucket: string,
  extra: Partial<UploadOptions> = {},
): UploadOptions {
  return {
    client,
    bucket,
    key: "archive.zip",
    partSize: PART,
    retry: { baseDelay: 10, maxDelay: 100 },
    ...extra,
  };
}

async function headSize(client: S3Client, bucket: string, key: string) {
  const head = await client.send(
    new HeadObjectCommand({ Bucket: bucket, Key: key }),
  );
  return head.ContentLength;
}

async function assertNothingLeft(
  client: S3Client,
  bucket: string,
  key: string,
) {
  assert.deepEqual(await pendingUploads(client, bucket, key), []);
  await assert.rejects(headSize(client, bucket, key), { name: "NotFound" });
}

for (
  const [size, label] of [
    [0, "an empty body"],
    [1, "a 1-byte body"],
    [PART, "a body of exactly one part"],
  ] as const
) {
  Deno.test(`uploadToS3() stores ${label} with one PutObject on the local server`, async () => {
    await withBucket(async (client, bucket) => {
      const body = randomStream(size, size + 1);
      const result = await uploadToS3(body.stream, options(client, bucket));
      assert.equal(result.size, size);
      assert.equal(result.parts, 1);
      assert.equal(result.uploadId, undefined);
      assert.equal(await headSize(client, bucket, "archive.zip"), size);
      assert.equal(
        await objectSha256(client, bucket, "archive.zip"),
        body.sha256(),
      );
    });
  });
}

Deno.test("uploadToS3() stores 60 MiB in twelve 5 MiB parts byte for byte on the local server", async () => {
  await withBucket(async (client, bucket) => {
    const body = randomStream(60 * MIB, 60);
    const result = await uploadToS3(
      body.stream,
      options(client, bucket, { concurrency: 4 }),
    );
    assert.equal(result.parts, 12);
    assert.equal(result.size, 60 * MIB);
    assert.match(result.etag, /^"[0-9a-f]{32}-12"$/);
    assert.ok(result.uploadId);
    assert.equal(
      await objectSha256(client, bucket, "archive.zip"),
      body.sha256(),
    );
    assert.deepEqual(await pendingUploads(client, bucket, "archive.zip"), []);
  });
});

/** Entries with stored data of known size: predictLength() knows the archive's length. */
function storedEntries(): ZipEntry[] {
  const entries: ZipEntry[] = [];
  for (let i = 0; i < 4; i++) {
    const data = new Uint8Array(3 * MIB + i * 1000).map((_, j) =>
      (i * 7 + j * 13) & 0xff
    );
    entries.push({
      name: `data/part-${i}.bin`,
      data,
      size: data.length,
      compression: "store",
    });
  }
  entries.push({ name: "docs/", compression: "store" });
  entries.push({
    name: "docs/read me ü.txt",
    data: "stored and predicted\n",
    compression: "store",
  });
  return entries;
}

function expectedOf(entries: ZipEntry[]): ExpectedEntry[] {
  return entries.map((entry) => ({
    name: entry.name,
    ...(entry.data === undefined
      ? {}
      : { data: entry.data as Uint8Array | string }),
  }));
}

Deno.test("uploadToS3() uploads a zip() archive of predicted length that unzip, zipfile, 7z and bsdtar open", async () => {
  await withBucket(async (client, bucket) => {
    const entries = storedEntries();
    const length = predictLength(entries);
    const result = await uploadToS3(
      zip(entries),
      options(client, bucket, {
        contentLength: length,
        contentType: "application/zip",
      }),
    );
    assert.equal(result.size, length);
    assert.equal(result.parts, Math.ceil(length / PART));
    assert.equal(await headSize(client, bucket, "archive.zip"), length);
    await assertOpensEverywhere(
      await getObjectStream(client, bucket, "archive.zip"),
      expectedOf(entries),
    );
  });
});

Deno.test("uploadToS3() uploads a deflated zip() archive of unknown length that the readers open", async () => {
  await withBucket(async (client, bucket) => {
    const text = "zipstream streams archives into S3 without buffering them\n"
      .repeat(50_000);
    const entries: ZipEntry[] = [
      { name: "text/long.txt", data: text },
      { name: "random.bin", data: randomStream(7 * MIB, 9).stream },
      { name: "empty.txt", data: "" },
    ];
    const result = await uploadToS3(zip(entries), options(client, bucket));
    assert.ok(result.parts >= 2);
    const expected: ExpectedEntry[] = [
      { name: "text/long.txt", data: text },
      {
        name: "random.bin",
        data: await new Response(randomStream(7 * MIB, 9).stream).bytes(),
      },
      { name: "empty.txt", data: "" },
    ];
    await assertOpensEverywhere(
      await getObjectStream(client, bucket, "archive.zip"),
      expected,
    );
  });
});

Deno.test("uploadToS3() aborts the multipart upload when an entry's source fails mid-archive", async () => {
  await withBucket(async (client, bucket) => {
    let given = 0;
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (given >= 12 * MIB) {
          controller.error(new Error("the third file could not be read"));
          return;
        }
        controller.enqueue(new Uint8Array(MIB).fill(given / MIB));
        given += MIB;
      },
    });
    const archive = zip([
      { name: "first.bin", data: randomStream(2 * MIB, 3).stream },
      { name: "broken.bin", data: failing, compression: "store" },
    ]);
    const error = await uploadToS3(archive, options(client, bucket)).catch((
      e,
    ) => e);
    assert.ok(error instanceof S3UploadError);
    assert.ok(error.uploadId, "a multipart upload had started");
    assert.match(error.message, /the third file could not be read/);
    assert.match(error.message, /; the multipart upload was aborted$/);
    await assertNothingLeft(client, bucket, "archive.zip");
  });
});

Deno.test("uploadToS3() aborts the multipart upload when its signal aborts mid-upload", async () => {
  await withBucket(async (client, bucket) => {
    const controller = new AbortController();
    const error = await uploadToS3(
      randomStream(200 * MIB, 5).stream,
      options(client, bucket, {
        signal: controller.signal,
        onProgress: ({ partsUploaded }) => {
          if (partsUploaded === 2) {
            controller.abort(new Error("stopped by the user"));
          }
        },
      }),
    ).catch((e) => e);
    assert.ok(error instanceof S3UploadError);
    assert.equal((error.cause as Error).message, "stopped by the user");
    assert.match(
      error.message,
      /: the signal was aborted: stopped by the user; the multipart upload was aborted$/,
    );
    await assertNothingLeft(client, bucket, "archive.zip");
  });
});

Deno.test("uploadToS3() reports a missing bucket clearly and leaves nothing behind", async () => {
  const client = localClient();
  try {
    const bucket = uniqueBucketName();
    const small = await uploadToS3(
      randomStream(10).stream,
      options(client, bucket),
    ).catch((e) => e);
    assert.ok(small instanceof S3UploadError);
    assert.equal(
      small.message,
      `Cannot upload to s3://${bucket}/archive.zip: the object could not be uploaded: PutObject failed after 1 attempt: NoSuchBucket: The specified bucket does not exist`,
    );
    const large = await uploadToS3(
      randomStream(2 * PART).stream,
      options(client, bucket),
    ).catch((e) => e);
    assert.ok(large instanceof S3UploadError);
    assert.equal(
      large.message,
      `Cannot upload to s3://${bucket}/archive.zip: the multipart upload could not be started: CreateMultipartUpload failed after 1 attempt: NoSuchBucket: The specified bucket does not exist`,
    );
    assert.equal(large.uploadId, undefined);
  } finally {
    client.destroy();
  }
});

Deno.test("uploadToS3() reports bad credentials clearly and leaves nothing behind", async () => {
  await withBucket(async (client, bucket) => {
    const wrong = localClient({
      credentials: { accessKeyId: "test:tester", secretAccessKey: "wrong" },
    });
    try {
      const error = await uploadToS3(
        randomStream(2 * PART).stream,
        options(wrong, bucket),
      ).catch((e) => e);
      assert.ok(error instanceof S3UploadError);
      assert.match(
        error.message,
        /^Cannot upload to s3:\/\/zipstream-test-[^/]+\/archive\.zip: the multipart upload could not be started: CreateMultipartUpload failed after 1 attempt: SignatureDoesNotMatch: /,
      );
      await assertNothingLeft(client, bucket, "archive.zip");
    } finally {
      wrong.destroy();
    }
  });
});

Deno.test("zip(entries).pipeTo(new S3UploadStream(...)) uploads an archive the readers open", async () => {
  await withBucket(async (client, bucket) => {
    const entries: ZipEntry[] = [
      { name: "a.txt", data: "piped straight into S3\n".repeat(1000) },
      {
        name: "b/c.bin",
        data: await new Response(randomStream(6 * MIB, 11).stream).bytes(),
      },
    ];
    const upload = new S3UploadStream(
      options(client, bucket, { key: "piped.zip" }),
    );
    await zip(entries).pipeTo(upload);
    const result = await upload.result;
    assert.equal(result.key, "piped.zip");
    assert.equal(await headSize(client, bucket, "piped.zip"), result.size);
    await assertOpensEverywhere(
      await getObjectStream(client, bucket, "piped.zip"),
      expectedOf(entries),
    );
  });
});
