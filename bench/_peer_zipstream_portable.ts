/**
 * zipstream as a browser runs it: with `process` hidden before zipstream
 * loads, it finds no native zlib and falls back to its pure-JS CRC-32
 * (slicing-by-16) and to pako for deflate.
 *
 * @module
 */

import type { Job, Peer, Sink } from "./_job.ts";

/** Writes `job` with zipstream's portable code paths. */
export async function run(job: Job, sink: Sink): Promise<void> {
  delete (globalThis as { process?: unknown }).process;
  const portable: { run: Peer } = await import("./_peer_zipstream.ts");
  await portable.run(job, sink);
}
