/**
 * One measured run: one library writes one job, in a process of its own so
 * that its peak RSS is its own. Prints one JSON line (`WorkerResult`).
 *
 *     deno run -A bench/_compare_worker.ts --peer zipstream --pool random \
 *       --shape stream --entries 1 --entry-size 1073741824 --method store
 *
 * With `--out FILE` the archive goes to FILE (to be tested by `unzip -t`)
 * instead of being counted and discarded.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { Job, Peer } from "./_job.ts";
import {
  logText,
  RANDOM_POOL_LENGTH,
  randomBytes,
  TEXT_POOL_LENGTH,
} from "./_inputs.ts";

/** What a worker prints. */
export interface WorkerResult {
  /** Seconds from the first call into the library to the last output byte. */
  seconds: number;
  /** Uncompressed bytes archived. */
  bytesIn: number;
  /** Archive bytes produced. */
  bytesOut: number;
  /** Peak resident set size of the whole process (VmHWM), in bytes. */
  peakRss: number;
}

/** The libraries a worker can run, loaded only when asked for. */
export const PEERS: Record<string, () => Promise<{ run: Peer }>> = {
  input: () => import("./_peer_input.ts"),
  zipstream: () => import("./_peer_zipstream.ts"),
  "zipstream-1-thread": () => import("./_peer_zipstream_one_thread.ts"),
  "zipstream-no-copy": () => import("./_peer_zipstream_no_copy.ts"),
  "zipstream-portable": () => import("./_peer_zipstream_portable.ts"),
  "client-zip": () => import("./_peer_client_zip.ts"),
  fflate: () => import("./_peer_fflate.ts"),
  "zip.js": () => import("./_peer_zipjs.ts"),
  archiver: () => import("./_peer_archiver.ts"),
  yazl: () => import("./_peer_yazl.ts"),
  "s3:zipstream": () => import("./_peer_s3_zipstream.ts"),
  "s3:lib-storage": () => import("./_peer_s3_lib_storage.ts"),
};

/** The process's peak RSS so far, from the kernel's high-water mark. */
export function peakRss(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error("Cannot read VmHWM from /proc/self/status");
  return Number(match[1]) * 1024;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      peer: { type: "string" },
      pool: { type: "string", default: "random" },
      "pools-dir": { type: "string" },
      shape: { type: "string", default: "stream" },
      entries: { type: "string", default: "1" },
      "entry-size": { type: "string", default: "1048576" },
      method: { type: "string", default: "store" },
      level: { type: "string", default: "6" },
      "declare-size": { type: "boolean", default: false },
      chunk: { type: "string", default: "65536" },
      out: { type: "string" },
    },
  });
  const load = PEERS[values.peer ?? ""];
  if (!load) {
    throw new TypeError(
      `Cannot run peer "${values.peer}": expected one of ${
        Object.keys(PEERS).join(", ")
      }`,
    );
  }
  const poolsDir = values["pools-dir"];
  const pool = values.pool === "text"
    ? (poolsDir
      ? Deno.readFileSync(`${poolsDir}/text.bin`)
      : logText(TEXT_POOL_LENGTH))
    : (poolsDir
      ? Deno.readFileSync(`${poolsDir}/random.bin`)
      : randomBytes(RANDOM_POOL_LENGTH));
  const job: Job = {
    entries: Number(values.entries),
    entrySize: Number(values["entry-size"]),
    pool,
    shape: values.shape === "buffer" ? "buffer" : "stream",
    method: values.method === "deflate" ? "deflate" : "store",
    level: Number(values.level),
    declareSize: values["declare-size"],
    chunkSize: Number(values.chunk),
  };
  const { run } = await load();
  const file = values.out
    ? Deno.openSync(values.out, { write: true, create: true, truncate: true })
    : undefined;
  let bytesOut = 0;
  const sink = file
    ? (chunk: Uint8Array) => {
      bytesOut += chunk.byteLength;
      for (let at = 0; at < chunk.byteLength;) {
        at += file.writeSync(chunk.subarray(at));
      }
    }
    : (chunk: Uint8Array) => {
      bytesOut += chunk.byteLength;
    };
  const start = performance.now();
  await run(job, sink);
  const seconds = (performance.now() - start) / 1000;
  file?.close();
  if (pool.byteLength === 0) {
    throw new Error(`Peer "${values.peer}" detached the shared input pool`);
  }
  const result: WorkerResult = {
    seconds,
    bytesIn: job.entries * job.entrySize,
    bytesOut,
    peakRss: peakRss(),
  };
  console.log(JSON.stringify(result));
}

if (import.meta.main) await main();
