/**
 * A `Worker` global that keeps a log, for the tests of the deflate pool and
 * of the look-ahead: workers made and ended, and the jobs sent to them.
 *
 * @module
 */

/** What the `Worker` global saw during a test. */
export interface WorkerLog {
  created: number;
  /** Messages with one block of a streamed entry. */
  blocksSent: number;
  /** Messages with a batch of whole in-memory entries. */
  batches: number;
  terminated: number;
  /** Resolves once a worker has said it is ready. */
  firstReady: Promise<void>;
}

/**
 * Runs `fn` with the `Worker` global replaced by `replacement` (a subclass
 * of the real one that keeps a log, unless given), restoring it afterwards.
 */
export async function withWorkers<T>(
  fn: (log: WorkerLog) => Promise<T>,
  replacement?: (Base: typeof Worker, log: WorkerLog) => typeof Worker,
): Promise<T> {
  const original = globalThis.Worker;
  let ready!: () => void;
  const log: WorkerLog = {
    created: 0,
    blocksSent: 0,
    batches: 0,
    terminated: 0,
    firstReady: new Promise((resolve) => ready = resolve),
  };
  class LoggedWorker extends original {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      log.created++;
      this.addEventListener("message", (event: MessageEvent) => {
        if ((event.data as { kind?: string }).kind === "ready") ready();
      });
    }
    override postMessage(
      message: unknown,
      transfer?: Transferable[] | StructuredSerializeOptions,
    ): void {
      if ((message as { kind?: string }).kind === "entries") log.batches++;
      else log.blocksSent++;
      if (Array.isArray(transfer)) super.postMessage(message, transfer);
      else super.postMessage(message, transfer);
    }
    override terminate(): void {
      log.terminated++;
      super.terminate();
    }
  }
  globalThis.Worker = replacement?.(LoggedWorker, log) ?? LoggedWorker;
  try {
    return await fn(log);
  } finally {
    globalThis.Worker = original;
  }
}
