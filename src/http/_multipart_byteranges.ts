/**
 * The `multipart/byteranges` body of a 206 answer to several ranges (RFC
 * 9110 §14.6), laid out in full before any byte is sent so that its
 * `Content-Length` is exact.
 *
 * @module
 */

import type { BodyPart } from "./_body_stream.ts";
import type { ByteRange } from "./_range_selection.ts";

/** A multipart body: its media type, exact length and the parts to send. */
export interface MultipartLayout {
  /** `multipart/byteranges; boundary=…`. */
  readonly contentType: string;
  readonly length: number;
  readonly parts: readonly BodyPart[];
}

// 96 random bits: the chance that an archive holds the delimiter line
// ("\r\n--" and the boundary) is nil, and RFC 2046 §5.1.1 allows 70
// characters.
const BOUNDARY_BYTES = 12;

/**
 * Lays out `ranges` of a `size`-byte archive of type `partType`: each part is
 * a delimiter, its own `Content-Type` and `Content-Range`, a blank line and
 * the range's bytes; a closing delimiter ends the body. Header bytes are
 * ASCII, so their length is their string's.
 */
export function multipartByteranges(
  ranges: readonly ByteRange[],
  size: number,
  partType: string,
): MultipartLayout {
  const boundary = `zipstream-${randomHex(BOUNDARY_BYTES)}`;
  const encoder = new TextEncoder();
  const parts: BodyPart[] = [];
  let length = 0;
  ranges.forEach(({ start, end }, index) => {
    // The CRLF before a delimiter belongs to it (RFC 2046 §5.1.1), so the
    // first one needs none.
    const header = `${index === 0 ? "" : "\r\n"}--${boundary}\r\n` +
      `Content-Type: ${partType}\r\n` +
      `Content-Range: bytes ${start}-${end}/${size}\r\n\r\n`;
    parts.push(encoder.encode(header), { start, end: end + 1 });
    length += header.length + end + 1 - start;
  });
  const closing = `\r\n--${boundary}--\r\n`;
  parts.push(encoder.encode(closing));
  length += closing.length;
  return {
    contentType: `multipart/byteranges; boundary=${boundary}`,
    length,
    parts,
  };
}

function randomHex(byteCount: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(byteCount));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0"))
    .join("");
}
