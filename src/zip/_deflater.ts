/**
 * Raw deflate (RFC 1951), the only compression method zipstream writes
 * besides store. Streams are compressed in independent blocks, in this thread
 * or in a pool of workers, with the same bytes either way.
 *
 * @module
 */

import { messageOf } from "../_errors.ts";
import { defaultEngine, type DeflateEngine } from "./_deflate_engine.ts";
import type { DeflatePool } from "./_deflate_pool.ts";
import { cannotAdd } from "./_describe.ts";

/** An incremental compressor of one entry: feed chunks, collect output, finish once. */
export interface Deflater {
  /**
   * Compresses a chunk; resolves to the output ready so far (possibly none).
   * Waits while the blocks in workers fill the pool's budget.
   */
  push(chunk: Uint8Array): Promise<Uint8Array[]>;
  /** Ends the stream; resolves to all the output not yet returned. */
  finish(): Promise<Uint8Array[]>;
}

/**
 * Streams are compressed in independent blocks of this much input, each
 * ended with a sync flush so the blocks join into one deflate stream. The
 * cost is the dictionary lost at each boundary, about 0.1 % at 1 MiB; the
 * gain is output that depends neither on the source's chunking nor on which
 * thread compressed each block.
 */
export const INPUT_BLOCK_SIZE = 1024 * 1024;

/** The first buffer of an entry's block: it doubles up to a whole block. */
const FIRST_BLOCK_SIZE = 64 * 1024;

/** How {@linkcode createDeflater} compresses. */
export interface DeflaterOptions {
  /** @default {the pool's engine, or defaultEngine without a pool} */
  engine?: DeflateEngine;
  /**
   * Workers to compress blocks in, started once an entry fills its second
   * block; without a pool every block is compressed in this thread.
   */
  pool?: DeflatePool;
  /** The entry being compressed, named in errors of the pool. */
  entryName?: string;
}

/** Creates an incremental raw-deflate compressor at `level`. */
export function createDeflater(
  level: number,
  options: DeflaterOptions = {},
): Deflater {
  const { pool, engine = pool?.engine ?? defaultEngine, entryName = "" } =
    options;
  return new BlockDeflater(level, engine, pool, entryName);
}

/** A block's output: compressed, or still in a worker. */
interface Slot {
  output: Uint8Array | undefined;
  failure: { error: unknown } | undefined;
  settled: Promise<void>;
}

const SETTLED = Promise.resolve();

/**
 * Collects input into fixed blocks, whatever the chunking it arrives in, and
 * compresses each block on its own, so that the output is the same whichever
 * thread compressed which block. Outputs are returned in input order.
 */
class BlockDeflater implements Deflater {
  #level: number;
  #engine: DeflateEngine;
  #pool: DeflatePool | undefined;
  #entryName: string;
  // Grown as input arrives: most entries are far smaller than a block. Its
  // own, even empty: an empty entry's block goes to a worker like any,
  // which detaches its buffer, so a shared empty one would break the next.
  #block = new Uint8Array(0);
  #used = 0;
  #fullBlocks = 0;
  #slots: Slot[] = [];

  constructor(
    level: number,
    engine: DeflateEngine,
    pool: DeflatePool | undefined,
    entryName: string,
  ) {
    this.#level = level;
    this.#engine = engine;
    this.#pool = pool;
    this.#entryName = entryName;
  }

  async push(chunk: Uint8Array): Promise<Uint8Array[]> {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#used === this.#block.length) {
        this.#grow(this.#used + chunk.length - offset);
      }
      const count = Math.min(
        chunk.length - offset,
        this.#block.length - this.#used,
      );
      this.#block.set(chunk.subarray(offset, offset + count), this.#used);
      this.#used += count;
      offset += count;
      if (this.#used === INPUT_BLOCK_SIZE) {
        this.#fullBlocks++;
        // Small entries never start a worker: only a second full block does.
        if (this.#fullBlocks === 2) this.#pool?.start();
        await this.#compress(false);
      }
    }
    return this.#takeSettled();
  }

  /** Makes room for `wanted` bytes in the block, up to a full block. */
  #grow(wanted: number): void {
    const grown = new Uint8Array(
      Math.min(
        INPUT_BLOCK_SIZE,
        Math.max(FIRST_BLOCK_SIZE, 2 * this.#block.length, wanted),
      ),
    );
    grown.set(this.#block.subarray(0, this.#used));
    this.#block = grown;
  }

  async finish(): Promise<Uint8Array[]> {
    await this.#compress(true);
    for (const slot of this.#slots) await slot.settled;
    return this.#takeSettled();
  }

  /**
   * Compresses the current block: in a worker with room, after waiting for
   * the oldest block in a worker when all are full, or here when no worker
   * is ready (none started yet, still starting, or failed to start).
   */
  async #compress(final: boolean): Promise<void> {
    this.#pool?.throwIfCallbackFailed();
    const block = this.#block.subarray(0, this.#used);
    this.#used = 0;
    for (;;) {
      const job = this.#pool?.compress(block, this.#level, final);
      if (job !== undefined) {
        this.#slots.push(pending(job));
        this.#block = this.#pool!.takeBuffer() ??
          new Uint8Array(INPUT_BLOCK_SIZE);
        return;
      }
      const oldest = this.#slots.find((slot) => slot.output === undefined);
      if (this.#pool?.running !== true || oldest === undefined) break;
      await oldest.settled;
      this.#throwIfFailed(oldest);
    }
    this.#slots.push({
      output: this.#engine.compressBlock(block, this.#level, final),
      failure: undefined,
      settled: SETTLED,
    });
    // A worker's announcement that it is ready is a task of the event loop;
    // a source that never leaves the microtask queue would keep it out.
    if (this.#pool?.starting === true) await nextTask();
  }

  /** The outputs at the head of the queue that are ready, in order. */
  #takeSettled(): Uint8Array[] {
    const outputs: Uint8Array[] = [];
    while (this.#slots.length > 0) {
      const slot = this.#slots[0]!;
      this.#throwIfFailed(slot);
      if (slot.output === undefined) break;
      outputs.push(slot.output);
      this.#slots.shift();
    }
    return outputs;
  }

  #throwIfFailed(slot: Slot): void {
    if (slot.failure === undefined) return;
    const { error } = slot.failure;
    throw new Error(
      `${cannotAdd(this.#entryName)}: a deflate worker failed: ${
        messageOf(error)
      }`,
      { cause: error },
    );
  }
}

function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function pending(job: Promise<Uint8Array>): Slot {
  const slot: Slot = {
    output: undefined,
    failure: undefined,
    settled: SETTLED,
  };
  // Handled here at once, so a failure is reported by the deflater, never as
  // an unhandled rejection.
  slot.settled = job.then(
    (output) => {
      slot.output = output;
    },
    (error: unknown) => {
      slot.failure = { error };
    },
  );
  return slot;
}

/**
 * An upper bound on the raw-deflate size of `size` bytes, for deciding ahead
 * of time whether a compressed size might overflow 32 bits. Generous on
 * purpose: deflate's worst case is stored blocks, 5 bytes per block, plus a
 * sync flush per input block; a bound that is too high only costs an
 * unneeded ZIP64 extra field.
 */
export function deflateBound(size: number): number {
  const STORED_BLOCK_OVERHEAD = 5;
  const SMALLEST_BLOCK = 1024;
  const FINAL_OVERHEAD = 64;
  return size + STORED_BLOCK_OVERHEAD * Math.ceil(size / SMALLEST_BLOCK) +
    FINAL_OVERHEAD;
}
