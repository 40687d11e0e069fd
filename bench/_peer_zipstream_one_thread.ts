/**
 * zipstream with its deflate workers turned off (`workers: 0`): what one
 * core does, for the single-core figure of W2.
 *
 * @module
 */

import type { Job, Sink } from "./_job.ts";
import { archive } from "./_peer_zipstream.ts";
import { drainWeb } from "./_job.ts";

/** Writes `job` with zipstream's `zip()` in the calling thread only. */
export function run(job: Job, sink: Sink): Promise<void> {
  return drainWeb(archive(job, { workers: 0 }), sink);
}
