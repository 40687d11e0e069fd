/**
 * The salt of each encrypted entry: random by default, or derived from a
 * key and the entry (`ZipOptions.saltKey`) so that the same inputs give the
 * same archive bytes, which resuming and serving ranges need.
 *
 * @module
 */

import { encodeUtf8 } from "./_utf8.ts";
import {
  randomWinZipSalt,
  WINZIP_AES_256_SALT_LENGTH,
} from "./_winzip_aes_keys.ts";

/**
 * Separates these salts from any other use of the same key with HMAC-SHA-256
 * (a key should serve one purpose, but callers may not know that).
 */
const DOMAIN = encodeUtf8("zipstream WinZip AES-256 salt\0");
const INDEX_LENGTH = 8;

/** Where each entry's salt comes from. */
export class EntrySalts {
  // A copy: the caller may reuse its array once the archive has started.
  #saltKey: Uint8Array<ArrayBuffer> | undefined;
  #key: Promise<CryptoKey> | undefined;

  /**
   * @param saltKey The key salts are derived from; `undefined` for random
   * salts.
   * @throws {TypeError} With a key, where WebCrypto is missing.
   */
  constructor(saltKey: Uint8Array | undefined) {
    if (saltKey !== undefined && globalThis.crypto?.subtle === undefined) {
      throw new TypeError(
        "Cannot create the archive: invalid option saltKey: deriving salts needs WebCrypto (crypto.subtle), which this context lacks (a browser page served over plain HTTP); expected no saltKey here",
      );
    }
    this.#saltKey = saltKey?.slice();
  }

  /** Whether the salts are derived, and so the same on every run. */
  get derived(): boolean {
    return this.#saltKey !== undefined;
  }

  /**
   * The salt of the entry at `index` named `nameBytes`: the first 16 bytes
   * of HMAC-SHA-256(saltKey, domain ‖ index ‖ name), or 16 random bytes.
   * The index is part of it so that the salts of entries differ even if a
   * name came back; the name so that a changed entry list changes them.
   */
  async salt(index: number, nameBytes: Uint8Array): Promise<Uint8Array> {
    if (this.#saltKey === undefined) return randomWinZipSalt();
    // Imported when the first encrypted entry needs it, not before:
    // `predictLength` resolves the same options and derives no salt.
    this.#key ??= crypto.subtle.importKey(
      "raw",
      this.#saltKey,
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const message = new Uint8Array(
      DOMAIN.length + INDEX_LENGTH + nameBytes.length,
    );
    message.set(DOMAIN);
    new DataView(message.buffer).setBigUint64(
      DOMAIN.length,
      BigInt(index),
      true,
    );
    message.set(nameBytes, DOMAIN.length + INDEX_LENGTH);
    const mac = await crypto.subtle.sign("HMAC", await this.#key, message);
    return new Uint8Array(mac, 0, WINZIP_AES_256_SALT_LENGTH).slice();
  }
}
