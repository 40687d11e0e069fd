/**
 * The per-entry values that the local and central headers share.
 *
 * @module
 */

import type { METHOD_DEFLATE, METHOD_STORE } from "./_constants.ts";

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
  /** Compression method (4.4.5). */
  readonly method: Method;
  /** MS-DOS date (4.4.6). */
  readonly dosDate: number;
  /** MS-DOS time (4.4.6). */
  readonly dosTime: number;
  /** The extended timestamp extra field, or no bytes when the time does not fit it. */
  readonly timestampExtra: Uint8Array;
  /** External file attributes (4.4.15): Unix mode and MS-DOS bits. */
  readonly externalAttributes: number;
}
