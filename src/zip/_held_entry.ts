/**
 * An entry the writer's look-ahead holds: pulled from the source but not yet
 * handed to the writer. It carries the deflate of its data given whole as
 * that goes from waiting, to a worker, to done, the keys of an encrypted
 * entry being derived meanwhile, and what it counts for in the budget.
 *
 * @module
 */

import { messageOf } from "../_errors.ts";
import { cannotAdd } from "./_describe.ts";
import type { EntrySalts } from "./_entry_salts.ts";
import { EntrySealer } from "./_entry_sealer.ts";
import type { ResolvedEntry } from "./_resolved_entry.ts";

/** What each entry held counts for on top of its data: the objects that describe it. */
export const ENTRY_COST = 256;

const SETTLED = Promise.resolve();

/** An entry pulled ahead of the writer, with its deflate and its keys. */
export class HeldEntry {
  #entry: ResolvedEntry;
  /** Data given whole, to deflate; `undefined` for any other entry. */
  #data: Uint8Array | undefined;
  /** Its deflate: not started, in a worker, or over (see `output`, `#failure`). */
  #state: "waiting" | "sent" | "done";
  #output: Uint8Array | undefined = undefined;
  #failure: { error: unknown } | undefined = undefined;
  /** Resolves once a worker has answered for it. */
  #settled: Promise<void> = SETTLED;
  /** Bytes it counts for in the budget. */
  #cost: number;
  #sealer: Promise<EntrySealer> | undefined;

  /**
   * Holds `entry`, and starts deriving its keys if it is encrypted and
   * `salts` are given (an entry a resumed archive skips needs none).
   *
   * @param salts Where the salts of encrypted entries come from.
   */
  constructor(entry: ResolvedEntry, salts: EntrySalts | undefined) {
    const { body } = entry;
    this.#entry = entry;
    this.#data = body.kind === "bytes" && entry.compression === "deflate" &&
        body.bytes.length > 0
      ? body.bytes
      : undefined;
    this.#state = this.#data === undefined ? "done" : "waiting";
    this.#cost = ENTRY_COST + (body.kind === "bytes" ? body.bytes.length : 0);
    this.#sealer = entry.encryption === undefined || salts === undefined
      ? undefined
      : EntrySealer.open(entry.encryption, salts, entry.index, entry.nameBytes);
    // Awaited when the writer reaches the entry; until then (or if the
    // archive stops first) a failure must not count as unhandled.
    this.#sealer?.catch(() => {});
  }

  /** The entry, its data given whole made its own if `secure` was called. */
  get entry(): ResolvedEntry {
    return this.#entry;
  }

  /** Data given whole, to deflate; `undefined` for any other entry. */
  get data(): Uint8Array | undefined {
    return this.#data;
  }

  /** Its deflate: not started, in a worker, or over. */
  get state(): "waiting" | "sent" | "done" {
    return this.#state;
  }

  /** `engine.compress` of its data, once done; `undefined` before or if never deflated. */
  get output(): Uint8Array | undefined {
    return this.#output;
  }

  /** Resolves once a worker has answered for it. */
  get settled(): Promise<void> {
    return this.#settled;
  }

  /** Bytes it counts for in the budget: its data, then also its output. */
  get cost(): number {
    return this.#cost;
  }

  /** For an encrypted entry: its keys, being derived. */
  get sealer(): Promise<EntrySealer> | undefined {
    return this.#sealer;
  }

  /**
   * Makes its data given whole its own before the next entry is pulled, for
   * a caller that may refill its array meanwhile.
   */
  secure(): void {
    const { body } = this.#entry;
    if (body.kind !== "bytes" || body.fresh || body.bytes.length === 0) return;
    const bytes = body.bytes.slice();
    this.#entry = {
      ...this.#entry,
      body: { kind: "bytes", bytes, fresh: true },
    };
    if (this.#data !== undefined) this.#data = bytes;
  }

  /** Marks it given to a worker, whose answer `settled` awaits. */
  sent(settled: Promise<void>): void {
    this.#state = "sent";
    this.#settled = settled;
  }

  /** Records its compressed data, which it holds until it is written. */
  finished(output: Uint8Array): void {
    this.#state = "done";
    this.#output = output;
    this.#cost += output.length;
  }

  /** Records that the worker compressing it failed. */
  failed(error: unknown): void {
    this.#state = "done";
    this.#failure = { error };
  }

  /**
   * @throws {Error} naming the entry, wrapping the failure of the worker
   * that had it.
   */
  throwIfFailed(): void {
    if (this.#failure === undefined) return;
    const { error } = this.#failure;
    throw new Error(
      `${cannotAdd(this.#entry.name)}: a deflate worker failed: ${
        messageOf(error)
      }`,
      { cause: error },
    );
  }
}
