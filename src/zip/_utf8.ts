/**
 * UTF-8 encoding of names, comments and string data, and decoding of link
 * targets, with one encoder and one decoder for the whole module rather than
 * one per entry.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Encodes `text` as UTF-8. */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

// Fatal, so that a malformed byte is refused rather than turned into U+FFFD;
// a leading BOM is kept, as it is part of the bytes.
const strictDecoder = new TextDecoder("utf-8", {
  fatal: true,
  ignoreBOM: true,
});

/** Decodes `bytes` as UTF-8, or returns `undefined` when they are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}
