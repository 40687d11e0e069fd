/**
 * PBKDF2-HMAC-SHA1 (RFC 8018 section 5.2), the key derivation of WinZip AES:
 * WebCrypto's where the runtime offers `crypto.subtle`, and a portable one for
 * contexts without it (browser pages served over plain HTTP).
 *
 * @module
 */

import { HmacSha1, SHA1_LENGTH } from "./_winzip_aes_hmac_sha1.ts";

/**
 * Each password array's WebCrypto key, imported once: an archive derives
 * keys for every entry from the same password, and an import costs about as
 * much as a tenth of a derivation. Keyed by the array itself, which the
 * callers never write to after giving it.
 */
const importedKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>();

/** The largest iteration count accepted: far beyond any real use. */
const MAX_ITERATIONS = 2 ** 32 - 1;

function validate(iterations: number, length: number): void {
  if (
    !Number.isSafeInteger(iterations) || iterations < 1 ||
    iterations > MAX_ITERATIONS
  ) {
    throw new RangeError(
      `Cannot derive a PBKDF2 key: expected an iteration count from 1 to ${MAX_ITERATIONS} but received ${iterations}`,
    );
  }
  if (!Number.isSafeInteger(length) || length < 1) {
    throw new RangeError(
      `Cannot derive a PBKDF2 key: expected a positive whole number of bytes but received ${length}`,
    );
  }
}

/**
 * Derives `length` bytes from `password` and `salt` with PBKDF2-HMAC-SHA1,
 * using WebCrypto when it is available and the portable implementation
 * otherwise.
 *
 * @param password The password bytes (WinZip uses them as given), not
 *   written to afterwards: their WebCrypto key is kept for the next call.
 * @param salt The salt.
 * @param iterations The iteration count.
 * @param length How many bytes to derive.
 * @returns The derived bytes.
 * @throws {RangeError} If `iterations` or `length` is not a positive integer.
 */
export async function pbkdf2HmacSha1(
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  length: number,
): Promise<Uint8Array> {
  validate(iterations, length);
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) {
    return pbkdf2HmacSha1Portable(password, salt, iterations, length);
  }
  let key = importedKeys.get(password);
  if (key === undefined) {
    key = subtle.importKey(
      "raw",
      new Uint8Array(password),
      "PBKDF2",
      false,
      ["deriveBits"],
    );
    importedKeys.set(password, key);
  }
  const bits = await subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-1", salt: new Uint8Array(salt), iterations },
    await key,
    length * 8,
  );
  return new Uint8Array(bits);
}

/**
 * PBKDF2-HMAC-SHA1 in portable TypeScript; the same bytes as
 * {@linkcode pbkdf2HmacSha1}, synchronously.
 *
 * @param password The password bytes.
 * @param salt The salt.
 * @param iterations The iteration count.
 * @param length How many bytes to derive.
 * @returns The derived bytes.
 * @throws {RangeError} If `iterations` or `length` is not a positive integer.
 */
export function pbkdf2HmacSha1Portable(
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  length: number,
): Uint8Array {
  validate(iterations, length);
  const output = new Uint8Array(length);
  const saltAndIndex = new Uint8Array(salt.length + 4);
  saltAndIndex.set(salt);
  const view = new DataView(saltAndIndex.buffer);
  for (let block = 1, offset = 0; offset < length; block++) {
    // T_i = U_1 ^ U_2 ^ ... ^ U_c, U_1 = PRF(P, S || INT(i)), U_j = PRF(P, U_j-1)
    view.setUint32(salt.length, block);
    let u = new HmacSha1(password).update(saltAndIndex).digest();
    const t = u.slice();
    for (let j = 1; j < iterations; j++) {
      u = new HmacSha1(password).update(u).digest();
      for (let k = 0; k < SHA1_LENGTH; k++) t[k] = t[k]! ^ u[k]!;
    }
    const take = Math.min(SHA1_LENGTH, length - offset);
    output.set(t.subarray(0, take), offset);
    offset += take;
  }
  return output;
}
