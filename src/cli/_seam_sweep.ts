/**
 * `zipstream cleanup s3://bucket/prefix --older-than AGE` also removes the
 * temporary seam objects a server-side build left behind. `copyPlanToS3`
 * keeps them under `<key>.zipstream-seams/<random>/` and removes them
 * before it returns or throws; a process killed in between (SIGKILL, a
 * second Ctrl-C, a reboot) leaves them, billed like any object. Their
 * uploads, if pending, are incomplete uploads under the prefix, which the
 * cleanup aborts already.
 *
 * @module
 */

import type { S3Client } from "@aws-sdk/client-s3";
import { describeError } from "../_errors.ts";
import { formatTime } from "./_abandoned_uploads.ts";
import type { CleanupPlan } from "./_cleanup_command.ts";
import { CliError } from "./_cli_error.ts";
import { writeLine } from "./_progress.ts";

/**
 * A seam's key, as `copyPlanToS3` names it, or a segment's, as
 * `planSegments` does: its build's folder, then a number.
 */
const SEAM_KEY =
  /^(.*\.zipstream-(seams\/[0-9a-f]{8}|segments\/[0-9A-Za-z_-]{1,64})\/)\d+$/;

/**
 * Removes every seam folder under the prefix whose newest object was last
 * modified more than `--older-than` ago (a build still running keeps
 * writing its folder), one line per folder saying what a listing then
 * confirmed; nothing is said when there is none. Resolves to the number of
 * folders not shown removed.
 */
export async function sweepSeams(
  client: S3Client,
  plan: CleanupPlan,
  where: { bucket: string; prefix: string },
  signal: AbortSignal,
): Promise<number> {
  const { bucket, prefix } = where;
  const cutoff = new Date(Date.now() - (plan.olderThan ?? 0));
  let failures = 0;
  const folders = new Map<
    string,
    { keys: string[]; newest: Date; kind: string }
  >();
  for (const object of await listObjects(client, bucket, prefix, signal)) {
    const match = SEAM_KEY.exec(object.key);
    if (match === null) continue;
    const folder = match[1]!;
    const kind = match[2]!.startsWith("seams/") ? "seam" : "segment";
    const seen = folders.get(folder) ??
      { keys: [], newest: new Date(0), kind };
    seen.keys.push(object.key);
    if (object.lastModified > seen.newest) seen.newest = object.lastModified;
    folders.set(folder, seen);
  }
  const { DeleteObjectCommand } = await import("@aws-sdk/client-s3");
  for (const [folder, { keys, newest, kind }] of folders) {
    if (newest >= cutoff) continue;
    const what = `${
      describeKind(kind, keys.length)
    } under s3://${bucket}/${folder} (last modified ${formatTime(newest)})`;
    if (plan.dryRun) {
      if (!plan.quiet) writeLine(`zipstream: would remove ${what}`);
      continue;
    }
    let reason: string | undefined;
    for (const key of keys) {
      await client.send(
        new DeleteObjectCommand({ Bucket: bucket, Key: key }),
        { abortSignal: signal },
      ).catch((error: unknown) => reason ??= describeError(error));
    }
    // A folder is removed when its listing is empty, whatever the deletes answered.
    const left = await listObjects(client, bucket, folder, signal);
    if (left.length === 0) {
      if (!plan.quiet) writeLine(`zipstream: removed ${what}`);
      continue;
    }
    failures++;
    writeLine(
      `zipstream: Cannot remove the ${kind}s under s3://${bucket}/${folder}: expected none listed after deleting them but ${left.length} still are${
        reason === undefined ? "" : ` (${reason})`
      }`,
    );
  }
  return failures;
}

/**
 * Every object under `prefix`, page after page.
 *
 * @throws {CliError} naming the prefix when a listing fails
 */
async function listObjects(
  client: S3Client,
  bucket: string,
  prefix: string,
  signal: AbortSignal,
): Promise<{ key: string; lastModified: Date }[]> {
  const { ListObjectsV2Command } = await import("@aws-sdk/client-s3");
  const objects: { key: string; lastModified: Date }[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token === undefined ? {} : { ContinuationToken: token }),
      }),
      { abortSignal: signal },
    ).catch((error: unknown) => {
      throw new CliError(
        `Cannot list the seam objects under s3://${bucket}/${prefix}: ${
          describeError(error)
        }`,
        { cause: error },
      );
    });
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

/** `2 seam objects of a server-side build`, `1 segment of a build on a queue`. */
function describeKind(kind: string, count: number): string {
  return kind === "seam"
    ? `${count} seam ${
      count === 1 ? "object" : "objects"
    } of a server-side build`
    : `${count} ${count === 1 ? "segment" : "segments"} of a build on a queue`;
}
