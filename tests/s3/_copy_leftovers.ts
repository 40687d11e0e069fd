/**
 * What a server-side build must not leave on the server: seam objects,
 * seam uploads, or a pending upload of the archive.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { pendingUploads } from "./_local_s3.ts";

/** Fails unless no seam object, seam upload or upload of `key` is left. */
export async function assertNothingTemporaryLeft(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<void> {
  const seams = await client.send(
    new ListObjectsV2Command({
      Bucket: bucket,
      Prefix: `${key}.zipstream-seams/`,
    }),
  );
  assert.deepEqual(seams.Contents ?? [], [], "no seam object is left");
  assert.deepEqual(
    await pendingUploads(client, bucket, `${key}.zipstream-seams/`),
    [],
    "no seam upload is pending",
  );
  assert.deepEqual(
    await pendingUploads(client, bucket, key),
    [],
    "no upload of the archive is pending",
  );
}
