/**
 * Reads a `multipart/byteranges` body strictly (RFC 9110 §14.6, RFC 2046
 * §5.1), so that tests check the exact layout serveZip sends, not what a
 * lenient parser would accept.
 *
 * @module
 */

import assert from "node:assert/strict";

/** One part of a `multipart/byteranges` body. */
export interface BodyRangePart {
  contentType: string;
  /** From its `Content-Range`, both inclusive. */
  start: number;
  end: number;
  size: number;
  bytes: Uint8Array;
}

/**
 * The parts of `body`, sent with `contentType`. Fails unless the body is
 * exactly the parts, each with its headers, in the form serveZip writes.
 */
export function parseByteranges(
  body: Uint8Array,
  contentType: string,
): BodyRangePart[] {
  const match = /^multipart\/byteranges; boundary=([0-9A-Za-z-]{1,70})$/.exec(
    contentType,
  );
  assert.ok(match, `expected multipart/byteranges but got ${contentType}`);
  const boundary = match[1]!;
  // Header bytes are ASCII; latin1 keeps one character per byte.
  const text = new TextDecoder("latin1").decode(body);
  const parts: BodyRangePart[] = [];
  let at = 0;
  for (;;) {
    const delimiter = `${parts.length === 0 ? "" : "\r\n"}--${boundary}`;
    assert.equal(text.slice(at, at + delimiter.length), delimiter, `at ${at}`);
    at += delimiter.length;
    if (text.slice(at) === "--\r\n") return parts;
    const headersEnd = text.indexOf("\r\n\r\n", at);
    assert.ok(headersEnd > at, `no part headers at ${at}`);
    const headers = text.slice(at + 2, headersEnd).split("\r\n");
    assert.equal(headers.length, 2, `part headers: ${headers.join(" | ")}`);
    const [typeLine, rangeLine] = headers;
    const range = /^Content-Range: bytes (\d+)-(\d+)\/(\d+)$/.exec(rangeLine!);
    assert.ok(range, `expected a Content-Range but got ${rangeLine}`);
    const [start, end, size] = range.slice(1).map(Number) as [
      number,
      number,
      number,
    ];
    at = headersEnd + 4;
    parts.push({
      contentType: typeLine!.replace(/^Content-Type: /, ""),
      start,
      end,
      size,
      bytes: body.slice(at, at + end + 1 - start),
    });
    at += end + 1 - start;
  }
}
