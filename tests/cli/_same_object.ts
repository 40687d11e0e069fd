/**
 * The check every interrupted or paused upload test ends with: the object
 * the runs stored equals, byte for byte, the one a single uninterrupted run
 * of the same command stores.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { S3Client } from "@aws-sdk/client-s3";
import { objectSha256 } from "../s3/_local_s3.ts";
import { type CliRunOptions, runCli } from "./_cli.ts";

/**
 * Runs `zipstream singleArgs` (which must write `s3://bucket/singleKey`)
 * and fails unless its object has the same SHA-256 as `s3://bucket/key`.
 */
export async function assertSameAsSingleRun(
  client: S3Client,
  bucket: string,
  key: string,
  single: { args: readonly string[]; key: string; run: CliRunOptions },
): Promise<void> {
  const result = await runCli(single.args, single.run);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    await objectSha256(client, bucket, key),
    await objectSha256(client, bucket, single.key),
    `s3://${bucket}/${key} differs from the single run's s3://${bucket}/${single.key}`,
  );
}
