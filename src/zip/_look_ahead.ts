/**
 * The writer's look-ahead: pulls the entries after the one being written,
 * within a budget, and has the data of those given whole deflated in the
 * worker pool meanwhile, so that a tree of small entries uses every core.
 * Entries reach the writer strictly in the order of the source, each with
 * its data already deflated (or still to be stored), and failures reach it
 * where they happened in that order.
 *
 * The bytes never depend on this stage: an entry given whole is compressed
 * as one stream with the pool's engine (`engine.compress`), here or in a
 * worker alike, and nothing else is decided by timing.
 *
 * @module
 */

import { TaskYield } from "./_task_yield.ts";
import type { DeflatePool, JobOutput } from "./_deflate_pool.ts";
import { INPUT_BLOCK_SIZE } from "./_deflater.ts";
import { HeldEntry } from "./_held_entry.ts";
import type { PullSource } from "./_pull_source.ts";
import type { EntryDefaults, ResolvedEntry } from "./_resolved_entry.ts";
import { ResolvedEntries } from "./_resolved_entries.ts";
import type { ZipEntry } from "./zip_entry.ts";
import type { EntrySealer } from "./_entry_sealer.ts";
import type { EntrySalts } from "./_entry_salts.ts";

/**
 * What the look-ahead may hold: the data of the entries pulled but not yet
 * handed to the writer, and their compressed output. Pulling stops once it
 * is reached, so the most held is this plus one entry. 8 MiB keeps two
 * workers fed (each holds at most two jobs: batches of up to 1 MiB, or one
 * entry of up to 4 MiB) with room for the calling thread to help, while
 * memory stays flat whatever the number of entries (bench/README.md, "A tree
 * against zip").
 */
export const LOOK_AHEAD_BYTES = 8 * 1024 * 1024;
/** At most this many entries are held, however small: a million empty entries stay cheap. */
export const LOOK_AHEAD_ENTRIES = 1024;
/**
 * Entries are sent to workers in batches of up to this much data, one
 * message for many small entries: a message each cost more than compressing
 * a few KiB. A batch fills one of the pool's recycled block buffers.
 */
const BATCH_BYTES = INPUT_BLOCK_SIZE;
/**
 * Larger entries are compressed in the calling thread: sending one copies
 * it, and the caller already holds it once.
 */
const MAX_SENT_ENTRY = 4 * INPUT_BLOCK_SIZE;
/**
 * The workers start once at least two entries with this much data between
 * them wait to be compressed: starting a worker costs about as much as
 * compressing 1 MiB, which a single entry, or a few tiny ones, never pays
 * back.
 */
const WORKERS_START_BYTES = 2 * INPUT_BLOCK_SIZE;
/**
 * Encrypted entries are pulled this far ahead, however small, so that their
 * key derivations (PBKDF2, about 0.3 ms each, in WebCrypto's threads) run
 * side by side and ahead of the writer instead of one at a time in its path.
 */
const SEALERS_AHEAD = 16;

/** An entry handed to the writer. */
export interface AheadEntry {
  readonly entry: ResolvedEntry;
  /**
   * For data given whole and to be deflated: `engine.compress` of it, which
   * the writer stores instead when it is not smaller.
   */
  readonly deflated: Uint8Array | undefined;
  /** For an encrypted entry: its keys, derived ahead. */
  readonly sealer: Promise<EntrySealer> | undefined;
}

const DONE = { kind: "done" } as const;
const OPEN = { kind: "open" } as const;
type SourceState = typeof OPEN | typeof DONE | { kind: "failed"; error: Error };

/** What the look-ahead works with besides its entries. */
export interface LookAheadSetup {
  defaults: EntryDefaults;
  pool: DeflatePool;
  /**
   * Copy the data given whole of an entry held while the next is pulled:
   * the caller may refill its array once asked for the next entry
   * (`ZipOptions.copyChunks`).
   */
  copyBytes: boolean;
  /** Where the salts of encrypted entries come from. */
  salts: EntrySalts;
  /**
   * Whether the writer will skip the entry, written by the run a resumed
   * archive continues: its keys are then not derived.
   */
  skips: (entry: ResolvedEntry) => boolean;
}

