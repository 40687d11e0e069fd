/**
 * A portable AES-256 block cipher (FIPS-197), encryption only: WinZip AES
 * runs AES in counter mode, which never needs the inverse cipher. Used where
 * the runtime has no `node:crypto` (browsers); the tables are derived at load
 * from the field arithmetic of FIPS-197 section 4 rather than written out.
 *
 * @module
 */

/** AES-256 key length in bytes (Nk = 8 words). */
export const AES_256_KEY_LENGTH = 32;
/** The AES block length in bytes. */
export const AES_BLOCK_LENGTH = 16;
/** Nr for a 256-bit key (FIPS-197 table 4). */
const ROUNDS = 14;
const KEY_WORDS = AES_256_KEY_LENGTH / 4;
const SCHEDULE_WORDS = 4 * (ROUNDS + 1);
/** The AES field polynomial x^8 + x^4 + x^3 + x + 1 (FIPS-197 4.2). */
const FIELD_POLYNOMIAL = 0x11b;
/** The constant of the S-box affine transformation (FIPS-197 5.1.1). */
const AFFINE_CONSTANT = 0x63;

/** Multiplies by x in GF(2^8) (FIPS-197 4.2.1, `xtime`). */
function xtime(byte: number): number {
  return byte & 0x80 ? (byte << 1) ^ FIELD_POLYNOMIAL : byte << 1;
}

/** The S-box: multiplicative inverse followed by the affine transformation. */
const SBOX = buildSbox();

function buildSbox(): Uint8Array {
  // 3 generates the multiplicative group, so powers of 3 walk every non-zero
  // element and 3^(255 - log x) is the inverse of x.
  const power = new Uint8Array(255);
  const log = new Uint8Array(256);
  let value = 1;
  for (let i = 0; i < 255; i++) {
    power[i] = value;
    log[value] = i;
    value ^= xtime(value);
  }
  const sbox = new Uint8Array(256);
  for (let x = 0; x < 256; x++) {
    const inverse = x === 0 ? 0 : power[(255 - log[x]!) % 255]!;
    let result = inverse;
    for (let shift = 1; shift <= 4; shift++) {
      result ^= ((inverse << shift) | (inverse >>> (8 - shift))) & 0xff;
    }
    sbox[x] = result ^ AFFINE_CONSTANT;
  }
  return sbox;
}

/**
 * Round tables: `T0[x]` is the MixColumns column of `SBOX[x]` in row 0, as a
 * big-endian word (2·s, s, s, 3·s); `T1`..`T3` are its byte rotations for rows
 * 1..3, so SubBytes, ShiftRows and MixColumns of one column are four lookups.
 */
const T0 = new Int32Array(256);
const T1 = new Int32Array(256);
const T2 = new Int32Array(256);
const T3 = new Int32Array(256);
for (let x = 0; x < 256; x++) {
  const s = SBOX[x]!;
  const s2 = xtime(s);
  const word = (s2 << 24) | (s << 16) | (s << 8) | (s2 ^ s);
  T0[x] = word;
  T1[x] = (word >>> 8) | (word << 24);
  T2[x] = (word >>> 16) | (word << 16);
  T3[x] = (word >>> 24) | (word << 8);
}

function subWord(word: number): number {
  return (SBOX[word >>> 24]! << 24) | (SBOX[(word >>> 16) & 0xff]! << 16) |
    (SBOX[(word >>> 8) & 0xff]! << 8) | SBOX[word & 0xff]!;
}

/** The AES-256 key schedule (FIPS-197 5.2) as 60 big-endian words. */
function expandKey(key: Uint8Array): Int32Array {
  const schedule = new Int32Array(SCHEDULE_WORDS);
  for (let i = 0; i < KEY_WORDS; i++) {
    schedule[i] = (key[4 * i]! << 24) | (key[4 * i + 1]! << 16) |
      (key[4 * i + 2]! << 8) | key[4 * i + 3]!;
  }
  let roundConstant = 1;
  for (let i = KEY_WORDS; i < SCHEDULE_WORDS; i++) {
    let word = schedule[i - 1]!;
    if (i % KEY_WORDS === 0) {
      word = subWord((word << 8) | (word >>> 24)) ^ (roundConstant << 24);
      roundConstant = xtime(roundConstant);
    } else if (i % KEY_WORDS === 4) {
      word = subWord(word);
    }
    schedule[i] = schedule[i - KEY_WORDS]! ^ word;
  }
  return schedule;
}

