/**
 * How big each part of a multipart upload is: S3's limits, and the plan that
 * keeps an upload inside them whether or not its length is known.
 *
 * @module
 */

const MIB = 1024 * 1024;

/** S3's smallest part, except for the last part of an upload. */
export const MIN_PART_SIZE = 5 * MIB;
/** S3's largest part. */
export const MAX_PART_SIZE = 5 * 1024 * MIB;
/** S3's largest part number. */
export const MAX_PARTS = 10_000;
/** The largest body a multipart upload can carry: 10,000 parts of 5 GiB. */
export const MAX_UPLOAD_SIZE = MAX_PARTS * MAX_PART_SIZE;
/** The most parts `concurrency` lets upload at once: memory is (concurrency + 1) parts. */
export const MAX_CONCURRENCY = 64;
/** The default part size: S3's minimum, as lib-storage's default (memory is (concurrency + 1) parts). */
export const DEFAULT_PART_SIZE = 5 * MIB;
/**
 * How far a stream of unknown length can go: S3's historical object limit of
 * 5 TiB. lib-storage and boto3 keep a fixed part size and stop at 10,000 parts
 * (49-78 GiB); growing the parts reaches this.
 */
export const UNKNOWN_LENGTH_CAPACITY = 5 * 1024 * 1024 * MIB;
/**
 * Parts kept at the caller's part size before growth starts, so that streams
 * up to 1,000 parts (4.9 GiB at the default) use no more memory than asked.
 */
export const FIXED_SIZE_PARTS = 1_000;

/** The size of every part of one upload. */
export interface PartSizePlan {
  /** The size of part `partNumber` (1-based); the last part may be shorter. */
  sizeOf(partNumber: number): number;
  /** The number of parts when the length is known, otherwise `undefined`. */
  readonly partCount: number | undefined;
}

/**
 * Plans the part sizes for a body of `contentLength` bytes, or of unknown
 * length.
 *
 * Known length: one size for every part, the caller's `partSize` raised to
 * `ceil(contentLength / 10,000)` when that is larger, so that the body fits in
 * 10,000 parts.
 *
 * Unknown length: `partSize` for the first 1,000 parts, then each part larger
 * than the one before by a fixed step, chosen so that 10,000 parts carry at
 * least 5 TiB. Linear growth keeps the largest part (at most about 1.2 GiB)
 * close to the 512 MiB that an even split of 5 TiB would need, where doubling
 * the size every so many parts would overshoot to several GiB.
 *
 * `partSize` must lie in [MIN_PART_SIZE, MAX_PART_SIZE] and `contentLength`
 * in [0, MAX_UPLOAD_SIZE]; the caller validates both.
 */
export function planPartSizes(
  partSize: number,
  contentLength: number | undefined,
): PartSizePlan {
  if (contentLength !== undefined) {
    const size = Math.max(partSize, Math.ceil(contentLength / MAX_PARTS));
    const partCount = Math.max(1, Math.ceil(contentLength / size));
    return { sizeOf: () => size, partCount };
  }
  const growingParts = MAX_PARTS - FIXED_SIZE_PARTS;
  const shortfall = UNKNOWN_LENGTH_CAPACITY - MAX_PARTS * partSize;
  // Parts 1,001..10,000 add step * (1 + 2 + ... + 9,000) to the fixed sizes.
  const step = shortfall > 0
    ? Math.ceil(shortfall / (growingParts * (growingParts + 1) / 2))
    : 0;
  return {
    sizeOf: (partNumber) =>
      Math.min(
        MAX_PART_SIZE,
        partSize + Math.max(0, partNumber - FIXED_SIZE_PARTS) * step,
      ),
    partCount: undefined,
  };
}
