/**
 * The header values of a WinZip AES entry (APPNOTE 7.2 and the WinZip AE-x
 * specification): compression method 99, version 5.1, and the AES extra
 * field (0x9901) that carries the AE version, the key strength and the
 * entry's real compression method.
 *
 * @module
 */

import { recordBytes } from "./_byte_writer.ts";
import { EXTRA_FIELD_HEADER_LENGTH } from "./_constants.ts";
import type { Method } from "./_entry_fields.ts";

/** APPNOTE 4.4.5: compression method 99 marks AE-x encryption. */
export const METHOD_AES = 99;
/** APPNOTE 4.4.3: AES encryption needs version 5.1 to extract. */
export const VERSION_NEEDED_AES = 51;
/** AE spec: the AES extra field's header ID. */
const AES_EXTRA_ID = 0x9901;
/** Vendor version, vendor ID, strength and method. */
const AES_EXTRA_DATA_LENGTH = 7;
/** The whole AES extra field, header included. */
const AES_EXTRA_LENGTH = EXTRA_FIELD_HEADER_LENGTH +
  AES_EXTRA_DATA_LENGTH;
/** AE spec: vendor ID "AE", as the little-endian 16-bit value of its bytes. */
const AES_VENDOR_ID = 0x4541;
/** AE spec: strength 3 is AES-256. */
const AES_256_STRENGTH = 3;

/**
 * The AE version: 1 keeps the real CRC-32 in the headers, 2 writes 0 there
 * so that the CRC of a short file does not give its content away, leaving
 * the authentication code to check the data.
 */
export type AesVersion = 1 | 2;

const extras = new Map<number, Uint8Array>();

/**
 * The AES extra field of an AES-256 entry, the same bytes in the local and
 * central headers. There are four possible fields: each is built once.
 */
export function aesExtraField(version: AesVersion, method: Method): Uint8Array {
  const key = version << 8 | method;
  let extra = extras.get(key);
  if (extra === undefined) {
    extra = recordBytes(AES_EXTRA_LENGTH, (writer) =>
      writer
        .uint16(AES_EXTRA_ID) // header ID
        .uint16(AES_EXTRA_DATA_LENGTH) // data size
        .uint16(version) // vendor version: AE-1 or AE-2
        .uint16(AES_VENDOR_ID) // vendor ID: "AE"
        .uint8(AES_256_STRENGTH) // encryption strength
        .uint16(method)); // actual compression method
    extras.set(key, extra);
  }
  return extra;
}
