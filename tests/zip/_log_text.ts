/**
 * Log-like text for the deflate worker tests and their no-permission fixture:
 * deflate shrinks it about 4×, and it is different at every offset.
 *
 * @module
 */

/** `length` bytes of log lines, the same on every call. */
export function logText(length: number): Uint8Array<ArrayBuffer> {
  const encoder = new TextEncoder();
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (let i = 0; offset < length; i++) {
    const line = encoder.encode(
      `2026-01-01T00:00:${String(i % 60).padStart(2, "0")}Z GET /api/${
        (i * 7919) % 1009
      } ${200 + (i % 7)} ${(i * 37) % 1000}ms id=${i}\n`,
    );
    bytes.set(line.subarray(0, length - offset), offset);
    offset += line.length;
  }
  return bytes;
}
