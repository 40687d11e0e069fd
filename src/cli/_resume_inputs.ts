/**
 * What `--resume` checks of the inputs: their identity (a hash of what the
 * walk and listings found), and that the checkpoint FILE is not among them.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { resolve, sep as SEP } from "node:path";
import { UsageError } from "./_cli_error.ts";
import type { ArchiveItem } from "./_entries.ts";
import { isS3Uri, parseS3Uri, type S3Uri } from "./_s3_uri.ts";

/** The identity of the inputs: what the walk and listings found, in archive order. */
export function fingerprintInputs(items: readonly ArchiveItem[]): string {
  const hash = createHash("sha256");
  for (const item of items) {
    const fields: unknown[] = [item.kind, item.name];
    switch (item.kind) {
      case "file":
        fields.push(item.size, item.mtime ?? null, item.mode);
        break;
      case "directory":
        fields.push(item.mtime ?? null, item.mode);
        break;
      case "symlink":
        fields.push(item.target, item.mtime ?? null, item.mode);
        break;
      case "object":
        fields.push(item.uri, item.size, timeOf(item.entry.lastModified));
        break;
      case "stdin":
        break;
    }
    hash.update(`${JSON.stringify(fields)}\n`);
  }
  return hash.digest("hex");
}

function timeOf(time: Date | number | undefined): number | null {
  return time instanceof Date ? time.getTime() : time ?? null;
}

/**
 * Refuses a checkpoint inside the paths being archived: the archive would
 * take in the checkpoint itself, and every save would change the inputs.
 * A FILE is checked against local paths, an `s3://` checkpoint (and its
 * records beside it) against `s3://` ones.
 *
 * @throws {UsageError} The checkpoint lies in or is one of `inputs`.
 */
export function checkOutsideInputs(
  path: string,
  inputs: readonly string[],
): void {
  const inS3 = isS3Uri(path);
  const file = inS3 ? path : resolve(path);
  for (const input of inputs) {
    if (input === "-" || isS3Uri(input) !== inS3) continue;
    const inside = inS3
      ? isUnder(parseS3Uri(path), parseS3Uri(input))
      : file === resolve(input) || file.startsWith(`${resolve(input)}${SEP}`);
    if (inside) {
      throw new UsageError(
        `Cannot keep the checkpoint ${path} inside ${input}, which is being archived: give a --resume ${
          inS3 ? "s3://bucket/key" : "FILE"
        } outside the paths`,
      );
    }
  }
}

/** Whether the checkpoint's objects (KEY, KEY.entries/…) fall in an archived S3 path. */
function isUnder(checkpoint: S3Uri, input: S3Uri): boolean {
  if (checkpoint.bucket !== input.bucket) return false;
  // s3://b/logs is the object logs or else the folder logs/; s3://b/logs/ the folder.
  const folder = input.key === "" || input.key.endsWith("/")
    ? input.key
    : `${input.key}/`;
  return checkpoint.key === input.key || checkpoint.key.startsWith(folder);
}
