/**
 * What one benchmark run archives, described once so that zipstream and every
 * peer receive exactly the same entries, and the adapters that feed a job to
 * each library.
 *
 * @module
 */

import { poolChunks, poolStream } from "./_inputs.ts";

/** One archive to write: `entries` members of `entrySize` bytes each. */
export interface Job {
  /** How many members the archive has. */
  entries: number;
  /** Uncompressed bytes per member. */
  entrySize: number;
  /** The bytes members are cut from (incompressible or log text). */
  pool: Uint8Array;
  /**
   * `"stream"`: each member's data arrives as a stream of `chunkSize` chunks
   * (a file, a network body); `"buffer"`: each member is one `Uint8Array`
   * known up front.
   */
  shape: "stream" | "buffer";
  /** Stored or deflated members. */
  method: "store" | "deflate";
  /** Deflate level (ignored when stored). */
  level: number;
  /** Whether the library is told each streamed member's size up front. */
  declareSize: boolean;
  /** Bytes per chunk of streamed members. */
  chunkSize: number;
}

/** Receives every byte of the archive, in order. */
export type Sink = (chunk: Uint8Array) => void;

/** Writes `job` as a ZIP archive into `sink` and resolves when it is complete. */
export type Peer = (job: Job, sink: Sink) => Promise<void>;

/** The modification time every member gets, so all archives are comparable. */
export const MTIME: Date = new Date(Date.UTC(2026, 0, 1));

/** One member of a job, with its data in the shape the job asks for. */
export interface JobEntry {
  name: string;
  /** Where the member starts in the pool. */
  start: number;
}

/** The members of `job`, lazily, so a million members cost no memory. */
export function* jobEntries(job: Job): Generator<JobEntry> {
  const extension = job.method === "deflate" ? "log" : "bin";
  // A prime stride gives every member different bytes without a copy.
  const span = Math.max(1, job.pool.length - job.entrySize);
  for (let i = 0; i < job.entries; i++) {
    yield { name: `data/${i}.${extension}`, start: (i * 1_048_583) % span };
  }
}

/** A member's bytes as one view (for `shape: "buffer"`). */
export function entryBuffer(job: Job, entry: JobEntry): Uint8Array {
  return job.pool.subarray(entry.start, entry.start + job.entrySize);
}

/** A member's bytes as a web stream (for `shape: "stream"`). */
export function entryStream(
  job: Job,
  entry: JobEntry,
): ReadableStream<Uint8Array> {
  return poolStream(job.pool, job.entrySize, job.chunkSize, entry.start);
}

/** A member's bytes as chunks, pushed synchronously by callback APIs. */
export function entryChunks(job: Job, entry: JobEntry): Generator<Uint8Array> {
  return poolChunks(job.pool, job.entrySize, job.chunkSize, entry.start);
}

/** Reads a web stream to its end, handing every chunk to `sink`. */
export async function drainWeb(
  stream: ReadableStream<Uint8Array>,
  sink: Sink,
): Promise<void> {
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    sink(value);
  }
}

/** Reads a Node.js readable (or any async iterable of bytes) to its end. */
export async function drainIterable(
  source: AsyncIterable<Uint8Array>,
  sink: Sink,
): Promise<void> {
  for await (const chunk of source) sink(chunk);
}
