/**
 * The segment queue: BullMQ on Redis, named by a `redis://` URL. Jobs,
 * retries, worker liveness and fan-out are BullMQ's; this module only
 * names the queue and turns the URL into BullMQ's connection options.
 *
 * @module
 */

import { UsageError } from "./_cli_error.ts";

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
