/**
 * client-zip's `makeZip` (store only: client-zip never compresses).
 *
 * @module
 */

// Peers stay out of the package import map: only the benchmarks use them.
// deno-lint-ignore no-import-prefix
import { makeZip } from "npm:client-zip@2.5.1";
import {
  drainWeb,
  entryBuffer,
  entryStream,
  type Job,
  jobEntries,
  MTIME,
  type Sink,
} from "./_job.ts";

/** Writes `job` with client-zip; rejects for deflate, which it lacks. */
export function run(job: Job, sink: Sink): Promise<void> {
  if (job.method !== "store") {
    return Promise.reject(
      new TypeError("client-zip cannot deflate: it only stores"),
    );
  }
  function* entries() {
    for (const entry of jobEntries(job)) {
      yield job.shape === "buffer"
        ? {
          name: entry.name,
          input: entryBuffer(job, entry),
          lastModified: MTIME,
        }
        : {
          name: entry.name,
          input: entryStream(job, entry),
          lastModified: MTIME,
          size: job.declareSize ? job.entrySize : undefined,
        };
    }
  }
  return drainWeb(makeZip(entries()), sink);
}
