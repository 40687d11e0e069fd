/**
 * Written entries as text: one JSON line per entry, so that a run can append
 * what `onEntry` reports to a file as it goes, and a later run can read the
 * records back for `ZipOptions.resume`.
 *
 * @module
 */

import { show } from "../_errors.ts";
import type { WrittenEntry } from "./written_entry.ts";

const CANNOT = "Cannot decode a written-entry record";
const UINT32_MAX = 0xffff_ffff;

/** The record's items, in order, as messages name them. */
const ITEMS = "[name, offset, end, crc32, size, compressedSize]";

/**
 * Encodes a written entry as one line of JSON, without the line break:
 * `["a.txt",0,47,891568578,3,3]`. An array rather than an object,
 * since a million entries are kept: some 60 bytes each instead of over 100.
 *
 * @param entry An entry as `ZipOptions.onEntry` reports it.
 * @returns The line; {@linkcode decodeWrittenEntry} reads it back.
 *
 * @example Keep the records of an archive as JSON lines
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeWrittenEntry, encodeWrittenEntry, zip } from "@zipstream/zipstream";
 *
 * let lines = "";
 * await new Response(zip([{ name: "a.txt", data: "abc" }], {
 *   compression: "store",
 *   onEntry: (entry) => {
 *     lines += `${encodeWrittenEntry(entry)}\n`;
 *   },
 * })).arrayBuffer();
 * assert.equal(lines, '["a.txt",0,47,891568578,3,3]\n');
 * assert.deepEqual(decodeWrittenEntry(lines), {
 *   name: "a.txt",
 *   offset: 0,
 *   end: 47,
 *   crc32: 891568578,
 *   size: 3,
 *   compressedSize: 3,
 * });
 * ```
 */
export function encodeWrittenEntry(entry: WrittenEntry): string {
  return JSON.stringify([
    entry.name,
    entry.offset,
    entry.end,
    entry.crc32,
    entry.size,
    entry.compressedSize,
  ]);
}

/**
 * Decodes a line that {@linkcode encodeWrittenEntry} wrote (surrounding
 * whitespace, such as its line break, is ignored).
 *
 * @param line One line of JSON.
 * @returns The written entry it records.
 * @throws {TypeError} The line is not a JSON array of a string and five
 * numbers; the message shows what it holds instead.
 * @throws {RangeError} A number is not a whole number in range, or `end`
 * comes before `offset`.
 *
 * @example Read records back, stopping at a line a crash cut short
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeWrittenEntry, type WrittenEntry } from "@zipstream/zipstream";
 *
 * const text = '["a.txt",0,47,891568578,3,3]\n["b.txt",47,94,4';
 * const records: WrittenEntry[] = [];
 * for (const line of text.split("\n")) {
 *   try {
 *     records.push(decodeWrittenEntry(line));
 *   } catch {
 *     break;
 *   }
 * }
 * assert.equal(records.length, 1);
 * assert.throws(() => decodeWrittenEntry('["b.txt",47,94,4'), {
 *   name: "TypeError",
 *   message:
 *     'Cannot decode a written-entry record: expected a JSON array [name, offset, end, crc32, size, compressedSize] but got "[\\"b.txt\\",47,94,4"',
 * });
 * ```
 */
export function decodeWrittenEntry(line: string): WrittenEntry {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new TypeError(
      `${CANNOT}: expected a JSON array ${ITEMS} but got ${show(line)}`,
      { cause: error },
    );
  }
  if (!Array.isArray(value) || value.length !== 6) {
    throw new TypeError(
      `${CANNOT}: expected a JSON array ${ITEMS} but got ${show(value)}`,
    );
  }
  const [name, offset, end, crc32, size, compressedSize] = value;
  if (typeof name !== "string") {
    throw new TypeError(
      `${CANNOT}: expected name to be a string but got ${show(name)}`,
    );
  }
  const of = `${CANNOT} of ${JSON.stringify(name)}`;
  const entry = {
    name,
    offset: whole(of, "offset", offset, Number.MAX_SAFE_INTEGER),
    end: whole(of, "end", end, Number.MAX_SAFE_INTEGER),
    crc32: whole(of, "crc32", crc32, UINT32_MAX),
    size: whole(of, "size", size, Number.MAX_SAFE_INTEGER),
    compressedSize: whole(
      of,
      "compressedSize",
      compressedSize,
      Number.MAX_SAFE_INTEGER,
    ),
  };
  if (entry.end < entry.offset) {
    throw new RangeError(
      `${of}: expected end to be at least offset ${entry.offset} but got ${entry.end}`,
    );
  }
  return entry;
}

/** Checks the record's number `item`; `cannot` begins the message. */
function whole(
  cannot: string,
  item: string,
  value: unknown,
  max: number,
): number {
  if (typeof value !== "number") {
    throw new TypeError(
      `${cannot}: expected ${item} to be a number but got ${show(value)}`,
    );
  }
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new RangeError(
      `${cannot}: expected ${item} to be a whole number from 0 to ${max} but got ${
        show(value)
      }`,
    );
  }
  return value;
}
