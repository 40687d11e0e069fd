/**
 * `zip()`: entries in, archive bytes out, as a web stream.
 *
 * @module
 */

import { ArchiveWriter } from "./_archive_writer.ts";
import { describeValue } from "../_errors.ts";
import { isSource, pullSource } from "./_pull_source.ts";
import { resolveOptions } from "./_resolved_options.ts";
import type { ZipEntrySource } from "./zip_entry.ts";
import type { ZipOptions } from "./zip_options.ts";

/**
 * Streams a ZIP archive of `entries`.
 *
 * The archive is produced as it is read: entries are pulled from `entries`
 * one at a time, each entry's data is read chunk by chunk, and nothing is
 * kept but the central directory (about 65 bytes plus name and comment per entry)
 * and the set of names for the duplicate check. A slow consumer slows
 * everything down to its pace.
 * ZIP64 records appear only where a size, offset or count needs them, or
 * where an entry asks for them (`zip64: true`).
 *
 * Cancelling the returned stream cancels the data source of the entry being
 * written and the entry source. If a data source fails, the stream errors
 * with an `Error` naming the entry, with the failure as its `cause`.
 *
 * The output is a function of the entries and options alone: the same input
 * gives the same bytes, whatever the chunking of the data. Encrypted entries
 * (`password`) are the exception unless `options.saltKey` is given: their
 * salts are random. Entries without a
 * `lastModified` share one time, `options.lastModified`, which defaults to
 * the time of this call.
 *
 * @param entries The members of the archive, pulled lazily: an array, a
 * generator, an async generator or a `ReadableStream` of `ZipEntry`.
 * @param options Archive-wide settings and the defaults of every entry.
 * @returns The archive's bytes.
 * @throws {TypeError} when `entries` is not iterable or an option has the wrong type.
 * @throws {RangeError} when an option is out of range.
 *
 * @example Zip a few entries and read the archive's size
 * ```ts
 * import assert from "node:assert/strict";
 * import { zip } from "@zipstream/zipstream";
 *
 * const archive = zip([
 *   { name: "greeting.txt", data: "Hello world!" },
 *   { name: "logs/", lastModified: new Date("2026-01-01") },
 * ], { lastModified: new Date("2026-01-01") });
 * const bytes = new Uint8Array(await new Response(archive).arrayBuffer());
 * assert.deepEqual([...bytes.subarray(0, 4)], [0x50, 0x4b, 0x03, 0x04]);
 * ```
 */
export function zip(
  entries: ZipEntrySource,
  options?: ZipOptions,
): ReadableStream<Uint8Array> {
  if (!isSource(entries)) {
    throw new TypeError(
      `Cannot create the archive: expected entries to be an iterable, async iterable or ReadableStream but received ${
        describeValue(entries)
      }`,
    );
  }
  const writer = new ArchiveWriter(
    pullSource(entries),
    resolveOptions(options),
  );
  const batches = writer.batches();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await batches.next();
      if (done) controller.close();
      else for (const chunk of value) controller.enqueue(chunk);
    },
    cancel: (reason) => writer.cancel(reason),
  }, { highWaterMark: 0 });
}
