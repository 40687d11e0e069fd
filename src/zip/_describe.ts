/**
 * How the archive's error messages name an entry. Values are shown with
 * `describeValue` from `src/_errors.ts`, the toolkit shared by every area.
 *
 * @module
 */

/** A message prefix naming the entry. */
export function cannotAdd(name: string): string {
  return `Cannot add ${JSON.stringify(name)} to the archive`;
}

/** The error for an entry whose data does not have the CRC-32 it declared. */
export function crcMismatch(
  name: string,
  declared: number,
  actual: number,
): Error {
  return new Error(
    `${cannotAdd(name)}: declared crc32 ${hex(declared)} but the data has ${
      hex(actual)
    }`,
  );
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, "0")}`;
}
