/**
 * The primitives of WinZip AES, AES-256 keystream blocks and incremental
 * HMAC-SHA1, from one of two engines: the runtime's `node:crypto` where there
 * is one (Deno, Node, Bun), found without importing `node:` modules so that
 * this file still loads in browsers and workers; the portable TypeScript
 * implementations otherwise. Both give the same bytes.
 *
 * @module
 */

import { Aes256, AES_BLOCK_LENGTH } from "./_aes256.ts";
import { HmacSha1 } from "./_winzip_aes_hmac_sha1.ts";

/** The AES-256 keystream of WinZip's counter mode, made a batch at a time. */
export interface AesCtrKeystream {
  /**
   * Returns the encryptions of the counter blocks `firstCounter` to
   * `firstCounter + blockCount - 1` (APPNOTE 7.2 / AE spec: a 64-bit
   * little-endian counter in the first 8 bytes, zeros after). The bytes stay
   * valid until the next call.
   */
  generate(firstCounter: number, blockCount: number): Uint8Array;
}

/** An authentication code computed over bytes given in any number of calls. */
export interface IncrementalMac {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

/** Where the AES and HMAC-SHA1 of WinZip AES come from. */
export interface WinZipAesEngine {
  /** Which engine this is. */
  readonly name: "native" | "portable";
  /** A keystream under the 32-byte `key`. */
  keystream(key: Uint8Array): AesCtrKeystream;
  /** An HMAC-SHA1 under `key`. */
  hmacSha1(key: Uint8Array): IncrementalMac;
}

/** The part of `node:crypto` the native engine uses. */
export interface NativeCrypto {
  createCipheriv(
    algorithm: "aes-256-ecb",
    key: Uint8Array,
    iv: null,
  ): {
    setAutoPadding(autoPadding: boolean): unknown;
    update(data: Uint8Array): Uint8Array;
  };
  createHmac(algorithm: "sha1", key: Uint8Array): {
    update(data: Uint8Array): unknown;
    digest(): Uint8Array;
  };
}

/**
 * Counter blocks per batch: 64 KiB of keystream, enough to make the cost of a
 * call into native code vanish while staying small beside the chunks of an
 * entry.
 */
export const KEYSTREAM_BATCH_BLOCKS = 4096;
const COUNTER_HIGH = 2 ** 32;

/** Writes the WinZip counter blocks from `firstCounter` into `blocks`. */
function writeCounters(
  view: DataView,
  firstCounter: number,
  blockCount: number,
): void {
  for (let i = 0; i < blockCount; i++) {
    const counter = firstCounter + i;
    const offset = i * AES_BLOCK_LENGTH;
    view.setUint32(offset, counter >>> 0, true);
    view.setUint32(offset + 4, Math.floor(counter / COUNTER_HIGH), true);
  }
}

/** The native engine; exported for tests that compare the engines. */
export function nativeAesEngine(crypto: NativeCrypto): WinZipAesEngine {
  return {
    name: "native",
    keystream(key) {
      // ECB over a buffer of counter blocks is CTR's keystream, made in one
      // native call per batch; bytes 8..15 of every block stay zero.
      const cipher = crypto.createCipheriv("aes-256-ecb", key, null);
      cipher.setAutoPadding(false);
      const counters = new Uint8Array(
        KEYSTREAM_BATCH_BLOCKS * AES_BLOCK_LENGTH,
      );
      const view = new DataView(counters.buffer);
      return {
        generate(firstCounter, blockCount) {
          writeCounters(view, firstCounter, blockCount);
          return cipher.update(
            counters.subarray(0, blockCount * AES_BLOCK_LENGTH),
          );
        },
      };
    },
    hmacSha1(key) {
      const hmac = crypto.createHmac("sha1", key);
      return {
        update: (data) => void hmac.update(data),
        digest: () => new Uint8Array(hmac.digest()),
      };
    },
  };
}

/** Reverses the bytes of a 32-bit word. */
function swapBytes(word: number): number {
  return ((word & 0xff) << 24) | ((word & 0xff00) << 8) |
    ((word >>> 8) & 0xff00) | (word >>> 24);
}

/** The portable engine: TypeScript AES-256 and HMAC-SHA1. */
export const portableAesEngine: WinZipAesEngine = {
  name: "portable",
  keystream(key) {
    const aes = new Aes256(key);
    const buffer = new Uint8Array(KEYSTREAM_BATCH_BLOCKS * AES_BLOCK_LENGTH);
    return {
      generate(firstCounter, blockCount) {
        for (let i = 0; i < blockCount; i++) {
          const counter = firstCounter + i;
          // The cipher takes big-endian column words; the counter is stored
          // little-endian, so each of its two words is byte-swapped.
          aes.encryptWords(
            swapBytes(counter >>> 0),
            swapBytes(Math.floor(counter / COUNTER_HIGH)),
            0,
            0,
            buffer,
            i * AES_BLOCK_LENGTH,
          );
        }
        return buffer.subarray(0, blockCount * AES_BLOCK_LENGTH);
      },
    };
  },
  hmacSha1(key) {
    return new HmacSha1(key);
  },
};

/** FIPS-197 Appendix C.3: the known answer a native engine must give. */
const CHECK_KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const CHECK_PLAINTEXT = Uint8Array.from({ length: 16 }, (_, i) => i * 0x11);
const CHECK_CIPHERTEXT = "8ea2b7ca516745bfeafc49904b496089";

/**
 * The runtime's `node:crypto`, if it has one whose AES-256-ECB gives the
 * FIPS-197 answer and which makes an HMAC-SHA1: some runtimes offer a partial
 * `node:crypto`, and those fall back to the portable engine.
 */
function findNativeCrypto(): NativeCrypto | undefined {
  const runtime = globalThis as {
    process?: { getBuiltinModule?: (id: string) => unknown };
  };
  try {
    const crypto = runtime.process?.getBuiltinModule?.("node:crypto") as
      | Partial<NativeCrypto>
      | undefined;
    if (
      typeof crypto?.createCipheriv !== "function" ||
      typeof crypto.createHmac !== "function"
    ) {
      return undefined;
    }
    const cipher = crypto.createCipheriv("aes-256-ecb", CHECK_KEY, null);
    cipher.setAutoPadding(false);
    const answer = Array.from(
      cipher.update(CHECK_PLAINTEXT),
      (byte) => byte.toString(16).padStart(2, "0"),
    ).join("");
    crypto.createHmac("sha1", CHECK_KEY).digest();
    return answer === CHECK_CIPHERTEXT ? crypto as NativeCrypto : undefined;
  } catch {
    return undefined;
  }
}

const nativeCrypto = findNativeCrypto();

/** The engine of this runtime: `node:crypto` where there is one, else portable. */
export const defaultAesEngine: WinZipAesEngine = nativeCrypto === undefined
  ? portableAesEngine
  : nativeAesEngine(nativeCrypto);
