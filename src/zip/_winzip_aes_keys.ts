/**
 * WinZip AES key derivation (APPNOTE 7.2 and the WinZip AE-x specification):
 * PBKDF2-HMAC-SHA1 with 1,000 iterations turns the password and a per-entry
 * salt into the encryption key, the authentication key and the 2-byte
 * password verification value. AES-256 (strength 3) only.
 *
 * @module
 */

import { pbkdf2HmacSha1 } from "./_pbkdf2.ts";

/** Salt length of AES-256 entries (AE spec, "Salt value"; strength 3). */
export const WINZIP_AES_256_SALT_LENGTH = 16;
/** Length of the AES-256 encryption key and of the HMAC-SHA1 key. */
export const WINZIP_AES_256_KEY_LENGTH = 32;
/** Length of the password verification value stored after the salt. */
export const WINZIP_AES_VERIFIER_LENGTH = 2;
/** PBKDF2 iteration count fixed by the AE spec. */
export const WINZIP_AES_ITERATIONS = 1000;

/** The keys of one WinZip AES entry. */
export interface WinZipKeys {
  /** The 32-byte AES-256 key of the counter mode. */
  encryptionKey: Uint8Array;
  /** The 32-byte HMAC-SHA1 key of the authentication code. */
  authenticationKey: Uint8Array;
  /** The 2 bytes written after the salt so a reader can reject a wrong password early. */
  verifier: Uint8Array;
}

/**
 * Derives the keys of a WinZip AES-256 entry from `password` and `salt` with
 * WebCrypto's PBKDF2 (a portable one where `crypto.subtle` is missing).
 *
 * @param password The password bytes; WinZip and 7-Zip use the UTF-8 bytes.
 * @param salt The entry's 16-byte salt.
 * @returns The encryption key, authentication key and verifier.
 * @throws {RangeError} If the salt is not 16 bytes long.
 */
export async function deriveWinZipKeys(
  password: Uint8Array,
  salt: Uint8Array,
): Promise<WinZipKeys> {
  if (salt.length !== WINZIP_AES_256_SALT_LENGTH) {
    throw new RangeError(
      `Cannot derive WinZip AES-256 keys: expected a ${WINZIP_AES_256_SALT_LENGTH}-byte salt but received ${salt.length} bytes`,
    );
  }
  const derived = await pbkdf2HmacSha1(
    password,
    salt,
    WINZIP_AES_ITERATIONS,
    2 * WINZIP_AES_256_KEY_LENGTH + WINZIP_AES_VERIFIER_LENGTH,
  );
  return {
    encryptionKey: derived.slice(0, WINZIP_AES_256_KEY_LENGTH),
    authenticationKey: derived.slice(
      WINZIP_AES_256_KEY_LENGTH,
      2 * WINZIP_AES_256_KEY_LENGTH,
    ),
    verifier: derived.slice(2 * WINZIP_AES_256_KEY_LENGTH),
  };
}

/**
 * A fresh random salt for one AES-256 entry. The AE spec requires a salt
 * never reused with the same password, which random 16 bytes give.
 *
 * @returns 16 bytes from `crypto.getRandomValues`.
 */
export function randomWinZipSalt(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(WINZIP_AES_256_SALT_LENGTH));
}
