/**
 * The command's items as segment entries (`planSegments`), for a build on a
 * queue: each names its data by a JSON source a worker can open, an S3
 * object as `{ s3 }`, a file as `{ file }` (at the same path on every
 * worker), a link's target inline as `{ text }`.
 *
 * @module
 */

import { resolve } from "node:path";
import type { SegmentEntry } from "../segments/segment_job.ts";
import { UsageError } from "./_cli_error.ts";
import type { ArchiveItem } from "./_entries.ts";
import { parseS3Uri } from "./_s3_uri.ts";
import { hasStoredSuffix } from "./_store_suffixes.ts";

const SYMLINK_TYPE = 0o120000;

/**
 * One segment entry per item, named, dated and compressed as the streamed
 * archive's entry of the same item.
 *
 * @throws {UsageError} for standard input, which no worker can read.
 */
export function segmentEntries(
  items: readonly ArchiveItem[],
  storeSuffixes: readonly string[],
): SegmentEntry[] {
  return items.map((item): SegmentEntry => {
    const method: Pick<SegmentEntry, "compression"> =
      hasStoredSuffix(item.name, storeSuffixes) ? { compression: "store" } : {};
    const time = (mtime: number | undefined) =>
      mtime === undefined ? {} : { lastModified: mtime };
    switch (item.kind) {
      case "file":
        return {
          name: item.name,
          source: { file: resolve(item.path) },
          size: item.size,
          ...method,
          ...time(item.mtime),
          mode: item.mode,
        };
      case "directory":
        return { name: item.name, ...time(item.mtime), mode: item.mode };
      case "symlink":
        return {
          name: item.name,
          source: { text: item.target },
          ...time(item.mtime),
          mode: SYMLINK_TYPE | item.mode,
        };
      case "stdin":
        throw new UsageError(
          "--queue cannot archive standard input (-): the workers read each entry's data themselves",
        );
      case "object": {
        const { entry } = item;
        const lastModified = entry.lastModified instanceof Date
          ? entry.lastModified.getTime()
          : entry.lastModified;
        return {
          name: item.name,
          ...(lastModified === undefined ? {} : { lastModified }),
          ...(entry.mode === undefined ? {} : { mode: entry.mode }),
          ...(entry.data === undefined ? {} : {
            source: { s3: objectOf(item.uri) },
            size: item.size,
            ...method,
          }),
        };
      }
    }
  });
}

function objectOf(uri: string): { bucket: string; key: string } {
  const { bucket, key } = parseS3Uri(uri);
  return { bucket, key };
}
