/**
 * A pool of Web Workers that compress deflate blocks of streamed entries and
 * batches of entries given whole, so that one large entry, or a tree of
 * small ones, uses every core. Started lazily, closed with the archive.
 *
 * Each worker runs the generated, self-contained worker module (the worker
 * and pako in one string) from a `blob:` URL, never a file next to this
 * one: bundled into a page, required as CommonJS or itself loaded from a
 * `blob:` URL, this module has no such neighbour. A page whose
 * Content-Security-Policy refuses `blob:` workers gets an `"unavailable"`
 * status, and compression in the calling thread.
 *
 * @module
 */

import { describeError } from "../_errors.ts";
import { defaultEngine, type DeflateEngine } from "./_deflate_engine.ts";
import { INPUT_BLOCK_SIZE } from "./_deflater.ts";
import type { WorkerReply, WorkerRequest } from "./_deflate_worker.ts";
import { DEFLATE_WORKER_SOURCE } from "./_deflate_worker_source.ts";
import type { WorkerStatus } from "./zip_options.ts";

/**
 * Jobs a worker may hold at once: one being compressed and one waiting, so
 * a worker never idles while the next is on its way. A job is a 1 MiB block
 * of a streamed entry, or a batch of whole entries of up to 1 MiB (an entry
 * of up to 4 MiB goes alone: see `_look_ahead.ts`), which bounds the memory
 * of the pool: inputs and outputs of at most `2 × workers` jobs.
 */
export const BLOCKS_PER_WORKER = 2;

/** What a worker gave for a job: see `WorkerReply`. */
export interface JobOutput {
  output: Uint8Array;
  /** For a batch of entries, each one's length in `output`. */
  lengths: number[] | undefined;
}

interface Job {
  resolve(output: JobOutput): void;
  reject(error: Error): void;
}

interface PoolWorker {
  worker: Worker;
  /** Set once the worker has loaded and has this thread's engine. */
  ready: boolean;
  /** The blocks it holds, in the order sent; it answers in that order. */
  jobs: Job[];
}

/** Workers that compress independent deflate blocks, and their budget. */
export class DeflatePool {
  #size: number;
  /** The engine every block of this pool is compressed with, wherever. */
  readonly engine: DeflateEngine;
  #workers: PoolWorker[] = [];
  #sourceUrl: string | undefined;
  #started = false;
  #closed = false;
  #spare: Uint8Array<ArrayBuffer>[] = [];
  #onStatus: ((status: WorkerStatus) => void) | undefined;
  #callbackFailure: { error: unknown } | undefined;
  #failures: Error[] = [];

  /**
   * @param size How many workers to start; 0 compresses in this thread.
   * @param options.engine The engine of this pool's deflaters, in this
   * thread and in the workers alike, so the output is the same either way.
   * @param options.onStatus Told once whether the workers run or cannot.
   */
  constructor(
    size: number,
    options: {
      engine?: DeflateEngine;
      onStatus?: (status: WorkerStatus) => void;
    } = {},
  ) {
    this.#size = size;
    this.engine = options.engine ?? defaultEngine;
    this.#onStatus = options.onStatus;
  }

