/**
 * MD5 digests and the ETags S3 derives from them, for checking what the
 * server stored against what was sent.
 *
 * @module
 */

import { createHash } from "node:crypto";

/** An MD5 in lowercase hex, as a plain ETag holds it once unquoted. */
export const MD5_HEX = /^[0-9a-f]{32}$/;

/**
 * The MD5 digest of `bytes`. Web Crypto has no MD5; `node:crypto` (Deno, Node,
 * Bun) hashes natively, several times faster than a JS MD5.
 */
export function md5(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("md5").update(bytes).digest());
}

/** `bytes` in base64, as `Content-MD5` wants the digest. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** `bytes` in lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join(
    "",
  );
}

/** An ETag without its quotes, lowercased. */
export function bareEtag(etag: string): string {
  return etag.replace(/^"|"$/g, "").toLowerCase();
}

/**
 * The ETag S3 (and Swift's s3api) gives a completed multipart upload, without
 * quotes: the MD5 of the parts' binary MD5s, a dash, the number of parts.
 */
export function multipartEtag(partDigests: readonly Uint8Array[]): string {
  const joined = new Uint8Array(partDigests.length * 16);
  partDigests.forEach((digest, index) => joined.set(digest, index * 16));
  return `${toHex(md5(joined))}-${partDigests.length}`;
}

/**
 * Whether an ETag returned for bytes whose MD5 is `digest` is that MD5. Only
 * meaningful where the ETag is an MD5 at all: not under SSE-KMS or SSE-C,
 * where the caller skips the check.
 */
export function etagMatchesDigest(etag: string, digest: Uint8Array): boolean {
  return bareEtag(etag) === toHex(digest);
}

/** A multipart ETag, once its quotes are removed: the MD5 of the parts' MD5s and their count. */
export const MULTIPART_ETAG = /^[0-9a-f]{32}-\d+$/;

/** The encryption fields that say whether an ETag is an MD5 of the bytes. */
export interface EncryptionFields {
  ServerSideEncryption?: string;
  SSECustomerAlgorithm?: string;
}

/** The bytes of a hex string, such as a stored MD5. */
export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(
    hex.match(/../g) ?? [],
    (byte) => parseInt(byte, 16),
  );
}

/** Whether an ETag is the MD5 of the bytes: not under SSE-KMS (or DSSE-KMS) nor SSE-C. */
export function etagIsMd5(output: EncryptionFields): boolean {
  const sse = output.ServerSideEncryption;
  return (sse === undefined || sse === "AES256") &&
    output.SSECustomerAlgorithm === undefined;
}

/** The MD5 an answer's ETag stands for, when it is one. */
export function etagDigest(
  output: { ETag?: string } & EncryptionFields,
): Uint8Array | undefined {
  const etag = bareEtag(output.ETag ?? "");
  return etagIsMd5(output) && MD5_HEX.test(etag) ? fromHex(etag) : undefined;
}

/**
 * Checks that a part (or object) was answered with an ETag and, when the MD5
 * of the bytes sent is known, that the ETag is that MD5. The server already
 * checked Content-MD5 on arrival; this catches an answer that belongs to
 * other bytes. A mismatch is retried.
 */
export function checkEtag(
  output: { ETag?: string } & EncryptionFields,
  digest: Uint8Array | undefined,
  partNumber: number,
): void {
  if (output.ETag === undefined || output.ETag === "") {
    throw new TypeError(
      `Part ${partNumber} was answered without an ETag`,
    );
  }
  if (
    digest !== undefined && etagIsMd5(output) &&
    !etagMatchesDigest(output.ETag, digest)
  ) {
    const error = new Error(
      `Part ${partNumber} was answered ETag ${output.ETag} but the MD5 of its bytes differs`,
    );
    error.name = "PartChecksumMismatch";
    throw error;
  }
}
