/**
 * What a server-side build puts together: a planned archive, or the
 * segments of an archive written by several workers. Either is a run of
 * bytes in which some ranges are the bytes of S3 objects (copied when they
 * can be) and the rest is read and sent.
 *
 * @module
 */

import type { RangedSource } from "../zip/ranged_source.ts";

/** Bytes of `size`, some ranges of which are whole objects. */
export interface Assembly {
  /** The length in bytes. */
  readonly size: number;
  /** Names these exact bytes: a resumed build must be of the same. */
  readonly etag: string;
  /** Where each object's bytes lie, in order. */
  readonly entries: readonly {
    readonly dataOffset: number;
    readonly size: number;
    readonly source: RangedSource;
  }[];
  /** The bytes from `start` to `end` (exclusive; the end by default). */
  slice(start: number, end?: number): ReadableStream<Uint8Array>;
}
