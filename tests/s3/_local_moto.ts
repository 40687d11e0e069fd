/**
 * The local moto server for integration tests (from
 * `scripts/with_s3_server.sh`): the S3 double that keeps S3's additional
 * checksums (CRC32, CRC32C, COMPOSITE and FULL_OBJECT), which the Swift
 * server does not. A client for it, and a fresh bucket per test that is
 * emptied and deleted afterwards.
 *
 * @module
 */

import {
  CreateBucketCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { emptyAndDelete, localEndpoint } from "./_local_s3.ts";

/** The endpoint of the local moto server; fails, never skips, when there is none. */
export function motoEndpoint(): string {
  return localEndpoint(
    "ZIPSTREAM_MOTO_ENDPOINT",
    "run the S3 tests under the local servers, e.g. `deno task test` or `bash scripts/with_s3_server.sh deno test -A tests/s3/` (which starts moto with scripts/moto_server_start.sh; it needs Python's moto package)",
  );
}

/**
 * moto 5 answers GetObjectAttributes with `Last-Modified` in ISO 8601
 * (`2026-12-06T02:00:48.000Z`) where S3 sends an HTTP date, and the SDK
 * refuses the whole answer for it. Rewriting that one header before the SDK
 * parses the answer is the smallest change that lets the tests reach what
 * they check (the parts and their checksums); a real S3 answer is left as it
 * is, since an HTTP date does not parse as ISO 8601 here.
 */
function fixIsoLastModified(client: S3Client): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const response = result.response as {
        headers?: Record<string, string>;
      };
      const value = response.headers?.["last-modified"];
      if (value !== undefined && /^\d{4}-\d\d-\d\dT/.test(value)) {
        response.headers!["last-modified"] = new Date(value).toUTCString();
      }
      return result;
    },
    // Inside the deserializer (which runs at "normal"), so it sees the raw answer first.
    { step: "deserialize", priority: "low", name: "fixMotoLastModified" },
  );
}

/**
 * A client for the local moto server. moto takes any credentials; the SDK's
 * own retries are off so that a test sees every request it makes.
 */
export function motoClient(config: S3ClientConfig = {}): S3Client {
  const client = new S3Client({
    endpoint: motoEndpoint(),
    region: "us-east-1",
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    ...config,
  });
  fixIsoLastModified(client);
  return client;
}

let bucketCounter = 0;

/**
 * Runs `fn` with a new bucket on moto and a client, then deletes every
 * object and the bucket, and closes the client.
 */
export async function withMotoBucket(
  fn: (client: S3Client, bucket: string) => Promise<void>,
): Promise<void> {
  const client = motoClient();
  const bucket = `zipstream-moto-${Date.now().toString(36)}-${
    crypto.randomUUID().slice(0, 8)
  }-${++bucketCounter}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  try {
    await fn(client, bucket);
  } finally {
    await emptyAndDelete(client, bucket);
    client.destroy();
  }
}
