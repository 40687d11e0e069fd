/**
 * The data of an entry, in one of two shapes: bytes already in memory, or a
 * source read chunk by chunk as the archive is pulled.
 *
 * @module
 */

import type { ZipEntryData } from "./zip_entry.ts";
import { describeValue, isDetached } from "../_errors.ts";
import { cannotAdd } from "./_describe.ts";
import {
  isSource,
  type PullSource,
  pullSource,
  type Source,
} from "./_pull_source.ts";
import { encodeUtf8 } from "./_utf8.ts";

/** Entry data read chunk by chunk. */
export interface StreamedBody {
  readonly kind: "stream";
  /** The size the source itself knows (a Blob's), if any. */
  readonly size: number | undefined;
  /**
   * Every chunk is an array nobody else writes to, so it may be handed on
   * without a copy: a Blob's chunks, and a byte stream's, whose buffers the
   * stream took from their maker (enqueueing transfers them), as the
   * streams of files, sockets and `fetch` bodies are.
   */
  readonly freshChunks: boolean;
  readonly open: () => PullSource<unknown>;
}

/** Entry data after normalization. */
export type EntryBody =
  | BytesBody
  | StreamedBody;

/** Entry data given whole. */
export interface BytesBody {
  readonly kind: "bytes";
  readonly bytes: Uint8Array;
  /**
   * Nobody else holds the array (it was encoded from a string, or copied),
   * so it may be handed on without a copy.
   */
  readonly fresh: boolean;
}

const EMPTY_BODY: EntryBody = {
  kind: "bytes",
  bytes: new Uint8Array(0),
  fresh: true,
};

/**
 * Sorts `data` into bytes known up front or a source to stream. Byte views
 * are checked before iterables because a typed array is also an iterable
 * of numbers.
 */
export function entryBody(
  name: string,
  data: ZipEntryData | undefined,
): EntryBody {
  if (data === undefined) return EMPTY_BODY;
  if (typeof data === "string") {
    return { kind: "bytes", bytes: encodeUtf8(data), fresh: true };
  }
  const bytes = bytesOf(data);
  if (bytes !== undefined) {
    if (bytes === DETACHED) throw detached(name, "its data", data);
    return { kind: "bytes", bytes, fresh: false };
  }
  if (typeof Blob !== "undefined" && data instanceof Blob) {
    return {
      kind: "stream",
      size: data.size,
      freshChunks: true,
      open: () => pullSource(data.stream()),
    };
  }
  if (isSource(data)) {
    return {
      kind: "stream",
      size: undefined,
      freshChunks: data instanceof ReadableStream && isByteStream(data),
      open: () => pullSource(data as Source<unknown>),
    };
  }
  throw new TypeError(
    `${
      cannotAdd(name)
    }: expected its data to be a string, Uint8Array (or other ArrayBufferView), ArrayBuffer, Blob, ReadableStream or (async) iterable of Uint8Array but received ${
      describeValue(data)
    }`,
  );
}

/**
 * Checks a chunk from a data source: sources are the caller's, so their
 * chunks are checked where they are read. Any view of bytes or `ArrayBuffer`
 * stands for exactly its bytes; anything else is refused, so that no value
 * is read in some other way than the caller meant.
 */
export function checkChunk(name: string, chunk: unknown): Uint8Array {
  // The common case first, and cheaply: only an empty view can be detached.
  if (chunk instanceof Uint8Array && chunk.length > 0) return chunk;
  const bytes = bytesOf(chunk);
  if (bytes !== undefined && bytes !== DETACHED) return bytes;
  if (bytes === DETACHED) throw detached(name, "a chunk of its data", chunk);
  throw new TypeError(
    `${
      cannotAdd(name)
    }: expected its source to give Uint8Array (or other ArrayBufferView, or ArrayBuffer) chunks but received ${
      describeValue(chunk)
    }`,
  );
}

/** Marks a byte value whose buffer was detached: its bytes are gone. */
const DETACHED = new Uint8Array(0);

/** The bytes a view or buffer stands for, `DETACHED`, or `undefined` for other values. */
function bytesOf(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) {
    return value.length === 0 && isDetached(value.buffer) ? DETACHED : value;
  }
  if (ArrayBuffer.isView(value)) {
    return isDetached(value.buffer)
      ? DETACHED
      : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (value instanceof ArrayBuffer) {
    return isDetached(value) ? DETACHED : new Uint8Array(value);
  }
  return undefined;
}

function detached(name: string, what: string, value: unknown): TypeError {
  return new TypeError(
    `${cannotAdd(name)}: ${what} is ${
      describeValue(value)
    }, whose bytes are gone (transferred or freed)`,
  );
}

/** Whether `stream` is a byte stream (`type: "bytes"`): only those lend a BYOB reader. */
function isByteStream(stream: ReadableStream): boolean {
  if (stream.locked) return false;
  try {
    stream.getReader({ mode: "byob" }).releaseLock();
    return true;
  } catch {
    return false;
  }
}
