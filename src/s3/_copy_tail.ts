/**
 * The tail of a server-side build with appended entries: the plan's data
 * after its last copied object, then the appended entries and the central
 * directory, as `zip()` resumed after the plan's data writes them. Its
 * length is unknown until it is written (the entries are compressed), so
 * it is cut into parts as it streams, like any upload of unknown length,
 * and sent after the copied parts.
 *
 * @module
 */

import { continuationOf } from "../zip/_plan_continuation.ts";
import { zip } from "../zip/zip.ts";
import type { ZipEntry } from "../zip/zip_entry.ts";
import { reasonOf } from "../_errors.ts";
import { requireEtag } from "./_copy_parts.ts";
import { type CutPart, PartCutter } from "./_part_cutter.ts";
import { planPartSizes } from "./_part_size_plan.ts";
import type { AppendedEntries } from "./copy_plan_to_s3.ts";
import type { Assembly } from "./_assembly.ts";
import type { S3Requests } from "./_s3_requests.ts";

/**
 * The archive's bytes from `start` (at most the end of the plan's data) to
 * its end: the plan's data read from its sources, then what `zip()` writes
 * after it for the appended entries. The plan's own entries are given to
 * `zip()` with their records, so it skips their data and writes their
 * central directory headers as the plan does.
 */
export function tailOf(
  plan: Assembly,
  start: number,
  appended: AppendedEntries,
): ReadableStream<Uint8Array> {
  const continuation = continuationOf(plan);
  const { entries, ...options } = appended;
  async function* all(): AsyncGenerator<ZipEntry> {
    yield* continuation.entries();
    if (entries instanceof ReadableStream) {
      const reader = entries.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          yield value;
        }
      } finally {
        reader.releaseLock();
      }
    }
    yield* entries;
  }
  const rest = zip(all(), {
    ...continuation.options,
    ...options,
    resume: { offset: continuation.dataEnd, entries: continuation.records() },
  });
  const streams = [plan.slice(start, continuation.dataEnd), rest];
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      while (streams.length > 0) {
        reader ??= streams[0]!.getReader();
        const { done, value } = await reader.read();
        if (!done) {
          controller.enqueue(value);
          return;
        }
        streams.shift();
        reader = undefined;
      }
      controller.close();
    },
    async cancel(reason) {
      await reader?.cancel(reason);
      await Promise.allSettled(
        streams.slice(reader === undefined ? 0 : 1).map((stream) =>
          stream.cancel(reason)
        ),
      );
    },
  }, { highWaterMark: 0 });
}

/** The upload the tail's parts go into. */
export interface TailTarget {
  readonly requests: S3Requests;
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
}

/** What the tail's parts came to. */
export interface SentTail {
  /** ETags of the parts sent, by part number. */
  readonly etags: ReadonlyMap<number, string>;
  /** The tail's length in bytes. */
  readonly bytes: number;
}

/**
 * Sends `body` as parts `first.partNumber` on of the upload, each `partSize`
 * bytes (growing after the 1,000th part, as for any upload of unknown
 * length) but the last, `concurrency` at a time.
 *
 * @throws {Error} naming the part and its archive bytes, when one fails; the
 * body is cancelled and the parts in flight are waited for first.
 */
export async function sendTail(
  target: TailTarget,
  body: ReadableStream<Uint8Array>,
  first: { partNumber: number; offset: number },
  options: { partSize: number; concurrency: number; signal: AbortSignal },
): Promise<SentTail> {
  const { concurrency, signal } = options;
  const cutter = new PartCutter(
    planPartSizes(options.partSize, undefined),
    undefined,
    concurrency,
    first,
  );
  const etags = new Map<number, string>();
  const inFlight = new Set<Promise<void>>();
  let failure: Error | undefined;
  const send = (part: CutPart) => {
    const sending = (async () => {
      try {
        const sent = await target.requests.uploadPart(
          {
            Bucket: target.bucket,
            Key: target.key,
            UploadId: target.uploadId,
            PartNumber: part.partNumber,
            Body: part.bytes,
          },
          signal,
          () => {},
        );
        etags.set(part.partNumber, requireEtag(sent.ETag, part.partNumber));
        cutter.recycle(part.bytes);
      } catch (error) {
        failure ??= new Error(
          `part ${part.partNumber}, archive bytes ${part.offset}-${
            part.offset + part.bytes.length - 1
          } sent: ${reasonOf(error)}`,
          { cause: error },
        );
      }
    })();
    inFlight.add(sending);
    sending.finally(() => inFlight.delete(sending));
  };
  const room = async () => {
    while (inFlight.size >= concurrency && failure === undefined) {
      await Promise.race(inFlight);
    }
    if (failure !== undefined) throw failure;
  };
  const reader = body.getReader();
  try {
    for (;;) {
      if (failure !== undefined) throw failure;
      signal.throwIfAborted();
      const { done, value } = await reader.read();
      if (done) break;
      for (const part of cutter.cut(value)) {
        await room();
        send(part);
      }
    }
    await room();
    send(cutter.last());
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
    return { etags, bytes: cutter.bytesRead - first.offset };
  } catch (error) {
    await reader.cancel(error).catch(() => {});
    await Promise.allSettled(inFlight);
    cutter.drop();
    throw error;
  }
}
