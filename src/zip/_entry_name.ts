/**
 * Entry names: the checks that keep an archive from writing outside the
 * folder it is extracted into, or from losing an entry to a duplicate.
 *
 * @module
 */

import type { ByteStringSet } from "./_byte_string_set.ts";
import { UINT16_MAX } from "./_constants.ts";
import { describeValue } from "../_errors.ts";
import { encodeUtf8 } from "./_utf8.ts";

const DRIVE_LETTER = /^[A-Za-z]:/;
const DIRECTORY_SUFFIX = "/";
const DIRECTORY_SUFFIX_BYTE = 0x2f;

/**
 * Checks a name and returns it as UTF-8. Backslashes are refused rather than
 * turned into `/`: on Unix they are ordinary name characters, on Windows
 * separators, so either reading would surprise someone.
 *
 * @throws {TypeError} when the name is not a safe relative path.
 * @throws {RangeError} when its UTF-8 form is longer than 65,535 bytes.
 */
export function encodeEntryName(name: unknown): Uint8Array {
  if (typeof name !== "string") {
    throw new TypeError(
      `Cannot add an entry to the archive: expected its name to be a string but received ${
        describeValue(name)
      }`,
    );
  }
  const problem = nameProblem(name);
  if (problem !== undefined) {
    throw new TypeError(
      `Cannot add ${JSON.stringify(name)} to the archive: ${problem}`,
    );
  }
  const bytes = encodeUtf8(name);
  if (bytes.length > UINT16_MAX) {
    throw new RangeError(
      `Cannot add ${
        JSON.stringify(name.slice(0, 40) + "…")
      } to the archive: expected a name of at most ${UINT16_MAX} bytes of UTF-8 but received ${bytes.length}`,
    );
  }
  return bytes;
}

function nameProblem(name: string): string | undefined {
  if (name.length === 0) return "expected a name but received an empty string";
  if (name.includes("\0")) return "a name cannot contain a NUL character";
  if (!name.isWellFormed()) {
    return "a name cannot contain a lone UTF-16 surrogate";
  }
  if (name.includes("\\")) {
    return 'a name cannot contain a backslash: use "/" to separate folders';
  }
  if (name.startsWith("/") || DRIVE_LETTER.test(name)) {
    return "expected a relative path but received an absolute one";
  }
  const path = isDirectoryName(name) ? name.slice(0, -1) : name;
  for (const segment of path.split("/")) {
    if (segment === "..") return 'a name cannot contain a ".." segment';
    if (segment === ".") return 'a name cannot contain a "." segment';
    if (segment === "") return "a name cannot contain an empty segment";
  }
  return undefined;
}

/** Whether the name denotes a directory. */
export function isDirectoryName(name: string): boolean {
  return name.endsWith(DIRECTORY_SUFFIX);
}

/**
 * The length of the key under which names collide: the name's UTF-8
 * without a final `/`, since `a` and `a/` would extract to the same path.
 * A `/` byte in UTF-8 is always the character itself.
 */
export function nameKeyLength(
  bytes: Uint8Array,
  start: number,
  length: number,
): number {
  return length > 0 && bytes[start + length - 1] === DIRECTORY_SUFFIX_BYTE
    ? length - 1
    : length;
}

/**
 * Adds a name to the names already in an archive, refusing a duplicate: a
 * second entry of the same name would be lost on extraction. A name and
 * its folder twin (`a`, `a/`) count as duplicates (see `nameKeyLength`);
 * names compare exactly, case included, as file systems that keep case do.
 *
 * @param names The names claimed so far.
 * @param name The entry's name, checked by `encodeEntryName`.
 * @param nameBytes Its UTF-8 form, as `encodeEntryName` returned it.
 * @throws {TypeError} when the name, or its file or folder twin, is there.
 */
export function claimName(
  names: ByteStringSet,
  name: string,
  nameBytes: Uint8Array,
): void {
  if (!names.add(nameBytes, nameKeyLength(nameBytes, 0, nameBytes.length))) {
    throw new TypeError(
      `Cannot add ${
        JSON.stringify(name)
      } to the archive: an entry with that name is already in the archive`,
    );
  }
}
