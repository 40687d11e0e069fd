/**
 * Streaming WinZip AES-256 encryption of one entry's data (APPNOTE 7.2 and
 * the WinZip AE-x specification). The stored data of an encrypted entry is
 *
 *     salt (16) ‖ password verifier (2) ‖ encrypted data ‖ authentication code (10)
 *
 * where the data is encrypted with AES-256 in WinZip's counter mode and the
 * authentication code is HMAC-SHA1 over the encrypted data, truncated.
 *
 * @module
 */

import { AES_256_KEY_LENGTH } from "./_aes256.ts";
import { WinZipAesCtr } from "./_winzip_aes_ctr.ts";
import {
  defaultAesEngine,
  type IncrementalMac,
  type WinZipAesEngine,
} from "./_winzip_aes_engine.ts";
import {
  WINZIP_AES_256_KEY_LENGTH,
  WINZIP_AES_256_SALT_LENGTH,
  WINZIP_AES_VERIFIER_LENGTH,
  type WinZipKeys,
} from "./_winzip_aes_keys.ts";

/** Length of the truncated HMAC-SHA1 written after the data (AE spec). */
export const WINZIP_AES_AUTH_CODE_LENGTH = 10;
/** Bytes an AES-256 entry stores beyond its (compressed) data: 16 + 2 + 10. */
export const WINZIP_AES_256_OVERHEAD = WINZIP_AES_256_SALT_LENGTH +
  WINZIP_AES_VERIFIER_LENGTH + WINZIP_AES_AUTH_CODE_LENGTH;

function checkKeys(keys: WinZipKeys, action: string): void {
  for (
    const [name, key] of [
      ["encryptionKey", keys.encryptionKey],
      ["authenticationKey", keys.authenticationKey],
    ] as const
  ) {
    if (key.length !== WINZIP_AES_256_KEY_LENGTH) {
      throw new RangeError(
        `Cannot ${action}: expected a ${AES_256_KEY_LENGTH}-byte ${name} but received ${key.length} bytes`,
      );
    }
  }
}

/** The shared state of both directions: keystream, MAC, and whether done. */
class CtrState {
  ctr: WinZipAesCtr;
  mac: IncrementalMac;
  finished = false;

  constructor(keys: WinZipKeys, engine: WinZipAesEngine, action: string) {
    checkKeys(keys, action);
    this.ctr = new WinZipAesCtr(engine.keystream(keys.encryptionKey));
    this.mac = engine.hmacSha1(keys.authenticationKey);
  }

  assertOpen(action: string): void {
    if (this.finished) {
      throw new TypeError(
        `Cannot ${action}: expected an unfinished entry but finish() was already called`,
      );
    }
  }

  authCode(): Uint8Array {
    this.finished = true;
    return this.mac.digest().slice(0, WINZIP_AES_AUTH_CODE_LENGTH);
  }
}

/**
 * Encrypts one entry's data chunk by chunk. The caller writes the salt and
 * `keys.verifier` first, then every `update` result, then `finish()`.
 *
 * @example Encrypt, then decrypt and authenticate
 * ```ts
 * import assert from "node:assert/strict";
 * import { deriveWinZipKeys, randomWinZipSalt } from "./_winzip_aes_keys.ts";
 * import { WinZipAesDecryptor, WinZipAesEncryptor } from "./_winzip_aes.ts";
 *
 * const keys = await deriveWinZipKeys(new TextEncoder().encode("secret"), randomWinZipSalt());
 * const encryptor = new WinZipAesEncryptor(keys);
 * const sealed = [encryptor.update(new Uint8Array([1, 2, 3])), encryptor.update(new Uint8Array([4]))];
 * const authCode = encryptor.finish();
 * const decryptor = new WinZipAesDecryptor(keys);
 * assert.deepEqual([...decryptor.update(sealed[0]!), ...decryptor.update(sealed[1]!)], [1, 2, 3, 4]);
 * decryptor.finish(authCode);
 * ```
 */
export class WinZipAesEncryptor {
  #state: CtrState;

  /**
   * @param keys The entry's keys from `deriveWinZipKeys`.
   * @param engine Where AES and HMAC come from; tests pass the portable one.
   * @throws {RangeError} If a key is not 32 bytes long.
   */
  constructor(keys: WinZipKeys, engine: WinZipAesEngine = defaultAesEngine) {
    this.#state = new CtrState(keys, engine, "start WinZip AES encryption");
  }

  /**
   * Encrypts the next `chunk` of the entry's data, of any length.
   *
   * @returns The encrypted bytes, as many as `chunk` has.
   * @throws {TypeError} If `finish` has been called.
   */
  update(chunk: Uint8Array): Uint8Array {
    this.#state.assertOpen("encrypt more data");
    const encrypted = this.#state.ctr.transform(chunk);
    this.#state.mac.update(encrypted);
    return encrypted;
  }

  /**
   * Ends the entry.
   *
   * @returns The 10-byte authentication code to write after the data.
   * @throws {TypeError} If `finish` has already been called.
   */
  finish(): Uint8Array {
    this.#state.assertOpen("finish WinZip AES encryption");
    return this.#state.authCode();
  }
}

/**
 * Decrypts one entry's data chunk by chunk and checks its authentication
 * code; the counterpart of {@linkcode WinZipAesEncryptor}.
 */
export class WinZipAesDecryptor {
  #state: CtrState;

  /**
   * @param keys The entry's keys from `deriveWinZipKeys`.
   * @param engine Where AES and HMAC come from.
   * @throws {RangeError} If a key is not 32 bytes long.
   */
  constructor(keys: WinZipKeys, engine: WinZipAesEngine = defaultAesEngine) {
    this.#state = new CtrState(keys, engine, "start WinZip AES decryption");
  }

  /**
   * Decrypts the next `chunk` of encrypted data, of any length.
   *
   * @returns The plain bytes, as many as `chunk` has.
   * @throws {TypeError} If `finish` has been called.
   */
  update(chunk: Uint8Array): Uint8Array {
    this.#state.assertOpen("decrypt more data");
    this.#state.mac.update(chunk);
    return this.#state.ctr.transform(chunk);
  }

  /**
   * Ends the entry and compares the authentication code in constant time.
   *
   * @param authCode The 10 bytes stored after the encrypted data.
   * @throws {Error} If the code does not match: wrong keys or altered data.
   * @throws {TypeError} If `finish` has already been called.
   */
  finish(authCode: Uint8Array): void {
    this.#state.assertOpen("finish WinZip AES decryption");
    const computed = this.#state.authCode();
    let difference = authCode.length ^ computed.length;
    for (let i = 0; i < computed.length; i++) {
      difference |= computed[i]! ^ (authCode[i] ?? 0);
    }
    if (difference !== 0) {
      throw new Error(
        `Cannot authenticate WinZip AES data: expected authentication code ${
          hex(computed)
        } but received ${hex(authCode)}`,
      );
    }
  }
}

/**
 * Whether `stored` is the password verification value of `keys`: a wrong
 * password is caught here with a 1 in 65,536 chance of slipping through, and
 * then by the authentication code.
 */
export function verifierMatches(
  keys: WinZipKeys,
  stored: Uint8Array,
): boolean {
  return stored.length === WINZIP_AES_VERIFIER_LENGTH &&
    stored[0] === keys.verifier[0] && stored[1] === keys.verifier[1];
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join(
    "",
  );
}
