/**
 * fflate's streaming `Zip` with `ZipPassThrough` / `ZipDeflate` members.
 *
 * @module
 */

// Peers stay out of the package import map: only the benchmarks use them.
// deno-lint-ignore no-import-prefix
import { Zip, ZipDeflate, ZipPassThrough } from "npm:fflate@0.8.3";
import {
  entryBuffer,
  entryChunks,
  type Job,
  jobEntries,
  MTIME,
  type Sink,
} from "./_job.ts";

/** Writes `job` with fflate, pushing each member's chunks synchronously. */
export function run(job: Job, sink: Sink): Promise<void> {
  return new Promise((resolve, reject) => {
    const archive = new Zip((error, data, final) => {
      if (error) return reject(error);
      sink(data);
      if (final) resolve();
    });
    for (const entry of jobEntries(job)) {
      const file = job.method === "store"
        ? new ZipPassThrough(entry.name)
        : new ZipDeflate(entry.name, {
          level: job.level as 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9,
        });
      file.mtime = MTIME;
      archive.add(file);
      if (job.shape === "buffer") {
        file.push(entryBuffer(job, entry), true);
      } else {
        for (const chunk of entryChunks(job, entry)) file.push(chunk);
        file.push(new Uint8Array(0), true);
      }
    }
    archive.end();
  });
}
