/**
 * Portable, incremental SHA-1 (FIPS 180-4 section 6.1) and HMAC-SHA1
 * (RFC 2104), the authentication code of WinZip AES. WebCrypto's HMAC signs a
 * whole message at once, so it cannot follow an entry as it streams; this is
 * the fallback where the runtime has no `node:crypto` (browsers).
 *
 * @module
 */

/** SHA-1 digest length in bytes. */
export const SHA1_LENGTH = 20;
/** SHA-1 block length in bytes, which is also HMAC's key block. */
export const SHA1_BLOCK_LENGTH = 64;
/** Bytes of the message length at the end of the padding. */
const LENGTH_FIELD_LENGTH = 8;
const INITIAL_STATE = [
  0x67452301,
  0xefcdab89,
  0x98badcfe,
  0x10325476,
  0xc3d2e1f0,
] as const;
/** The round constants of FIPS 180-4 4.2.1, one per 20 rounds. */
const K0 = 0x5a827999;
const K1 = 0x6ed9eba1;
const K2 = 0x8f1bbcdc;
const K3 = 0xca62c1d6;
const INNER_PAD = 0x36;
const OUTER_PAD = 0x5c;

/** SHA-1 over bytes given in any number of `update` calls. */
export class Sha1 {
  #state = Int32Array.from(INITIAL_STATE);
  #schedule = new Int32Array(80);
  #block = new Uint8Array(SHA1_BLOCK_LENGTH);
  #blockLength = 0;
  #messageLength = 0;
  #finished = false;

  /**
   * Adds `data` to the message.
   *
   * @throws {TypeError} If `digest` has already been called.
   */
  update(data: Uint8Array): this {
    if (this.#finished) {
      throw new TypeError(
        "Cannot add data to a SHA-1 hash: expected an unfinished hash but digest() was already called",
      );
    }
    this.#messageLength += data.length;
    let i = 0;
    if (this.#blockLength > 0) {
      i = Math.min(data.length, SHA1_BLOCK_LENGTH - this.#blockLength);
      this.#block.set(data.subarray(0, i), this.#blockLength);
      this.#blockLength += i;
      if (this.#blockLength < SHA1_BLOCK_LENGTH) return this;
      this.#compress(this.#block, 0);
      this.#blockLength = 0;
    }
    for (; i + SHA1_BLOCK_LENGTH <= data.length; i += SHA1_BLOCK_LENGTH) {
      this.#compress(data, i);
    }
    this.#block.set(data.subarray(i));
    this.#blockLength = data.length - i;
    return this;
  }

  /** Pads the message (FIPS 180-4 5.1.1) and returns the 20-byte digest. */
  digest(): Uint8Array {
    if (this.#finished) {
      throw new TypeError(
        "Cannot finish a SHA-1 hash: expected an unfinished hash but digest() was already called",
      );
    }
    const bitLength = this.#messageLength * 8;
    const padding = new Uint8Array(
      ((this.#blockLength + 1 + LENGTH_FIELD_LENGTH <= SHA1_BLOCK_LENGTH)
        ? SHA1_BLOCK_LENGTH
        : 2 * SHA1_BLOCK_LENGTH) - this.#blockLength,
    );
    padding[0] = 0x80;
    const view = new DataView(padding.buffer);
    view.setUint32(
      padding.length - 8,
      Math.floor(bitLength / 2 ** 32),
    );
    view.setUint32(padding.length - 4, bitLength >>> 0);
    this.update(padding);
    this.#finished = true;
    const digest = new Uint8Array(SHA1_LENGTH);
    const out = new DataView(digest.buffer);
    for (let i = 0; i < 5; i++) out.setInt32(4 * i, this.#state[i]!);
    return digest;
  }

  /** Folds the 64-byte block at `data[offset]` into the state. */
  #compress(data: Uint8Array, offset: number): void {
    const w = this.#schedule;
    for (let t = 0; t < 16; t++) {
      const i = offset + 4 * t;
      w[t] = (data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) |
        data[i + 3]!;
    }
    for (let t = 16; t < 80; t++) {
      const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
      w[t] = (x << 1) | (x >>> 31);
    }
    const state = this.#state;
    let a = state[0]!;
    let b = state[1]!;
    let c = state[2]!;
    let d = state[3]!;
    let e = state[4]!;
    for (let t = 0; t < 80; t++) {
      let f: number;
      if (t < 20) f = ((b & c) | (~b & d)) + K0;
      else if (t < 40) f = (b ^ c ^ d) + K1;
      else if (t < 60) f = ((b & c) | (b & d) | (c & d)) + K2;
      else f = (b ^ c ^ d) + K3;
      const temp = (((a << 5) | (a >>> 27)) + f + e + w[t]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = temp;
    }
    state[0] = state[0]! + a;
    state[1] = state[1]! + b;
    state[2] = state[2]! + c;
    state[3] = state[3]! + d;
    state[4] = state[4]! + e;
  }
}

/**
 * SHA-1 of `data` in one call.
 *
 * @param data The message.
 * @returns The 20-byte digest.
 */
export function sha1(data: Uint8Array): Uint8Array {
  return new Sha1().update(data).digest();
}

/** HMAC-SHA1 (RFC 2104) over bytes given in any number of `update` calls. */
export class HmacSha1 {
  #inner = new Sha1();
  #outerKey: Uint8Array;

  /**
   * Starts an HMAC with `key`; keys longer than a SHA-1 block are hashed
   * first, as RFC 2104 section 2 says.
   */
  constructor(key: Uint8Array) {
    const block = new Uint8Array(SHA1_BLOCK_LENGTH);
    block.set(key.length > SHA1_BLOCK_LENGTH ? sha1(key) : key);
    const innerKey = block.map((byte) => byte ^ INNER_PAD);
    this.#outerKey = block.map((byte) => byte ^ OUTER_PAD);
    this.#inner.update(innerKey);
  }

  /** Adds `data` to the message. */
  update(data: Uint8Array): this {
    this.#inner.update(data);
    return this;
  }

  /** Returns the 20-byte authentication code. */
  digest(): Uint8Array {
    return new Sha1().update(this.#outerKey).update(this.#inner.digest())
      .digest();
  }
}