/** AES-256 encryption of single blocks with one expanded key. */
export class Aes256 {
  #schedule: Int32Array;

  /**
   * Expands `key` for encryption.
   *
   * @param key The 32-byte AES-256 key.
   * @throws {RangeError} If the key is not 32 bytes long.
   */
  constructor(key: Uint8Array) {
    if (key.length !== AES_256_KEY_LENGTH) {
      throw new RangeError(
        `Cannot expand an AES-256 key: expected ${AES_256_KEY_LENGTH} bytes but received ${key.length}`,
      );
    }
    this.#schedule = expandKey(key);
  }

  /**
   * Encrypts the 16-byte block at `input[inputOffset]` into
   * `output[outputOffset]`; the two may be the same bytes.
   */
  encryptBlock(
    input: Uint8Array,
    inputOffset: number,
    output: Uint8Array,
    outputOffset: number,
  ): void {
    const i = inputOffset;
    this.encryptWords(
      (input[i]! << 24) | (input[i + 1]! << 16) | (input[i + 2]! << 8) |
        input[i + 3]!,
      (input[i + 4]! << 24) | (input[i + 5]! << 16) | (input[i + 6]! << 8) |
        input[i + 7]!,
      (input[i + 8]! << 24) | (input[i + 9]! << 16) | (input[i + 10]! << 8) |
        input[i + 11]!,
      (input[i + 12]! << 24) | (input[i + 13]! << 16) |
        (input[i + 14]! << 8) | input[i + 15]!,
      output,
      outputOffset,
    );
  }

  /**
   * Encrypts the block whose four big-endian column words are `c0`..`c3` and
   * writes its 16 bytes to `output[offset]`. Counter mode builds its input
   * block as words, so it calls this directly.
   */
  encryptWords(
    c0: number,
    c1: number,
    c2: number,
    c3: number,
    output: Uint8Array,
    offset: number,
  ): void {
    const k = this.#schedule;
    let s0 = c0 ^ k[0]!;
    let s1 = c1 ^ k[1]!;
    let s2 = c2 ^ k[2]!;
    let s3 = c3 ^ k[3]!;
    let r = 4;
    for (let round = 1; round < ROUNDS; round++) {
      const t0 = T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 0xff]! ^
        T2[(s2 >>> 8) & 0xff]! ^ T3[s3 & 0xff]! ^ k[r]!;
      const t1 = T0[s1 >>> 24]! ^ T1[(s2 >>> 16) & 0xff]! ^
        T2[(s3 >>> 8) & 0xff]! ^ T3[s0 & 0xff]! ^ k[r + 1]!;
      const t2 = T0[s2 >>> 24]! ^ T1[(s3 >>> 16) & 0xff]! ^
        T2[(s0 >>> 8) & 0xff]! ^ T3[s1 & 0xff]! ^ k[r + 2]!;
      const t3 = T0[s3 >>> 24]! ^ T1[(s0 >>> 16) & 0xff]! ^
        T2[(s1 >>> 8) & 0xff]! ^ T3[s2 & 0xff]! ^ k[r + 3]!;
      s0 = t0;
      s1 = t1;
      s2 = t2;
      s3 = t3;
      r += 4;
    }
    // The last round has no MixColumns: S-box bytes only.
    writeLastRound(s0, s1, s2, s3, k[r]!, output, offset);
    writeLastRound(s1, s2, s3, s0, k[r + 1]!, output, offset + 4);
    writeLastRound(s2, s3, s0, s1, k[r + 2]!, output, offset + 8);
    writeLastRound(s3, s0, s1, s2, k[r + 3]!, output, offset + 12);
  }
}

/** One output column of the final round: SubBytes, ShiftRows, AddRoundKey. */
function writeLastRound(
  a: number,
  b: number,
  c: number,
  d: number,
  roundKey: number,
  output: Uint8Array,
  offset: number,
): void {
  output[offset] = SBOX[a >>> 24]! ^ (roundKey >>> 24);
  output[offset + 1] = SBOX[(b >>> 16) & 0xff]! ^ (roundKey >>> 16);
  output[offset + 2] = SBOX[(c >>> 8) & 0xff]! ^ (roundKey >>> 8);
  output[offset + 3] = SBOX[d & 0xff]! ^ roundKey;
}
