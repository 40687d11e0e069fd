/**
 * A `ZipEntry` checked and completed with the archive's defaults: everything
 * the writer needs except what only the data can tell (CRC, sizes).
 *
 * @module
 */

import {
  DEFAULT_DIRECTORY_MODE,
  DEFAULT_FILE_MODE,
  EXTERNAL_ATTRIBUTES_MODE_SHIFT,
  FLAG_DATA_DESCRIPTOR,
  FLAG_ENCRYPTED,
  FLAG_UTF8,
  INT32_MAX,
  MAX_MODE,
  MSDOS_DIRECTORY_ATTRIBUTE,
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  UINT16_MAX,
  UINT32_MAX,
} from "./_constants.ts";
import type { DosClock } from "./_dos_date_time.ts";
import { type EntryBody, entryBody } from "./_entry_source.ts";
import type { EntryFields, Method } from "./_entry_fields.ts";
import { describeValue } from "../_errors.ts";
import { cannotAdd } from "./_describe.ts";
import { encodeEntryName, isDirectoryName } from "./_entry_name.ts";
import { extendedTimestampExtra } from "./_extra_fields.ts";
import {
  type EntryEncryption,
  entryEncryption,
  type EntryPasswordCache,
} from "./_entry_encryption.ts";
import { aesExtraField, METHOD_AES } from "./_winzip_aes_extra.ts";
import type { CompressionMethod, ZipEntry } from "./zip_entry.ts";
import { encodeUtf8 } from "./_utf8.ts";

const MILLISECONDS_PER_SECOND = 1000;
/** The range of a JavaScript `Date` (ECMA-262 21.4.1.22). */
const MAX_EPOCH_MILLISECONDS = 8.64e15;
/** The highest deflate level. */
export const MAX_LEVEL = 9;
const NO_BYTES = new Uint8Array(0);
const NON_ASCII = /[\u0080-\uffff]/;

/** Archive-wide defaults, already validated. */
export interface EntryDefaults {
  readonly compression: CompressionMethod;
  readonly level: number;
  readonly lastModified: number;
  /** Packs times into DOS fields in the archive's time zone. */
  readonly clock: DosClock;
  /** The archive's password and AE version; `undefined` without a password. */
  readonly encryption: EntryEncryption | undefined;
  /** The AE version of entries that bring their own password. */
  readonly aesVersion: EntryEncryption["version"];
  /** The last password an entry brought, encoded. */
  readonly entryPasswords: EntryPasswordCache;
}

/** An entry ready to be written. */
export interface ResolvedEntry {
  readonly name: string;
  /** The entry's position in the entry source, from 0. */
  readonly index: number;
  readonly isDirectory: boolean;
  readonly body: EntryBody;
  /** The uncompressed size, when known before reading: declared, or from the data. */
  readonly size: number | undefined;
  /** The CRC-32, when the caller declared it. */
  readonly crc32: number | undefined;
  readonly compression: CompressionMethod;
  readonly level: number;
  readonly nameBytes: Uint8Array;
  readonly commentBytes: Uint8Array;
  readonly utf8: boolean;
  readonly dosDate: number;
  readonly dosTime: number;
  readonly timestampExtra: Uint8Array;
  readonly externalAttributes: number;
  /** ZIP64 local fields were asked for, whatever the size. */
  readonly zip64: boolean;
  /** How the entry's data is encrypted; `undefined` for plain data. */
  readonly encryption: EntryEncryption | undefined;
}

/**
 * Checks every field of `entry` and fills in the defaults. Each field of
 * `entry` is read exactly once, so a getter cannot make the value checked
 * differ from the value written.
 *
 * @param position The entry's index in the entry source, named in errors
 * that cannot name the entry itself.
 * @throws {TypeError} for a value of the wrong kind.
 * @throws {RangeError} for a value out of range.
 */
