/**
 * A CRC-32 as the CLI's files write it: eight lowercase hex digits, as
 * mod_zip's manifests and `crc32` tools print it.
 *
 * @module
 */

/** `crc` as eight hex digits: `0x1c291ca3` gives `1c291ca3`. */
export function formatCrc(crc: number): string {
  return crc.toString(16).padStart(8, "0");
}

/** The CRC-32 eight hex digits (any case) give, or `undefined` for other text. */
export function parseCrc(text: unknown): number | undefined {
  if (typeof text !== "string" || !/^[0-9a-fA-F]{8}$/.test(text)) {
    return undefined;
  }
  return parseInt(text, 16);
}
