/**
 * A segmented archive as a server-side build sees it: the segments'
 * objects end to end, then the central directory (held in memory), so
 * that the build copies the segments and sends the rest.
 *
 * @module
 */

import type { Assembly } from "../s3/_assembly.ts";
import type { S3RangedSource } from "../s3/s3_ranged_source.ts";

/** The segments' objects, in order, then the archive's end records. */
export class SegmentedArchive implements Assembly {
  readonly size: number;
  readonly etag: string;
  readonly entries: readonly {
    dataOffset: number;
    size: number;
    source: S3RangedSource;
  }[];
  readonly #end: Uint8Array;

  constructor(
    segments: readonly S3RangedSource[],
    end: Uint8Array,
    etag: string,
  ) {
    let offset = 0;
    this.entries = segments.map((source) => {
      const entry = { dataOffset: offset, size: source.size, source };
      offset += source.size;
      return entry;
    });
    this.#end = end;
    this.size = offset + end.length;
    this.etag = etag;
  }

  slice(start: number, end = this.size): ReadableStream<Uint8Array> {
    const pieces: (() => ReadableStream<Uint8Array>)[] = [];
    for (const entry of this.entries) {
      const from = Math.max(start, entry.dataOffset);
      const to = Math.min(end, entry.dataOffset + entry.size);
      if (from < to) {
        pieces.push(() =>
          entry.source.read(from - entry.dataOffset, to - entry.dataOffset)
        );
      }
    }
    const tailStart = this.size - this.#end.length;
    const from = Math.max(start, tailStart);
    if (from < end) {
      const bytes = this.#end.subarray(from - tailStart, end - tailStart);
      pieces.push(() =>
        new ReadableStream({
          start(controller) {
            controller.enqueue(bytes);
            controller.close();
          },
        })
      );
    }
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        for (;;) {
          if (reader === undefined) {
            const next = pieces.shift();
            if (next === undefined) {
              controller.close();
              return;
            }
            reader = next().getReader();
          }
          const { done, value } = await reader.read();
          if (!done) {
            controller.enqueue(value);
            return;
          }
          reader = undefined;
        }
      },
      async cancel(reason) {
        await reader?.cancel(reason);
      },
    }, { highWaterMark: 0 });
  }
}