export function resolveEntry(
  entry: ZipEntry,
  defaults: EntryDefaults,
  position: number,
): ResolvedEntry {
  if (typeof entry !== "object" || entry === null) {
    throw new TypeError(
      `Cannot add the entry at index ${position} to the archive: expected an object with a name but received ${
        describeValue(entry)
      }`,
    );
  }
  const {
    name,
    data,
    size: declaredSize,
    crc32: declaredCrc,
    lastModified = defaults.lastModified,
    compression = defaults.compression,
    level = defaults.level,
    comment = "",
    mode,
    zip64 = false,
    password,
  } = entry;
  if (typeof name !== "string") {
    throw new TypeError(
      `Cannot add the entry at index ${position} to the archive: expected its name to be a string but received ${
        describeValue(name)
      }`,
    );
  }
  const nameBytes = encodeEntryName(name);
  const isDirectory = isDirectoryName(name);
  const body = entryBody(name, data);
  const knownSize = body.kind === "bytes" ? body.bytes.length : body.size;
  if (isDirectory && (knownSize ?? 0) !== 0) {
    throw new TypeError(
      `${
        cannotAdd(name)
      }: a directory cannot have data, but ${knownSize} bytes were given`,
    );
  }
  if (declaredSize !== undefined) {
    checkSize(name, declaredSize);
    if (knownSize !== undefined && knownSize !== declaredSize) {
      throw new RangeError(
        `${
          cannotAdd(name)
        }: declared size ${declaredSize} but the data holds ${knownSize} bytes`,
      );
    }
  }
  if (declaredCrc !== undefined) checkCrc(name, declaredCrc);
  checkCompression(name, compression);
  checkLevel(name, level);
  if (typeof comment !== "string") {
    throw new TypeError(
      `${cannotAdd(name)}: expected its comment to be a string but received ${
        describeValue(comment)
      }`,
    );
  }
  if (!comment.isWellFormed()) {
    throw new TypeError(
      `${cannotAdd(name)}: a comment cannot contain a lone UTF-16 surrogate`,
    );
  }
  if (typeof zip64 !== "boolean") {
    throw new TypeError(
      `${cannotAdd(name)}: expected zip64 to be a boolean but received ${
        describeValue(zip64)
      }`,
    );
  }
  const commentBytes = comment === "" ? NO_BYTES : encodeUtf8(comment);
  if (commentBytes.length > UINT16_MAX) {
    throw new RangeError(
      `${
        cannotAdd(name)
      }: expected a comment of at most ${UINT16_MAX} bytes of UTF-8 but received ${commentBytes.length}`,
    );
  }
  const time = timeFields(name, lastModified, defaults.clock);
  const attributes = externalAttributes(name, isDirectory, mode);
  // Directories and links stay plain, as 7-Zip writes them: a directory has
  // no data, and a link's target must stay readable for extractors that
  // restore links.
  const plain = isDirectory ||
    ((attributes >>> EXTERNAL_ATTRIBUTES_MODE_SHIFT) & S_IFMT) === S_IFLNK;
  return {
    name,
    index: position,
    isDirectory,
    body,
    size: declaredSize ?? knownSize,
    crc32: declaredCrc,
    compression,
    level,
    nameBytes,
    commentBytes,
    utf8: NON_ASCII.test(name) || NON_ASCII.test(comment),
    ...time,
    externalAttributes: attributes,
    zip64,
    encryption: entryEncryption(name, password, defaults, plain),
  };
}

/** The header fields of `entry` once its method and layout are chosen. */
export function entryFields(
  entry: ResolvedEntry,
  method: Method,
  usesDataDescriptor: boolean,
): EntryFields {
  const { encryption } = entry;
  return {
    nameBytes: entry.nameBytes,
    commentBytes: entry.commentBytes,
    flags: (entry.utf8 ? FLAG_UTF8 : 0) |
      (usesDataDescriptor ? FLAG_DATA_DESCRIPTOR : 0) |
      (encryption === undefined ? 0 : FLAG_ENCRYPTED),
    method: encryption === undefined ? method : METHOD_AES,
    dosDate: entry.dosDate,
    dosTime: entry.dosTime,
    timestampExtra: entry.timestampExtra,
    externalAttributes: entry.externalAttributes,
    aesExtra: encryption === undefined
      ? NO_BYTES
      : aesExtraField(encryption.version, method),
  };
}

/** Checks an archive-wide or entry compression method. */
export function checkCompression(
  name: string | undefined,
  value: unknown,
): void {
  if (value !== "store" && value !== "deflate") {
    throw new TypeError(
      `${
        subject(name, "compression")
      }: expected "store" or "deflate" but received ${describeValue(value)}`,
    );
  }
}

