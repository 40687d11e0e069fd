/**
 * No archive at all: reads every member's input once. Its time is the
 * ceiling any library can reach and its peak RSS the floor it starts from.
 *
 * @module
 */

import {
  drainWeb,
  entryBuffer,
  entryStream,
  type Job,
  jobEntries,
  type Sink,
} from "./_job.ts";

/** Reads `job`'s input and passes it to `sink` unchanged. */
export async function run(job: Job, sink: Sink): Promise<void> {
  for (const entry of jobEntries(job)) {
    if (job.shape === "buffer") sink(entryBuffer(job, entry));
    else await drainWeb(entryStream(job, entry), sink);
  }
}
