/**
 * The local S3 server for integration tests: its endpoint (from
 * `scripts/with_s3_server.sh`), clients for it, and a fresh bucket per test
 * that is emptied and deleted afterwards.
 *
 * @module
 */

import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";

/** The endpoint of the local S3 server; fails, never skips, when there is none. */
export function s3Endpoint(): string {
  return localEndpoint(
    "ZIPSTREAM_S3_ENDPOINT",
    "run the S3 tests under the local server, e.g. `deno task test` or `bash scripts/with_s3_server.sh deno test -A tests/s3/`",
  );
}

/**
 * A local server's endpoint from the environment variable `name`, which
 * must point at 127.0.0.1: tests talk to no other address. Fails, saying
 * `hint`, when the variable is not set.
 */
export function localEndpoint(name: string, hint: string): string {
  const endpoint = Deno.env.get(name);
  if (endpoint === undefined || endpoint === "") {
    throw new Error(`${name} is not set: ${hint}`);
  }
  const url = new URL(endpoint);
  if (url.hostname !== "127.0.0.1") {
    throw new Error(`${name} must point at 127.0.0.1, but it is ${endpoint}`);
  }
  return endpoint;
}

/** The local server's tempauth user, as `scripts/s3_server_start.sh` sets it up. */
const ACCESS_KEY_ID = "test:tester";
const SECRET_ACCESS_KEY = "testing";
const REGION = "us-east-1";

/** The local server's credentials as the environment of a CLI run. */
export const LOCAL_S3_ENV = {
  AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
  AWS_REGION: REGION,
};

/**
 * A client for the local server (or a proxy in front of it). The SDK's own
 * retries are off by default so that the upload's retries are what a test
 * exercises.
 */
export function localClient(config: S3ClientConfig = {}): S3Client {
  return new S3Client({
    endpoint: s3Endpoint(),
    region: REGION,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: {
      accessKeyId: ACCESS_KEY_ID,
      secretAccessKey: SECRET_ACCESS_KEY,
    },
    ...config,
  });
}

let bucketCounter = 0;

/** A bucket name no other test (or concurrent test run) uses. */
export function uniqueBucketName(): string {
  const random = crypto.randomUUID().slice(0, 8);
  return `zipstream-test-${
    Date.now().toString(36)
  }-${random}-${++bucketCounter}`;
}

/**
 * Runs `fn` with a new bucket and a client, then aborts any upload left,
 * deletes every object and the bucket, and closes the client.
 */
export async function withBucket(
  fn: (client: S3Client, bucket: string) => Promise<void>,
): Promise<void> {
  const client = localClient();
  const bucket = uniqueBucketName();
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  try {
    await fn(client, bucket);
  } finally {
    await emptyAndDelete(client, bucket);
    client.destroy();
  }
}

/** Aborts the bucket's pending uploads, deletes its objects, then the bucket. */
export async function emptyAndDelete(
  client: S3Client,
  bucket: string,
): Promise<void> {
  const uploads = await client.send(
    new ListMultipartUploadsCommand({ Bucket: bucket }),
  );
  for (const upload of uploads.Uploads ?? []) {
    await client.send(
      new AbortMultipartUploadCommand({
        Bucket: bucket,
        Key: upload.Key,
        UploadId: upload.UploadId,
      }),
    );
  }
  for (let page = 0; page < 100; page++) {
    const listing = await client.send(
      new ListObjectsV2Command({ Bucket: bucket }),
    );
    const objects = listing.Contents ?? [];
    if (objects.length === 0) break;
    for (const object of objects) {
      await client.send(
        new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }),
      );
    }
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/** The keys of the multipart uploads pending in `bucket` for `key`. */
export async function pendingUploads(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<string[]> {
  const listing = await client.send(
    new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }),
  );
  return (listing.Uploads ?? [])
    .filter((upload) => upload.Key === key)
    .map((upload) => upload.UploadId ?? "");
}

/** The object's bytes as a stream. */
export async function getObjectStream(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<ReadableStream<Uint8Array>> {
  const object = await client.send(
    new GetObjectCommand({ Bucket: bucket, Key: key }),
  );
  if (object.Body === undefined) {
    throw new Error(`GetObject s3://${bucket}/${key} answered without a body`);
  }
  return object.Body.transformToWebStream() as ReadableStream<Uint8Array>;
}

/** Downloads s3://`bucket`/`key` to a new file at `path`, for the readers to open. */
export async function downloadObject(
  client: S3Client,
  bucket: string,
  key: string,
  path: string,
): Promise<void> {
  const file = await Deno.open(path, { write: true, createNew: true });
  await (await getObjectStream(client, bucket, key)).pipeTo(file.writable);
}

/** SHA-256 (hex) of the object's bytes, hashed as they stream. */
export async function objectSha256(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<string> {
  return await sha256Of(await getObjectStream(client, bucket, key));
}

/** SHA-256 (hex) of a stream. */
export async function sha256Of(
  stream: ReadableStream<Uint8Array>,
): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of stream) hash.update(chunk);
  return hash.digest("hex");
}

/**
 * A stream of `total` pseudo-random bytes (deterministic for a seed) in
 * chunks of `chunkSize`, hashing what it gives so the test can compare.
 */
export function randomStream(
  total: number,
  seed = 1,
  chunkSize = 256 * 1024,
): { stream: ReadableStream<Uint8Array>; sha256: () => string } {
  const hash = createHash("sha256");
  let state = seed >>> 0 || 1;
  let given = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (given >= total) {
        controller.close();
        return;
      }
      const length = Math.min(chunkSize, total - given);
      const chunk = new Uint8Array(length);
      const words = new Uint32Array(chunk.buffer, 0, length >>> 2);
      for (let i = 0; i < words.length; i++) {
        // xorshift32: fast, and incompressible enough for a test body.
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        words[i] = state;
      }
      for (let i = words.length * 4; i < length; i++) chunk[i] = i & 0xff;
      hash.update(chunk);
      controller.enqueue(chunk);
      given += length;
    },
  }, { highWaterMark: 0 });
  return { stream, sha256: () => hash.digest("hex") };
}
