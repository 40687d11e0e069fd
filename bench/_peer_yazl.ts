/**
 * yazl's `ZipFile`, through Deno's Node.js compatibility.
 *
 * @module
 */

// Peers stay out of the package import map: only the benchmarks use them.
// deno-lint-ignore no-import-prefix
import yazl from "npm:yazl@3.3.1";
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

/** Writes `job` with yazl. */
export async function run(job: Job, sink: Sink): Promise<void> {
  const archive = new yazl.ZipFile();
  const done = drainIterable(archive.outputStream, sink);
  const options = {
    mtime: MTIME,
    compress: job.method === "deflate",
    compressionLevel: job.method === "deflate" ? job.level : 0,
  };
  for (const entry of jobEntries(job)) {
    if (job.shape === "buffer") {
      archive.addBuffer(asBuffer(entryBuffer(job, entry)), entry.name, options);
    } else {
      archive.addReadStream(nodeStream(entryChunks(job, entry)), entry.name, {
        ...options,
        size: job.declareSize ? job.entrySize : undefined,
      });
    }
  }
  archive.end();
  await done;
}
