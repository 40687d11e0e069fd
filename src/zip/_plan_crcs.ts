/**
 * The CRC-32s a plan lacks, computed by reading the data: each source split
 * into ranges read in parallel, their CRCs joined with `crc32Combine`.
 *
 * @module
 */

import { crc32 } from "./crc32.ts";
import { crc32Combine } from "./crc32_combine.ts";
import { cannotAdd } from "./_describe.ts";
import type { RangedSource } from "./ranged_source.ts";

/** A source whose CRC-32 must be read, and the entry it belongs to. */
export interface CrcJob {
  readonly name: string;
  readonly source: RangedSource;
}

/** How to read. */
export interface CrcReadOptions {
  readonly concurrency: number;
  readonly rangeSize: number;
  /** The caller's: stops the reads when aborted. */
  readonly signal: AbortSignal | undefined;
}

interface Range {
  readonly job: number;
  readonly start: number;
  readonly end: number;
}

/**
 * The CRC-32 of every job's source, in the jobs' order. At most
 * `concurrency` ranges are read at once, in source order, so memory stays
 * bounded by the chunks in flight whatever the sources' sizes.
 *
 * @throws the first read failure, naming the entry; the reads still running
 * are cancelled.
 */
export async function readCrcs(
  jobs: readonly CrcJob[],
  options: CrcReadOptions,
): Promise<number[]> {
  const ranges: Range[] = [];
  jobs.forEach((job, index) => {
    for (let start = 0; start < job.source.size; start += options.rangeSize) {
      const end = Math.min(start + options.rangeSize, job.source.size);
      ranges.push({ job: index, start, end });
    }
  });
  const rangeCrcs = new Array<number>(ranges.length);
  const failure = new AbortController();
  const { signal } = options;
  signal?.throwIfAborted();
  const stop = () => failure.abort(signal!.reason);
  signal?.addEventListener("abort", stop, { once: true });
  let next = 0;
  const readNext = async (): Promise<void> => {
    while (next < ranges.length && !failure.signal.aborted) {
      const index = next++;
      const range = ranges[index]!;
      try {
        rangeCrcs[index] = await rangeCrc(
          jobs[range.job]!,
          range,
          failure.signal,
        );
      } catch (error) {
        failure.abort(error);
        throw error;
      }
    }
  };
  const readers = Array.from(
    { length: Math.min(options.concurrency, ranges.length) },
    readNext,
  );
  const settled = await Promise.allSettled(readers);
  signal?.removeEventListener("abort", stop);
  if (failure.signal.aborted) throw failure.signal.reason;
  for (const outcome of settled) {
    if (outcome.status === "rejected") throw outcome.reason;
  }
  const crcs = jobs.map(() => 0);
  ranges.forEach((range, index) => {
    crcs[range.job] = crc32Combine(
      crcs[range.job]!,
      rangeCrcs[index]!,
      range.end - range.start,
    );
  });
  return crcs;
}

async function rangeCrc(
  job: CrcJob,
  range: Range,
  signal: AbortSignal,
): Promise<number> {
  const expected = range.end - range.start;
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = job.source.read(range.start, range.end).getReader();
  } catch (error) {
    throw readFailure(job, range, error);
  }
  const stop = () => reader.cancel(signal.reason).catch(() => {});
  signal.addEventListener("abort", stop, { once: true });
  try {
    let crc = 0;
    let length = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!(value instanceof Uint8Array)) {
        throw new TypeError(
          `expected the source to give Uint8Array chunks but it gave ${typeof value}`,
        );
      }
      length += value.length;
      if (length > expected) break;
      crc = crc32(value, crc);
    }
    if (length !== expected) {
      throw new RangeError(
        `expected ${expected} bytes but the source gave ${
          length > expected ? "more" : length
        }: it changed since it was listed, or does not honour ranges`,
      );
    }
    return crc;
  } catch (error) {
    if (signal.aborted && error === signal.reason) throw error;
    await reader.cancel(error).catch(() => {});
    throw readFailure(job, range, error);
  } finally {
    signal.removeEventListener("abort", stop);
  }
}

function readFailure(job: CrcJob, range: Range, cause: unknown): Error {
  return new Error(
    `${cannotAdd(job.name)}: reading bytes ${range.start}-${
      range.end - 1
    } of its source to compute its CRC-32 failed: ${
      cause instanceof Error ? cause.message : String(cause)
    }`,
    { cause },
  );
}
