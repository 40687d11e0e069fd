/**
 * Data that can be read at any offset: what an archive plan is made of.
 *
 * @module
 */

/**
 * The bytes of one planned entry, readable from any offset, so that any
 * range of the archive can be produced without reading what comes before it.
 * `Uint8Array`s and `Blob`s are read this way by {@linkcode planZip} itself;
 * local files (in the CLI) and S3 objects (`s3RangedSource` in
 * `@zipstream/zipstream/s3`) implement it, and so can anything else.
 *
 * @example A source made of one repeated byte
 * ```ts
 * import assert from "node:assert/strict";
 * import { planZip, type RangedSource } from "@zipstream/zipstream";
 *
 * const sevens: RangedSource = {
 *   size: 1000,
 *   identity: "sevens:1000",
 *   read: (start, end) => ReadableStream.from([new Uint8Array(end - start).fill(7)]),
 * };
 * const plan = await planZip([{ name: "sevens.bin", data: sevens }]);
 * assert.equal(plan.entries[0]!.size, 1000);
 * ```
 */
export interface RangedSource {
  /** The number of bytes, fixed when the plan is made. */
  readonly size: number;
  /**
   * The CRC-32 of all the bytes, when the source already knows it (an S3
   * object's own checksum): saves reading the data to compute it.
   */
  readonly crc32?: number;
  /**
   * What names this version of the data, and changes when the data does
   * (`s3://bucket/key` and the object's ETag; a path with its size, mtime
   * and inode). It goes into the plan's ETag, and keys the CRC cache
   * ({@linkcode PlanOptions.crcCache}). Without it the CRC is never cached
   * and the plan's ETag rests on the CRC alone.
   */
  readonly identity?: string;
  /**
   * The bytes from `start` (inclusive) to `end` (exclusive), as a stream
   * that gives exactly `end - start` bytes. A source whose data changed
   * since the plan was made should fail the stream (an S3 object read with
   * `If-Match` does); a stream that gives more or fewer bytes fails the
   * archive's stream with an error naming the entry. Its chunks are handed
   * on to the slice's reader as they are, not copied: a source must give a
   * fresh array each time, never refill one it gave before.
   */
  read(start: number, end: number): ReadableStream<Uint8Array>;
}
