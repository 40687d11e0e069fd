/**
 * zipstream itself, through the public `zip()` of the package root.
 *
 * @module
 */

import { zip } from "../mod.ts";
import type { ZipEntry, ZipOptions } from "../mod.ts";
import {
  drainWeb,
  entryBuffer,
  entryStream,
  type Job,
  jobEntries,
  MTIME,
  type Sink,
} from "./_job.ts";

/** `job` as zipstream's `zip()` archive stream. */
export function archive(
  job: Job,
  options: ZipOptions = {},
): ReadableStream<Uint8Array> {
  function* entries(): Generator<ZipEntry> {
    for (const entry of jobEntries(job)) {
      yield {
        name: entry.name,
        data: job.shape === "buffer"
          ? entryBuffer(job, entry)
          : entryStream(job, entry),
        size: job.shape === "stream" && job.declareSize
          ? job.entrySize
          : undefined,
        compression: job.method,
        level: job.level,
        lastModified: MTIME,
      };
    }
  }
  return zip(entries(), options);
}

/** Writes `job` with zipstream's `zip()`. */
export function run(job: Job, sink: Sink): Promise<void> {
  return drainWeb(archive(job), sink);
}
