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
