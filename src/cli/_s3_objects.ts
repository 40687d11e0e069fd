/**
 * Listing and deleting the small objects the command keeps next to an
 * archive: `--resume s3://…` checkpoints and their records, and the seams
 * and segments of builds that `zipstream cleanup` sweeps.
 *
 * @module
 */

import type { S3Client } from "@aws-sdk/client-s3";
import { describeError } from "../_errors.ts";

/** An object found under a prefix. */
export interface ListedObject {
  key: string;
  /** When the server last wrote it; the epoch if the listing said nothing. */
  lastModified: Date;
}

/**
 * Deletes run this many at a time: one DeleteObject each, since
 * DeleteObjects needs a Content-MD5 that recent SDKs no longer send and
 * some S3 servers still require.
 */
const DELETE_CONCURRENCY = 8;

/**
 * Every object under `prefix`, page after page.
 *
 * @throws the SDK's error when a listing fails
 */
export async function listObjects(
  client: S3Client,
  bucket: string,
  prefix: string,
  signal?: AbortSignal,
): Promise<ListedObject[]> {
  const { ListObjectsV2Command } = await import("@aws-sdk/client-s3");
  const objects: ListedObject[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token === undefined ? {} : { ContinuationToken: token }),
      }),
      signal === undefined ? {} : { abortSignal: signal },
    );
    for (const object of page.Contents ?? []) {
      if (object.Key === undefined) continue;
      objects.push({
        key: object.Key,
        lastModified: object.LastModified ?? new Date(0),
      });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return objects;
}

/**
 * Deletes `keys`, {@linkcode DELETE_CONCURRENCY} at a time, going on past
 * failures. Resolves to the first failure's description, or `undefined`
 * when every delete was answered with success; whether the objects are
 * gone is for a listing to show.
 */
export async function deleteObjects(
  client: S3Client,
  bucket: string,
  keys: readonly string[],
  signal?: AbortSignal,
): Promise<string | undefined> {
  const { DeleteObjectCommand } = await import("@aws-sdk/client-s3");
  let failure: string | undefined;
  let next = 0;
  const deleter = async () => {
    while (next < keys.length) {
      const key = keys[next++]!;
      await client.send(
        new DeleteObjectCommand({ Bucket: bucket, Key: key }),
        signal === undefined ? {} : { abortSignal: signal },
      ).catch((error: unknown) => failure ??= describeError(error));
    }
  };
  await Promise.all(
    Array.from(
      { length: Math.min(DELETE_CONCURRENCY, keys.length) },
      () => deleter(),
    ),
  );
  return failure;
}
