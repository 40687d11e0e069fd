/**
 * archiver's `ZipArchive`, through Deno's Node.js compatibility.
 *
 * @module
 */

// Peers stay out of the package import map: only the benchmarks use them.
// deno-lint-ignore no-import-prefix
import { ZipArchive } from "npm:archiver@8.0.0";
import { asBuffer, nodeStream } from "./_node_input.ts";
import {
  drainIterable,
  entryBuffer,
  entryChunks,
  type Job,
  jobEntries,
  MTIME,
  type Sink,
} from "./_job.ts";

/** Writes `job` with archiver. */
export async function run(job: Job, sink: Sink): Promise<void> {
  const archive = new ZipArchive(
    job.method === "store" ? { store: true } : { zlib: { level: job.level } },
  );
  const done = drainIterable(archive, sink);
  for (const entry of jobEntries(job)) {
    const source = job.shape === "buffer"
      ? asBuffer(entryBuffer(job, entry))
      : nodeStream(entryChunks(job, entry));
    archive.append(source, { name: entry.name, date: MTIME });
  }
  await archive.finalize();
  await done;
}
