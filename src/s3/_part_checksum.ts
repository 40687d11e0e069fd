/**
 * The CRC-32 checksum each part (or single PutObject) carries in
 * `x-amz-checksum-crc32`, computed here with the library's native-where-present
 * CRC-32 so that the SDK does not compute its own, and the check of the
 * checksum a server echoes in its answer.
 *
 * @module
 */

import { crc32 } from "../zip/mod.ts";

/**
 * The CRC-32 of `bytes` as `x-amz-checksum-crc32` carries it: the base64 of
 * its four bytes, most significant first (S3's `ChecksumCRC32`).
 */
export function crc32Checksum(bytes: Uint8Array): string {
  const value = crc32(bytes);
  return btoa(
    String.fromCharCode(
      value >>> 24,
      (value >>> 16) & 0xff,
      (value >>> 8) & 0xff,
      value & 0xff,
    ),
  );
}

/**
 * Checks the checksum an answer echoes, when it echoes one, against the one
 * `sent`. S3 refuses a body whose CRC-32 differs from the header (BadDigest)
 * before it answers, so an echo that differs belongs to other bytes or was
 * damaged on the way back: a `PartChecksumMismatch`, which is retried.
 * Servers that ignore the header (OpenStack Swift's s3api) echo nothing, and
 * nothing is checked.
 */
export function checkEchoedChecksum(
  output: { ChecksumCRC32?: string },
  sent: string | undefined,
  partNumber: number,
): void {
  const echoed = output.ChecksumCRC32;
  if (
    sent === undefined || echoed === undefined || echoed === "" ||
    echoed === sent
  ) return;
  const error = new Error(
    `Part ${partNumber} was answered checksum CRC-32 ${echoed} but the CRC-32 of its bytes is ${sent}`,
  );
  error.name = "PartChecksumMismatch";
  throw error;
}
