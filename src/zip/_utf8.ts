/**
 * UTF-8 encoding of names, comments and string data, with one encoder for the
 * whole module rather than one per entry.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Encodes `text` as UTF-8. */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}
