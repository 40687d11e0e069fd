/**
 * The data of an entry, in one of two shapes: bytes already in memory, or a
 * source read chunk by chunk as the archive is pulled.
 *
 * @module
 */

import type { ZipEntryData } from "./zip_entry.ts";
import { describe } from "./_describe.ts";
import { isSource, type PullSource, pullSource } from "./_pull_source.ts";
import { encodeUtf8 } from "./_utf8.ts";

/** Entry data after normalization. */
export type EntryBody =
  | { readonly kind: "bytes"; readonly bytes: Uint8Array }
  | {
    readonly kind: "stream";
    /** The size the source itself knows (a Blob's), if any. */
    readonly size: number | undefined;
    readonly open: () => PullSource<unknown>;
  };

const EMPTY_BODY: EntryBody = { kind: "bytes", bytes: new Uint8Array(0) };

/**
 * Sorts `data` into bytes known up front or a source to stream. Byte arrays
 * are checked before iterables because a `Uint8Array` is also an iterable of
 * numbers.
 */
export function entryBody(
  name: string,
  data: ZipEntryData | undefined,
): EntryBody {
  if (data === undefined) return EMPTY_BODY;
  if (typeof data === "string") {
    return { kind: "bytes", bytes: encodeUtf8(data) };
  }
  if (data instanceof Uint8Array) return { kind: "bytes", bytes: data };
  if (data instanceof ArrayBuffer) {
    return { kind: "bytes", bytes: new Uint8Array(data) };
  }
  if (typeof Blob !== "undefined" && data instanceof Blob) {
    return {
      kind: "stream",
      size: data.size,
      open: () => pullSource(data.stream()),
    };
  }
  if (isSource(data)) {
    return {
      kind: "stream",
      size: undefined,
      open: () => pullSource(data),
    };
  }
  throw new TypeError(
    `Cannot add ${
      JSON.stringify(name)
    } to the archive: expected its data to be a string, Uint8Array, ArrayBuffer, Blob, ReadableStream or (async) iterable of Uint8Array but received ${
      describe(data)
    }`,
  );
}

/**
 * Checks a chunk from a data source: sources are the caller's, so their
 * chunks are checked where they are read.
 */
export function checkChunk(name: string, chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  throw new TypeError(
    `Cannot add ${
      JSON.stringify(name)
    } to the archive: expected its source to give Uint8Array chunks but received ${
      describe(chunk)
    }`,
  );
}
