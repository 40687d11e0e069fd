/**
 * Read-ahead across the objects of an archive: while the writer reads one
 * object, the next few are fetched already, within a shared byte budget, so
 * that many small objects do not wait on one round trip each and big ones do
 * not pile up in memory.
 *
 * @module
 */

/** Something that can start fetching ahead of its turn, and be stopped. */
export interface Prefetchable {
  prefetch(): void;
  cancel(): void;
}

/** Bytes held by read-ahead buffers, across all objects. */
export class ByteBudget {
  readonly limit: number;
  #used = 0;
  #waiters: (() => void)[] = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  get used(): number {
    return this.#used;
  }

  /** Whether another chunk may be buffered now. */
  get available(): boolean {
    return this.#used < this.limit;
  }

  take(bytes: number): void {
    this.#used += bytes;
  }

  release(bytes: number): void {
    this.#used -= bytes;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves at the next release. */
  released(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

/**
 * Orders the objects of one archive and tells the next `depth` of them to
 * start fetching whenever the writer reaches an object.
 */
export class ReadAhead {
  readonly budget: ByteBudget;
  #depth: number;
  /** Objects not yet reached; those behind the writer are let go. */
  #items = new Map<number, Prefetchable>();
  #count = 0;
  #current = -1;
  #onLastReached: (() => void) | undefined;

  constructor(depth: number, budgetBytes: number) {
    this.#depth = depth;
    this.budget = new ByteBudget(budgetBytes);
  }

  /** Adds the next object; returns its position. */
  add(item: Prefetchable): number {
    const index = this.#count++;
    this.#items.set(index, item);
    if (this.#current >= 0 && index <= this.#current + this.#depth) {
      item.prefetch();
    }
    return index;
  }

  /**
   * No more objects will be added: `done` runs once the writer has reached
   * the last one (at once if it has), when nothing is left to fetch ahead.
   */
  seal(done: () => void): void {
    if (this.#current >= this.#count - 1) {
      done();
    } else {
      this.#onLastReached = done;
    }
  }

  /** Cancels every object the writer has not reached: the archive ended early. */
  cancelPending(): void {
    for (const item of this.#items.values()) item.cancel();
    this.#items.clear();
  }

  /** The writer has reached object `index`: fetch the ones after it. */
  reached(index: number): void {
    if (index <= this.#current) return;
    for (let passed = this.#current + 1; passed <= index; passed++) {
      this.#items.delete(passed);
    }
    this.#current = index;
    for (let next = index + 1; next <= index + this.#depth; next++) {
      this.#items.get(next)?.prefetch();
    }
    const done = this.#onLastReached;
    if (done !== undefined && index >= this.#count - 1) {
      this.#onLastReached = undefined;
      done();
    }
  }
}
