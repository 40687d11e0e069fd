/**
 * WinZip's AES counter mode as a transform over a stream of chunks of any
 * length. Counter mode XORs a keystream into the data, so the same transform
 * encrypts and decrypts.
 *
 * @module
 */

import { AES_BLOCK_LENGTH } from "./_aes256.ts";
import {
  type AesCtrKeystream,
  KEYSTREAM_BATCH_BLOCKS,
} from "./_winzip_aes_engine.ts";

/**
 * The last counter this transform uses. WinZip's counter has 64 bits; a
 * `number` counts exactly to 2^53, which is 128 PiB of data per entry.
 */
const MAX_COUNTER = Number.MAX_SAFE_INTEGER;
/** Below this many bytes a plain byte loop beats making word views. */
const WORD_THRESHOLD = 64;
const WORD_LENGTH = 4;
const EMPTY = new Uint8Array(0);

/**
 * XORs `length` bytes of `source` from `sourceStart` into `target` from
 * `targetStart`, four bytes at a time where the two line up on a word.
 */
export function xorInto(
  target: Uint8Array,
  targetStart: number,
  source: Uint8Array,
  sourceStart: number,
  length: number,
): void {
  let t = targetStart;
  let s = sourceStart;
  const end = targetStart + length;
  const targetAddress = target.byteOffset + t;
  const sourceAddress = source.byteOffset + s;
  if (
    length >= WORD_THRESHOLD &&
    (targetAddress - sourceAddress) % WORD_LENGTH === 0
  ) {
    const head = (WORD_LENGTH - targetAddress % WORD_LENGTH) % WORD_LENGTH;
    for (let i = 0; i < head; i++, t++, s++) {
      target[t] = target[t]! ^ source[s]!;
    }
    const words = (end - t) / WORD_LENGTH | 0;
    const targetWords = new Int32Array(
      target.buffer,
      target.byteOffset + t,
      words,
    );
    const sourceWords = new Int32Array(
      source.buffer,
      source.byteOffset + s,
      words,
    );
    for (let i = 0; i < words; i++) {
      targetWords[i] = targetWords[i]! ^ sourceWords[i]!;
    }
    t += words * WORD_LENGTH;
    s += words * WORD_LENGTH;
  }
  while (t < end) {
    target[t] = target[t]! ^ source[s++]!;
    t++;
  }
}

/**
 * WinZip AES-CTR: the counter starts at 1 and advances once per 16-byte
 * block, and the keystream position carries over between chunks, so chunks
 * need not be multiples of the block length.
 */
export class WinZipAesCtr {
  #keystream: AesCtrKeystream;
  #block: Uint8Array = EMPTY;
  #position = 0;
  #nextCounter = 1;

  /** Starts the counter at 1 over `keystream`. */
  constructor(keystream: AesCtrKeystream) {
    this.#keystream = keystream;
  }

  /**
   * Returns `input` XORed with the next `input.length` bytes of keystream; the
   * input is left as it was.
   *
   * @throws {RangeError} If the counter would pass 2^53.
   */
  transform(input: Uint8Array): Uint8Array {
    const output = input.slice();
    let done = 0;
    while (done < output.length) {
      if (this.#position === this.#block.length) {
        const blockCount = Math.min(
          KEYSTREAM_BATCH_BLOCKS,
          Math.ceil((output.length - done) / AES_BLOCK_LENGTH),
        );
        const lastCounter = this.#nextCounter + blockCount - 1;
        if (lastCounter > MAX_COUNTER) {
          throw new RangeError(
            `Cannot encrypt past AES-CTR block ${MAX_COUNTER}: expected at most ${MAX_COUNTER} blocks in one entry but received data for block ${lastCounter}`,
          );
        }
        this.#block = this.#keystream.generate(this.#nextCounter, blockCount);
        this.#nextCounter += blockCount;
        this.#position = 0;
      }
      const length = Math.min(
        output.length - done,
        this.#block.length - this.#position,
      );
      xorInto(output, done, this.#block, this.#position, length);
      done += length;
      this.#position += length;
    }
    return output;
  }
}
