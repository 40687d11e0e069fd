/**
 * Per-call cost of small archives (ten 1 KiB members), the shape of an API
 * handler zipping a few generated files: zipstream against every JS peer,
 * each writing the same members and counting the bytes.
 *
 *     deno bench -A bench/zip_bench.ts
 *
 * @module
 */

import { logText, randomBytes } from "./_inputs.ts";
import type { Job, Peer } from "./_job.ts";
import { run as zipstream } from "./_peer_zipstream.ts";
import { run as clientZip } from "./_peer_client_zip.ts";
import { run as fflate } from "./_peer_fflate.ts";
import { run as zipjs } from "./_peer_zipjs.ts";
import { run as archiver } from "./_peer_archiver.ts";
import { run as yazl } from "./_peer_yazl.ts";

const POOL_SIZE = 1024 * 1024;
const ITERATIONS = 2000;
const WARMUP = 200;
const JOBS: [string, Job][] = [
  ["10 × 1 KiB random, store", {
    entries: 10,
    entrySize: 1024,
    pool: randomBytes(POOL_SIZE),
    shape: "buffer",
    method: "store",
    level: 0,
    declareSize: true,
    chunkSize: 1024,
  }],
  ["10 × 1 KiB log text, deflate L6", {
    entries: 10,
    entrySize: 1024,
    pool: logText(POOL_SIZE),
    shape: "buffer",
    method: "deflate",
    level: 6,
    declareSize: true,
    chunkSize: 1024,
  }],
];
const PEERS: [string, Peer][] = [
  ["zipstream", zipstream],
  ["client-zip", clientZip],
  ["fflate", fflate],
  ["zip.js", zipjs],
  ["archiver", archiver],
  ["yazl", yazl],
];

let total = 0;
const sink = (chunk: Uint8Array) => {
  total += chunk.byteLength;
};

for (const [label, job] of JOBS) {
  for (const [name, run] of PEERS) {
    if (name === "client-zip" && job.method === "deflate") continue;
    Deno.bench({
      group: `zip ${label}`,
      name,
      baseline: name === "zipstream",
      // A fixed count: zip.js grows its heap with every archive, and an
      // open-ended run slows it down until the bench takes minutes.
      n: ITERATIONS,
      warmup: WARMUP,
      fn: async () => {
        await run(job, sink);
      },
    });
  }
}
