/**
 * Where the W5 upload benchmarks write: the local S3 server that
 * `scripts/with_s3_server.sh` starts, and a bucket `compare.ts` creates for
 * the session.
 *
 * @module
 */

import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { Sink } from "./_job.ts";

/** The environment variable naming the session's bucket. */
export const BUCKET_VARIABLE = "ZIPSTREAM_BENCH_S3_BUCKET";

/** A client for the local server, from the variables the script exports. */
export function localClient(): S3Client {
  const endpoint = Deno.env.get("ZIPSTREAM_S3_ENDPOINT");
  if (!endpoint || new URL(endpoint).hostname !== "127.0.0.1") {
    throw new Error(
      `Cannot benchmark uploads: expected ZIPSTREAM_S3_ENDPOINT to be a 127.0.0.1 URL (run under scripts/with_s3_server.sh), received ${endpoint}`,
    );
  }
  return new S3Client({
    endpoint,
    region: Deno.env.get("AWS_REGION") ?? "us-east-1",
    forcePathStyle: true,
  });
}

/** The session's bucket, and a key no other run uses. */
export function target(): { bucket: string; key: string } {
  const bucket = Deno.env.get(BUCKET_VARIABLE);
  if (!bucket) {
    throw new Error(
      `Cannot benchmark uploads: ${BUCKET_VARIABLE} is not set (compare.ts sets it)`,
    );
  }
  return { bucket, key: `bench/${crypto.randomUUID()}.zip` };
}

/** Passes every chunk through unchanged, showing it to `sink` on the way. */
export function counting(sink: Sink): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    transform(chunk, controller) {
      sink(chunk);
      controller.enqueue(chunk);
    },
  });
}

/** Fails unless the stored object has exactly `size` bytes. */
export async function checkStored(
  client: S3Client,
  bucket: string,
  key: string,
  size: number,
): Promise<void> {
  const head = await client.send(
    new HeadObjectCommand({ Bucket: bucket, Key: key }),
  );
  if (head.ContentLength !== size) {
    throw new Error(
      `Upload of "${key}" stored ${head.ContentLength} bytes, expected the ${size} bytes sent`,
    );
  }
}

/** Creates a bucket for a benchmark session and returns its name. */
export async function createBucket(): Promise<string> {
  const client = localClient();
  const bucket = `zipstream-bench-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
  return bucket;
}

/** Deletes every object in `bucket`, then the bucket. */
export async function deleteBucket(bucket: string): Promise<void> {
  const client = localClient();
  try {
    for (;;) {
      const list = await client.send(
        new ListObjectsV2Command({ Bucket: bucket }),
      );
      for (const object of list.Contents ?? []) {
        await client.send(
          new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }),
        );
      }
      if (!list.IsTruncated) break;
    }
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
}

/**
 * Puts `count` objects, 4 at a time: object `i` at `keyOf(i)` holding
 * `bodyOf(i)`.
 */
export async function putObjects(
  client: S3Client,
  bucket: string,
  count: number,
  keyOf: (index: number) => string,
  bodyOf: (index: number) => Uint8Array,
): Promise<void> {
  let next = 0;
  const putOne = async () => {
    while (next < count) {
      const index = next++;
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: keyOf(index),
          Body: bodyOf(index),
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: 4 }, putOne));
}
