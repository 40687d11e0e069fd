/**
 * zipstream with `copyChunks: false`: stored chunks handed on as the source
 * gave them, for what the copy that protects buffer-reusing sources costs in
 * W1.
 *
 * @module
 */

import type { Job, Sink } from "./_job.ts";
import { archive } from "./_peer_zipstream.ts";
import { drainWeb } from "./_job.ts";

/** Writes `job` with zipstream's `zip()`, its stored chunks not copied. */
export function run(job: Job, sink: Sink): Promise<void> {
  return drainWeb(archive(job, { copyChunks: false }), sink);
}