/** Pulls entries ahead of the writer and deflates those given whole. */
export class EntryLookAhead {
  #entries: ResolvedEntries;
  #pool: DeflatePool;
  #queue: HeldEntry[] = [];
  #source: SourceState = OPEN;
  #held = 0;
  /** Data of the queued entries still waiting to be compressed. */
  #waitingBytes = 0;
  #waitingCount = 0;
  /** Entries of the queue in workers. */
  #sentCount = 0;
  #copyBytes: boolean;
  #salts: EntrySalts;
  #skips: (entry: ResolvedEntry) => boolean;
  #stopped = false;
  #tasks = new TaskYield();

  constructor(entries: PullSource<ZipEntry>, setup: LookAheadSetup) {
    this.#entries = new ResolvedEntries(entries, setup.defaults);
    this.#pool = setup.pool;
    this.#copyBytes = setup.copyBytes;
    this.#salts = setup.salts;
    this.#skips = setup.skips;
  }

  /** What is held now, in budget bytes (for tests). */
  get held(): number {
    return this.#held;
  }

  /**
   * The next entry, its data deflated if it was given whole; `undefined`
   * at the end. Called only once the previous entry has been written.
   *
   * @throws the failure of the entry source, of resolving the entry, or of
   * a worker, when the writer reaches it; what `onWorkers` threw.
   */
  async next(): Promise<AheadEntry | undefined> {
    await this.#fill();
    const head = this.#queue[0];
    if (head === undefined) {
      this.#tasks.close();
      if (this.#source.kind === "failed") throw this.#source.error;
      return undefined;
    }
    if (head.data !== undefined) await this.#deflateHead(head);
    this.#pool.throwIfCallbackFailed();
    this.#queue.shift();
    this.#held -= head.cost;
    return { entry: head.entry, deflated: head.output, sealer: head.sealer };
  }

  /** Stops pulling: the archive is cancelled or failed. */
  stop(): void {
    this.#stopped = true;
    this.#tasks.close();
    this.#queue = [];
    this.#held = 0;
    this.#sentCount = 0;
  }

  /**
   * Pulls entries until the budget is used, the source ends or fails, or a
   * streamed entry is reached. A streamed entry's data is read only when it
   * is written, and the entry after it is not pulled before then: sources
   * such as a tar reader make their next entry only once the previous
   * one's data has been read. Nor is anything pulled ahead while there is
   * no deflate work to share (stored entries, or no workers) nor keys to
   * derive (see `SEALERS_AHEAD`): entries are then pulled one at a time, as
   * the writer reaches them.
   */
  async #fill(): Promise<void> {
    while (
      this.#source === OPEN && !this.#stopped && this.#wantsMore()
    ) {
      if (this.#copyBytes) this.#queue.at(-1)?.secure();
      const entry = await this.#pull();
      if (entry === undefined || this.#stopped) break;
      const item = new HeldEntry(
        entry,
        this.#skips(entry) ? undefined : this.#salts,
      );
      this.#queue.push(item);
      this.#held += item.cost;
      const { data } = item;
      if (data === undefined) continue;
      this.#waitingBytes += data.length;
      this.#waitingCount++;
      if (
        this.#waitingCount >= 2 && this.#waitingBytes >= WORKERS_START_BYTES
      ) {
        this.#pool.start();
      }
      // Full batches go as soon as they are full; the rest once pulling stops.
      if (this.#waitingBytes >= 2 * BATCH_BYTES) this.#dispatch();
    }
    this.#dispatch();
  }

  #wantsMore(): boolean {
    const { length } = this.#queue;
    if (length === 0) return true;
    const last = this.#queue[length - 1]!.entry;
    return this.#held < LOOK_AHEAD_BYTES && length < LOOK_AHEAD_ENTRIES &&
      last.body.kind !== "stream" &&
      ((this.#pool.usable && this.#waitingCount + this.#sentCount > 0) ||
        (last.encryption !== undefined && length < SEALERS_AHEAD));
  }

  /** The next entry of the source, resolved; `undefined` at its end or failure. */
  async #pull(): Promise<ResolvedEntry | undefined> {
    try {
      const entry = await this.#entries.next();
      if (entry === undefined) this.#source = DONE;
      return entry;
    } catch (error) {
      this.#source = { kind: "failed", error: error as Error };
      return undefined;
    }
  }

  /**
   * Deflates the entry about to be written, here unless a worker has it.
   * While a worker has it, this thread compresses the entries waiting after
   * it, one at a time, letting the workers' answers in between so that they
   * get more work as soon as they have room.
   */
  async #deflateHead(head: HeldEntry): Promise<void> {
    while (head.state === "sent") {
      const other = this.#nextWaiting();
      if (other === undefined) {
        await head.settled;
        break;
      }
      this.#compressHere(other);
      await this.#tasks.next();
      this.#dispatch();
    }
    if (head.state === "waiting") {
      this.#compressHere(head);
      // A worker's announcement that it is ready is a task of the event
      // loop; a consumer that never leaves the microtask queue would keep
      // it out.
      if (this.#pool.starting) await this.#tasks.next();
    }
    head.throwIfFailed();
  }

  /** The first entry after the head still waiting, small enough to compress between answers. */
  #nextWaiting(): HeldEntry | undefined {
    for (let i = 1; i < this.#queue.length; i++) {
      const item = this.#queue[i]!;
      if (item.state === "waiting" && item.data!.length <= BATCH_BYTES) {
        return item;
      }
    }
    return undefined;
  }

  #compressHere(item: HeldEntry): void {
    this.#waiting(item);
    this.#finished(
      item,
      this.#pool.engine.compress(item.data!, item.entry.level),
    );
  }

  /** Takes `item` out of the waiting count. */
  #waiting(item: HeldEntry): void {
    this.#waitingBytes -= item.data!.length;
    this.#waitingCount--;
  }

  #finished(item: HeldEntry, output: Uint8Array): void {
    item.finished(output);
    // Until it is written, unless the archive stopped meanwhile.
    if (!this.#stopped) this.#held += output.length;
  }

  /**
   * Sends waiting entries, in order and in batches, to workers with room.
   * The head is left out: this thread is about to write it, and would only
   * wait for a worker to compress it.
   */
  #dispatch(): void {
    if (!this.#pool.running) return;
    let index = 1;
    while (index < this.#queue.length && this.#pool.hasRoom) {
      const batch: HeldEntry[] = [];
      let bytes = 0;
      for (; index < this.#queue.length; index++) {
        const item = this.#queue[index]!;
        if (item.state !== "waiting" || item.data!.length > MAX_SENT_ENTRY) {
          continue;
        }
        if (batch.length > 0 && bytes + item.data!.length > BATCH_BYTES) break;
        batch.push(item);
        bytes += item.data!.length;
      }
      if (batch.length === 0) return;
      this.#send(batch, bytes);
    }
  }

  #send(batch: HeldEntry[], bytes: number): void {
    // A batch within a block reuses the buffers workers give back.
    const buffer = bytes <= INPUT_BLOCK_SIZE
      ? this.#pool.takeBuffer() ?? new Uint8Array(INPUT_BLOCK_SIZE)
      : new Uint8Array(bytes);
    const lengths: number[] = [];
    const levels: number[] = [];
    let at = 0;
    for (const item of batch) {
      // A copy: the caller's arrays stay theirs, never transferred.
      buffer.set(item.data!, at);
      at += item.data!.length;
      lengths.push(item.data!.length);
      levels.push(item.entry.level);
    }
    const job = this.#pool.compressEntries(buffer.buffer, lengths, levels);
    if (job === undefined) return;
    const settled = job.then(
      (done) => this.#received(batch, done),
      (error: unknown) => {
        this.#sentCount -= batch.length;
        for (const item of batch) item.failed(error);
      },
    );
    this.#sentCount += batch.length;
    for (const item of batch) {
      this.#waiting(item);
      item.sent(settled);
    }
  }

  #received(batch: readonly HeldEntry[], done: JobOutput): void {
    this.#sentCount -= batch.length;
    // The worker has room again: more work while this thread is elsewhere.
    if (!this.#stopped) this.#dispatch();
    let at = 0;
    batch.forEach((item, i) => {
      const length = done.lengths![i]!;
      this.#finished(item, done.output.subarray(at, at + length));
      at += length;
    });
  }
}
