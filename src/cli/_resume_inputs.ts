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
 * Refuses a checkpoint FILE inside the paths being archived: the archive
 * would take in FILE itself, and every checkpoint would change the inputs.
 *
 * @throws {UsageError} FILE lies in or is one of `inputs`.
 */
export function checkOutsideInputs(
  path: string,
  inputs: readonly string[],
): void {
  const file = resolve(path);
  for (const input of inputs) {
    if (input === "-" || /^s3:\/\//i.test(input)) continue;
    const archived = resolve(input);
    if (file === archived || file.startsWith(`${archived}${SEP}`)) {
      throw new UsageError(
        `Cannot keep the checkpoint ${path} inside ${input}, which is being archived: give a --resume FILE outside the paths`,
      );
    }
  }
}
