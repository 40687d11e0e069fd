/**
 * @zip.js/zip.js's `ZipWriter`, compressing with the runtime's native
 * `CompressionStream` (its default where available), without Web Workers.
 *
 * @module
 */

// Peers stay out of the package import map: only the benchmarks use them.
// deno-lint-ignore no-import-prefix
import * as zipjs from "npm:@zip.js/zip.js@2.24.0";
import {
  entryBuffer,
  entryStream,
  type Job,
  jobEntries,
  MTIME,
  type Sink,
} from "./_job.ts";

// Its workers would transfer (detach) the shared input pool; without them it
// still deflates through the runtime's native CompressionStream.
zipjs.configure({ useWebWorkers: false, useCompressionStream: true });

/** Writes `job` with zip.js, one member at a time. */
export async function run(job: Job, sink: Sink): Promise<void> {
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      sink(chunk);
    },
  });
  const writer = new zipjs.ZipWriter(writable, {
    level: job.method === "store" ? 0 : job.level,
    lastModDate: MTIME,
    keepOrder: true,
  });
  for (const entry of jobEntries(job)) {
    if (job.shape === "buffer") {
      await writer.add(
        entry.name,
        new zipjs.Uint8ArrayReader(entryBuffer(job, entry)),
      );
    } else {
      await writer.add(entry.name, entryStream(job, entry), {
        uncompressedSize: job.declareSize ? job.entrySize : undefined,
      });
    }
  }
  await writer.close();
}
