/**
 * The data of the browser test's entry: 64 MiB of word lines from a seeded
 * generator, streamed in 64 KiB chunks. The page, its Service Worker and Deno
 * all import this module, so all three zip the very same bytes.
 *
 * Deflate shrinks it about 3× and it never repeats exactly, so every 1 MiB
 * block gives the compressor real work (a run of one byte would compress the
 * same in any engine and prove little).
 *
 * @module
 */

/** Bytes in the entry: 64 MiB, so the deflate pool gets 64 blocks. */
export const SAMPLE_SIZE = 64 * 1024 * 1024;

const CHUNK_SIZE = 64 * 1024;
const SEED = 0x2026_0101;

const encoder = new TextEncoder();
const WORDS = (
  "archive block buffer central chunk compress crc data deflate descriptor " +
  "directory entry extra file header inflate length local method offset " +
  "pako pool reader record signature size stream upload version worker " +
  "zip zlib bucket browser chromium download page service byte window " +
  "level lazy match literal distance huffman tree code table bit flush"
).split(" ").map((word) => encoder.encode(`${word} `));
const NUMBERS = Array.from(
  { length: 1000 },
  (_, n) => encoder.encode(`${n} `),
);
const NEWLINE = encoder.encode("\n");

/** xorshift32: tiny, fast, and the same sequence in every engine. */
class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0 || 1;
  }

  /** The next value, 0 to 2³² − 1. */
  next(): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return this.#state = x >>> 0;
  }
}

/** The endless token sequence, copied out byte by byte into chunks. */
class WordLines {
  #random = new Random(SEED);
  #token: Uint8Array = new Uint8Array();
  #at = 0;
  #wordsLeft = 4 + this.#random.next() % 11;

  /** Fills `chunk` with the next bytes of the sequence. */
  fill(chunk: Uint8Array): void {
    for (let offset = 0; offset < chunk.length; offset++) {
      if (this.#at === this.#token.length) {
        this.#token = this.#nextToken();
        this.#at = 0;
      }
      chunk[offset] = this.#token[this.#at++]!;
    }
  }

  #nextToken(): Uint8Array {
    if (this.#wordsLeft === 0) {
      this.#wordsLeft = 4 + this.#random.next() % 11;
      return NEWLINE;
    }
    this.#wordsLeft--;
    const value = this.#random.next();
    // One token in eight is a number, for entropy deflate cannot remove.
    return value % 8 === 0
      ? NUMBERS[(value >>> 3) % NUMBERS.length]!
      : WORDS[(value >>> 3) % WORDS.length]!;
  }
}

/**
 * A fresh stream of the entry's {@linkcode SAMPLE_SIZE} bytes, the same on
 * every call, produced as it is pulled (at most one chunk ahead).
 */
export function sampleText(): ReadableStream<Uint8Array> {
  const lines = new WordLines();
  let produced = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = new Uint8Array(
        Math.min(CHUNK_SIZE, SAMPLE_SIZE - produced),
      );
      lines.fill(chunk);
      produced += chunk.length;
      controller.enqueue(chunk);
      if (produced === SAMPLE_SIZE) controller.close();
    },
  }, { highWaterMark: 0 });
}
