/**
 * `ZipStream`: the archive writer as a `TransformStream`.
 *
 * @module
 */

import type { ZipEntry } from "./zip_entry.ts";
import type { ZipOptions } from "./zip_options.ts";
import { zip } from "./zip.ts";

/**
 * Turns a stream of entries into the bytes of a ZIP archive, for
 * `entries.pipeThrough(new ZipStream())`. It is the same engine as `zip()`,
 * with the same guarantees: lazy, bounded memory, ZIP64 only where needed or asked for.
 *
 * @example Pipe a stream of entries through the archive writer
 * ```ts
 * import assert from "node:assert/strict";
 * import { ZipStream } from "@zipstream/zipstream";
 *
 * const archive = ReadableStream.from([
 *   { name: "a.txt", data: "first" },
 *   { name: "b.txt", data: "second" },
 * ]).pipeThrough(new ZipStream({ compression: "store" }));
 * const bytes = new Uint8Array(await new Response(archive).arrayBuffer());
 * assert.ok(bytes.length > 0);
 * ```
 */
export class ZipStream implements TransformStream<ZipEntry, Uint8Array> {
  #readable: ReadableStream<Uint8Array>;
  #writable: WritableStream<ZipEntry>;

  /**
   * Creates the transform.
   *
   * @param options Archive-wide settings and the defaults of every entry.
   * @throws {TypeError} when an option has the wrong type.
   * @throws {RangeError} when an option is out of range.
   */
  constructor(options?: ZipOptions) {
    const { readable, writable } = new TransformStream<ZipEntry, ZipEntry>();
    this.#readable = zip(readable, options);
    this.#writable = writable;
  }

  /** The archive's bytes. */
  get readable(): ReadableStream<Uint8Array> {
    return this.#readable;
  }

  /** Where entries are written. */
  get writable(): WritableStream<ZipEntry> {
    return this.#writable;
  }
}
