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
import {
  deleteObjects,
  type ListedObject,
  listObjects,
} from "./_s3_objects.ts";

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
  for (const object of await listSeams(client, bucket, prefix, signal)) {
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
  for (const [folder, { keys, newest, kind }] of folders) {
    if (newest >= cutoff) continue;
    const what = `${
      describeKind(kind, keys.length)
    } under s3://${bucket}/${folder} (last modified ${formatTime(newest)})`;
    if (plan.dryRun) {
      if (!plan.quiet) writeLine(`zipstream: would remove ${what}`);
      continue;
    }
    const reason = await deleteObjects(client, bucket, keys, signal);
    // A folder is removed when its listing is empty, whatever the deletes answered.
    const left = await listSeams(client, bucket, folder, signal);
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
 * Every object under `prefix`.
 *
 * @throws {CliError} naming the prefix when a listing fails
 */
function listSeams(
  client: S3Client,
  bucket: string,
  prefix: string,
  signal: AbortSignal,
): Promise<ListedObject[]> {
  return listObjects(client, bucket, prefix, signal).catch(
    (error: unknown) => {
      throw new CliError(
        `Cannot list the seam objects under s3://${bucket}/${prefix}: ${
          describeError(error)
        }`,
        { cause: error },
      );
    },
  );
}

/** `2 seam objects of a server-side build`, `1 segment of a build on a queue`. */
function describeKind(kind: string, count: number): string {
  return kind === "seam"
    ? `${count} seam ${
      count === 1 ? "object" : "objects"
    } of a server-side build`
    : `${count} ${count === 1 ? "segment" : "segments"} of a build on a queue`;
}
