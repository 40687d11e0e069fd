/**
 * The per-entry values that the local and central headers share.
 *
 * @module
 */

import {
  type METHOD_DEFLATE,
  type METHOD_STORE,
  VERSION_NEEDED_DEFAULT,
  VERSION_NEEDED_ZIP64,
} from "./_constants.ts";
import { type METHOD_AES, VERSION_NEEDED_AES } from "./_winzip_aes_extra.ts";

/** The compression methods zipstream writes (4.4.5). */
export type Method = typeof METHOD_STORE | typeof METHOD_DEFLATE;

/** What both headers of one entry say, apart from CRC, sizes and offset. */
export interface EntryFields {
  /** The name, UTF-8 encoded. */
  readonly nameBytes: Uint8Array;
  /** The entry comment, UTF-8 encoded (central directory only). */
  readonly commentBytes: Uint8Array;
  /** General purpose bit flag (4.4.4). */
  readonly flags: number;
  /**
   * Compression method (4.4.5) as the headers say it: 99 for an encrypted
   * entry, whose real method is in its AES extra field.
   */
  readonly method: Method | typeof METHOD_AES;
  /** MS-DOS date (4.4.6). */
  readonly dosDate: number;
  /** MS-DOS time (4.4.6). */
  readonly dosTime: number;
  /** The extended timestamp extra field, or no bytes when the time does not fit it. */
  readonly timestampExtra: Uint8Array;
  /** External file attributes (4.4.15): Unix mode and MS-DOS bits. */
  readonly externalAttributes: number;
  /** The WinZip AES extra field of an encrypted entry, or no bytes. */
  readonly aesExtra: Uint8Array;
}

/**
 * Version needed to extract (4.4.3): 5.1 for AES encryption, which readers
 * that know AES also know ZIP64 by; else 4.5 for ZIP64, else 2.0.
 */
export function versionNeeded(fields: EntryFields, zip64: boolean): number {
  if (fields.aesExtra.length > 0) return VERSION_NEEDED_AES;
  return zip64 ? VERSION_NEEDED_ZIP64 : VERSION_NEEDED_DEFAULT;
}