/** Checks an archive-wide or entry deflate level. */
export function checkLevel(name: string | undefined, value: unknown): void {
  if (
    !Number.isInteger(value) || (value as number) < 0 ||
    (value as number) > MAX_LEVEL
  ) {
    throw new RangeError(
      `${
        subject(name, "level")
      }: expected an integer from 0 to ${MAX_LEVEL} but received ${
        describeValue(value)
      }`,
    );
  }
}

/** Turns a `lastModified` value into epoch milliseconds. */
export function epochMilliseconds(
  name: string | undefined,
  value: unknown,
): number {
  const milliseconds = value instanceof Date ? value.getTime() : value;
  if (typeof milliseconds !== "number" || !Number.isFinite(milliseconds)) {
    throw new TypeError(
      `${
        subject(name, "lastModified")
      }: expected a valid Date or epoch milliseconds but received ${
        describeValue(value)
      }`,
    );
  }
  if (Math.abs(milliseconds) > MAX_EPOCH_MILLISECONDS) {
    throw new RangeError(
      `${
        subject(name, "lastModified")
      }: expected a time from -8.64e15 to 8.64e15 epoch milliseconds (a date from year -271821 to 275760) but received ${milliseconds}`,
    );
  }
  return milliseconds;
}

function subject(name: string | undefined, option: string): string {
  return name === undefined
    ? `Cannot create the archive: invalid option ${option}`
    : `${cannotAdd(name)}: invalid ${option}`;
}

function checkSize(name: string, size: unknown): void {
  if (!Number.isSafeInteger(size) || (size as number) < 0) {
    throw new RangeError(
      `${
        cannotAdd(name)
      }: expected size to be a non-negative safe integer but received ${
        describeValue(size)
      }`,
    );
  }
}

function checkCrc(name: string, crc: unknown): void {
  if (
    !Number.isInteger(crc) || (crc as number) < 0 ||
    (crc as number) > UINT32_MAX
  ) {
    throw new RangeError(
      `${
        cannotAdd(name)
      }: expected crc32 to be an integer from 0 to 0xffffffff but received ${
        describeValue(crc)
      }`,
    );
  }
}

let lastTime:
  | { milliseconds: number; clock: DosClock; fields: TimeFields }
  | undefined;

interface TimeFields {
  dosDate: number;
  dosTime: number;
  timestampExtra: Uint8Array;
}

function timeFields(
  name: string,
  lastModified: unknown,
  clock: DosClock,
): TimeFields {
  const milliseconds = epochMilliseconds(name, lastModified);
  // Most entries share the archive's default time: compute its fields once.
  if (lastTime?.milliseconds === milliseconds && lastTime.clock === clock) {
    return lastTime.fields;
  }
  const seconds = Math.floor(milliseconds / MILLISECONDS_PER_SECOND);
  const { date, time } = clock.fields(milliseconds);
  const fields = {
    dosDate: date,
    dosTime: time,
    // The extended timestamp is a 32-bit count of seconds that Info-ZIP
    // reads as signed but 7-Zip as unsigned (1969 would show as 2096), so
    // only 1970-2038 is written; outside it the DOS fields stand alone.
    timestampExtra: seconds >= 0 && seconds <= INT32_MAX
      ? extendedTimestampExtra(seconds)
      : NO_BYTES,
  };
  lastTime = { milliseconds, clock, fields };
  return fields;
}

function externalAttributes(
  name: string,
  isDirectory: boolean,
  mode: unknown = isDirectory ? DEFAULT_DIRECTORY_MODE : DEFAULT_FILE_MODE,
): number {
  if (
    !Number.isInteger(mode) || (mode as number) < 0 ||
    (mode as number) > MAX_MODE
  ) {
    throw new RangeError(
      `${
        cannotAdd(name)
      }: expected mode to be an integer from 0 to 0o177777 but received ${
        describeValue(mode)
      }`,
    );
  }
  let unixMode = mode as number;
  if ((unixMode & S_IFMT) === 0) unixMode |= isDirectory ? S_IFDIR : S_IFREG;
  const dosAttributes = isDirectory ? MSDOS_DIRECTORY_ATTRIBUTE : 0;
  // The shift can reach bit 31, so the result is made unsigned.
  return ((unixMode << EXTERNAL_ATTRIBUTES_MODE_SHIFT) | dosAttributes) >>> 0;
}
