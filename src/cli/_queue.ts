/**
 * The segment queue: BullMQ on Redis, named by a `redis://` URL. Jobs,
 * retries, worker liveness and fan-out are BullMQ's; this module only
 * names the queue, turns the URL into BullMQ's connection options, and
 * says when Redis cannot be reached.
 *
 * @module
 */

import { CliError, messageOf, UsageError } from "./_cli_error.ts";

/** The BullMQ queue every build's segment jobs go to. */
export const QUEUE_NAME = "zipstream-segments";

/** BullMQ's (ioredis's) connection options. */
export interface QueueConnection {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  /** BullMQ's workers block on Redis: ioredis must not give up on a command. */
  maxRetriesPerRequest: null;
}

/**
 * `--queue redis://[user:password@]host[:port][/db]` as connection
 * options.
 *
 * @throws {UsageError} for a URL that is not one.
 */
export function queueConnection(url: string): QueueConnection {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(
      `--queue: expected a URL such as redis://127.0.0.1:6379 but got "${url}"`,
    );
  }
  if (parsed.protocol !== "redis:") {
    throw new UsageError(
      `--queue: expected a redis:// URL (BullMQ's queues live in Redis) but got "${url}"`,
    );
  }
  const db = parsed.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d+$/.test(db)) {
    throw new UsageError(
      `--queue: expected the URL's path to be a database number, as in redis://host:6379/0, but got "${parsed.pathname}"`,
    );
  }
  return {
    host: parsed.hostname,
    port: parsed.port === "" ? 6379 : Number(parsed.port),
    ...(parsed.username === ""
      ? {}
      : { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password === ""
      ? {}
      : { password: decodeURIComponent(parsed.password) }),
    ...(db === "" ? {} : { db: Number(db) }),
    maxRetriesPerRequest: null,
  };
}

/** What the helpers below need of a BullMQ `Queue`, `QueueEvents` or `Worker`. */
export interface QueueClient {
  waitUntilReady(): Promise<unknown>;
  on(event: "error", listener: (error: Error) => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
}

/**
 * The longest wait for Redis to answer at the start: ioredis gives a
 * connection attempt 10 s before it reports an error, so this is only
 * reached by a server that accepts connections and never answers.
 */
const REACH_TIMEOUT = 30_000;

/**
 * Resolves once every client has connected to the queue's Redis. The
 * first connection error, or {@linkcode REACH_TIMEOUT}, ends the wait:
 * BullMQ would otherwise reconnect for ever, printing each failure.
 *
 * @throws {CliError} naming `url` and the cause
 * @throws the signal's reason when it is aborted first
 */
export async function reachQueue(
  url: string,
  clients: readonly QueueClient[],
  signal?: AbortSignal,
): Promise<void> {
  let fail: (error: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  const onError = (error: Error) =>
    fail(
      new CliError(
        `Cannot reach the queue's Redis at ${url}: ${
          messageOf(error)
        }; start redis-server there, or name another with --queue`,
        { cause: error },
      ),
    );
  const timer = setTimeout(
    () =>
      fail(
        new CliError(
          `Cannot reach the queue's Redis at ${url}: no answer in ${
            REACH_TIMEOUT / 1000
          } s`,
        ),
      ),
    REACH_TIMEOUT,
  );
  const onAbort = () => fail(signal!.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  for (const client of clients) client.on("error", onError);
  try {
    if (signal?.aborted) throw signal.reason;
    await Promise.race([
      failed,
      Promise.all(clients.map((client) => client.waitUntilReady())),
    ]);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
  // Kept on failure: the clients go on failing until closed, and BullMQ
  // prints the errors of a client that has no listener.
  for (const client of clients) client.off("error", onError);
}

/** The least time between two lines saying the same error. */
const REPEAT_INTERVAL = 60_000;

/**
 * Says the clients' errors once connected (Redis gone, a command refused)
 * with `write`, naming `url`. BullMQ reconnects by itself, retrying every
 * second or two, so the same error is said again only after a minute.
 */
export function reportQueueErrors(
  url: string,
  clients: readonly QueueClient[],
  write: (line: string) => void,
): void {
  let last = "";
  let lastAt = -Infinity;
  const onError = (error: Error) => {
    const message = messageOf(error);
    const now = performance.now();
    if (message === last && now - lastAt < REPEAT_INTERVAL) return;
    last = message;
    lastAt = now;
    write(
      `the queue's Redis at ${url}: ${message}; BullMQ keeps reconnecting (the same error is said again after a minute at most)`,
    );
  };
  for (const client of clients) client.on("error", onError);
}

/** The longest wait for the clients to close, in milliseconds. */
export const CLOSE_TIME = 10_000;

/**
 * Closes the clients, waiting at most {@linkcode CLOSE_TIME}, and not at
 * all when `answering` is false: BullMQ's close waits for ever for a Redis
 * that was never reached or went away. The command exits once this
 * resolves, which ends what is left of the connections.
 */
export async function closeQueue(
  clients: readonly { close(): Promise<void> }[],
  answering: boolean,
): Promise<void> {
  const closed = Promise.allSettled(clients.map((client) => client.close()));
  if (answering) await withinTime(closed, CLOSE_TIME);
}

/**
 * `work`, or `undefined` when it has not settled in `ms` milliseconds: for
 * the Redis commands of a run that is ending, which wait for ever for a
 * Redis that went away.
 */
export async function withinTime<T>(
  work: Promise<T>,
  ms: number,
): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