  /**
   * Starts the workers, the first time it is called. Where workers cannot be
   * created (no `Worker`, as in Node or a Service Worker), nothing starts,
   * blocks are compressed in this thread and the status says why.
   */
  start(): void {
    if (this.#started || this.#closed || this.#size === 0) return;
    this.#started = true;
    const WorkerClass = (globalThis as { Worker?: typeof Worker }).Worker;
    if (typeof WorkerClass !== "function") {
      this.#report({
        state: "unavailable",
        reason: new Error("this runtime has no Worker"),
      });
      return;
    }
    try {
      this.#sourceUrl = URL.createObjectURL(
        new Blob([DEFLATE_WORKER_SOURCE], { type: "text/javascript" }),
      );
      for (let i = 0; i < this.#size; i++) {
        this.#workers.push(this.#spawn(WorkerClass, this.#sourceUrl));
      }
    } catch (error) {
      // Workers are an optimisation: without them blocks are compressed here.
      this.#report({
        state: "unavailable",
        reason: new Error(`cannot start a worker: ${describeError(error)}`, {
          cause: error,
        }),
      });
      this.close();
    }
  }

  /**
   * Whether workers may yet compress: some are wanted, the runtime has
   * `Worker`, and they have not failed to start nor been closed.
   */
  get usable(): boolean {
    // Without a Worker (Node, Service Workers) reading ahead for workers
    // would only hold entries and copy them for nothing.
    return this.#size > 0 && !this.#closed &&
      typeof (globalThis as { Worker?: unknown }).Worker === "function" &&
      (!this.#started || this.#workers.length > 0);
  }

  /** Whether workers are loading and none is ready yet. */
  get starting(): boolean {
    return this.#workers.length > 0 && !this.running;
  }

  /** Whether a worker is ready to take blocks. */
  get running(): boolean {
    return this.#workers.some((pooled) => pooled.ready);
  }

  /**
   * Sends `block` to the least busy ready worker that has room in its
   * budget, transferring its buffer; `undefined` when none has room.
   */
  compress(
    block: Uint8Array<ArrayBuffer>,
    level: number,
    final: boolean,
  ): Promise<Uint8Array> | undefined {
    return this.#send({
      kind: "block",
      buffer: block.buffer,
      engine: this.engine.name,
      length: block.length,
      level,
      final,
    })?.then((done) => done.output);
  }

  /**
   * Sends a batch of entries given whole, their data end to end at the
   * start of `buffer` (transferred), each to be compressed as one stream
   * with `engine.compress` at its level: the same bytes as in this thread.
   * Resolves to the outputs end to end with their lengths; `undefined` when
   * no worker has room. A batch takes a worker's place as a block does.
   */
  compressEntries(
    buffer: ArrayBuffer,
    lengths: number[],
    levels: number[],
  ): Promise<JobOutput> | undefined {
    return this.#send({
      kind: "entries",
      buffer,
      engine: this.engine.name,
      lengths,
      levels,
    });
  }

  /** Whether a ready worker has room for another job. */
  get hasRoom(): boolean {
    return this.#workers.some((pooled) =>
      pooled.ready && pooled.jobs.length < BLOCKS_PER_WORKER
    );
  }

  #send(request: WorkerRequest): Promise<JobOutput> | undefined {
    let chosen: PoolWorker | undefined;
    for (const pooled of this.#workers) {
      if (
        pooled.ready && pooled.jobs.length < BLOCKS_PER_WORKER &&
        (chosen === undefined || pooled.jobs.length < chosen.jobs.length)
      ) {
        chosen = pooled;
      }
    }
    if (chosen === undefined) return undefined;
    const target = chosen;
    return new Promise<JobOutput>((resolve, reject) => {
      target.jobs.push({ resolve, reject });
      try {
        target.worker.postMessage(request, [request.buffer]);
      } catch (error) {
        target.jobs.pop();
        reject(error);
      }
    });
  }

  /** An input buffer a worker gave back, to fill with the next block. */
  takeBuffer(): Uint8Array<ArrayBuffer> | undefined {
    return this.#spare.pop();
  }

  /**
   * Terminates every worker. Blocks they still held fail; nothing starts
   * again afterwards.
   */
  close(): void {
    this.#closed = true;
    const workers = this.#workers;
    this.#workers = [];
    this.#spare = [];
    for (const pooled of workers) {
      this.#drop(pooled, new Error("the archive was closed"));
    }
    if (this.#sourceUrl !== undefined) {
      URL.revokeObjectURL(this.#sourceUrl);
      this.#sourceUrl = undefined;
    }
  }

  #spawn(WorkerClass: typeof Worker, url: string): PoolWorker {
    const worker = new WorkerClass(url, {
      type: "module",
      name: "zipstream deflate",
    });
    const pooled: PoolWorker = { worker, ready: false, jobs: [] };
    worker.addEventListener("message", (event: MessageEvent<WorkerReply>) => {
      this.#receive(pooled, event.data);
    });
    worker.addEventListener("error", (event: Event) => {
      // Handled here: unhandled, Deno would end the whole process.
      event.preventDefault();
      // A script that cannot load gets a plain Event, with no message.
      const message = (event as Partial<ErrorEvent>).message;
      this.#remove(
        pooled,
        new Error(message || "the worker's script could not be loaded"),
      );
    });
    worker.addEventListener("messageerror", () => {
      this.#remove(
        pooled,
        new Error("a reply from the worker could not be deserialized"),
      );
    });
    return pooled;
  }

  #receive(pooled: PoolWorker, reply: WorkerReply): void {
    switch (reply.kind) {
      case "ready":
        if (reply.engines.includes(this.engine.name)) {
          pooled.ready = true;
          this.#report({ state: "running", workers: this.#workers.length });
        } else {
          this.#remove(
            pooled,
            new Error(
              `expected a worker with the ${this.engine.name} engine but it has ${
                reply.engines.join(", ")
              }`,
            ),
          );
        }
        return;
      case "done":
        this.#recycle(reply.input);
        pooled.jobs.shift()?.resolve(reply);
        return;
      case "error":
        this.#recycle(reply.input);
        pooled.jobs.shift()?.reject(new Error(reply.message));
        return;
    }
  }

  #recycle(buffer: ArrayBuffer): void {
    if (
      buffer.byteLength === INPUT_BLOCK_SIZE &&
      this.#spare.length < this.#size * BLOCKS_PER_WORKER
    ) {
      this.#spare.push(new Uint8Array(buffer));
    }
  }

  /**
   * Takes a failed worker out of the pool. Blocks it held fail with `reason`;
   * a worker that never became ready held none, so the others, or this
   * thread, simply take over.
   */
  #remove(pooled: PoolWorker, reason: Error): void {
    const index = this.#workers.indexOf(pooled);
    if (index !== -1) this.#workers.splice(index, 1);
    if (!pooled.ready) this.#failures.push(reason);
    this.#drop(pooled, reason);
    if (this.#workers.length === 0 && this.#failures.length > 0) {
      this.#report({
        state: "unavailable",
        reason: new Error(
          `no deflate worker started: ${this.#failures[0]!.message}`,
          { cause: this.#failures[0] },
        ),
      });
    }
  }

  /**
   * Tells the status once: the first of running or unavailable stands. What
   * the callback throws is kept for {@linkcode DeflatePool.throwIfCallbackFailed}:
   * thrown from a worker's message event it would reach no caller, and end
   * the process as an uncaught error.
   */
  #report(status: WorkerStatus): void {
    const onStatus = this.#onStatus;
    this.#onStatus = undefined;
    try {
      onStatus?.(status);
    } catch (error) {
      this.#callbackFailure = { error };
    }
  }

  /**
   * Fails the archive with what `onWorkers` threw, if it threw: called where
   * the archive writer can fail, before each entry and each block.
   */
  throwIfCallbackFailed(): void {
    if (this.#callbackFailure === undefined) return;
    const { error } = this.#callbackFailure;
    throw new Error(`The onWorkers callback threw: ${describeError(error)}`, {
      cause: error,
    });
  }

  #drop(pooled: PoolWorker, reason: Error): void {
    pooled.ready = false;
    pooled.worker.terminate();
    const jobs = pooled.jobs;
    pooled.jobs = [];
    for (const job of jobs) job.reject(reason);
  }
}
