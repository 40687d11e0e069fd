/**
 * The HTTP/1.1 wire as the test proxies read and write it: a request's or
 * answer's head, its rewrite for the upstream, and connection helpers.
 *
 * @module
 */

const HEAD_LIMIT = 64 * 1024;
const BUFFER_SIZE = 64 * 1024;
const decoder = new TextDecoder();

/** A request as the proxy sees it. */
export interface ProxiedRequest {
  method: string;
  /** The path, without the query. */
  path: string;
  query: URLSearchParams;
  headers: Headers;
}

export interface Head {
  request: ProxiedRequest;
  lines: string[];
  /** Bytes read past the head: the start of the body. */
  rest: Uint8Array;
}

export async function readHead(conn: Deno.Conn): Promise<Head | undefined> {
  let buffered = new Uint8Array(0);
  for (;;) {
    const end = indexOfHeadEnd(buffered);
    if (end >= 0) {
      const lines = decoder.decode(buffered.subarray(0, end)).split("\r\n");
      const [method = "", target = "/"] = lines[0]!.split(" ");
      const url = new URL(target, "http://proxy");
      const headers = new Headers();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        if (colon > 0) {
          headers.append(
            line.slice(0, colon).trim(),
            line.slice(colon + 1).trim(),
          );
        }
      }
      return {
        request: {
          method,
          path: url.pathname,
          query: url.searchParams,
          headers,
        },
        lines,
        rest: buffered.subarray(end + 4),
      };
    }
    if (buffered.length > HEAD_LIMIT) return undefined;
    const chunk = new Uint8Array(BUFFER_SIZE);
    const n = await conn.read(chunk);
    if (n === null) return undefined;
    const joined = new Uint8Array(buffered.length + n);
    joined.set(buffered);
    joined.set(chunk.subarray(0, n), buffered.length);
    buffered = joined;
  }
}

export function indexOfHeadEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (
      bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 &&
      bytes[i + 3] === 10
    ) return i;
  }
  return -1;
}

/** The request head for the server: one request per connection, and no Expect (the proxy answered it). */
export function rewriteHead(lines: string[]): string {
  const kept = lines.filter((line) => {
    const name = line.slice(0, line.indexOf(":")).trim().toLowerCase();
    return name !== "connection" && name !== "expect" && name !== "keep-alive";
  });
  return `${[...kept, "Connection: close"].join("\r\n")}\r\n\r\n`;
}

export async function writeAll(
  conn: Deno.Conn,
  bytes: Uint8Array,
): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await conn.write(bytes.subarray(written));
  }
}

export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/**
 * The listening side of a test proxy on 127.0.0.1: hands each client
 * connection to `handle`, tracks it and the upstream connections opened for
 * it, and closes them all on `closeConnections()` (a simulated outage) or
 * `close()`.
 */
export class ProxyListener {
  /** `http://127.0.0.1:<port>`, for the SDK's `endpoint`. */
  readonly endpoint: string;
  #upstream: { hostname: string; port: number };
  #listener: Deno.Listener;
  #connections = new Set<Deno.Conn>();
  #tasks = new Set<Promise<void>>();
  #accepting: Promise<void>;

  /** Listens on a free port of 127.0.0.1; `upstream` must be an http:// server on 127.0.0.1 too. */
  constructor(upstream: string, handle: (client: Deno.Conn) => Promise<void>) {
    const url = new URL(upstream);
    if (url.hostname !== "127.0.0.1" || url.protocol !== "http:") {
      throw new RangeError(
        `Cannot proxy to ${upstream}: expected an http:// server on 127.0.0.1`,
      );
    }
    this.#upstream = { hostname: url.hostname, port: Number(url.port) };
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.endpoint = `http://127.0.0.1:${
      (this.#listener.addr as Deno.NetAddr).port
    }`;
    this.#accepting = this.#accept(handle);
  }

  /** Opens a connection to the upstream, tracked until `release`d. */
  async connectUpstream(): Promise<Deno.Conn> {
    const conn = await Deno.connect(this.#upstream);
    this.#connections.add(conn);
    return conn;
  }

  /** Closes a connection and stops tracking it. */
  release(conn: Deno.Conn): void {
    closeQuietly(conn);
    this.#connections.delete(conn);
  }

  /** Closes every connection open now, client and upstream alike. */
  closeConnections(): void {
    for (const conn of this.#connections) closeQuietly(conn);
  }

  /** Stops listening, closes every connection, and waits for the handlers. */
  async close(): Promise<void> {
    this.#listener.close();
    this.closeConnections();
    await this.#accepting;
    await Promise.allSettled([...this.#tasks]);
  }

  async #accept(handle: (client: Deno.Conn) => Promise<void>): Promise<void> {
    for (;;) {
      let client: Deno.Conn;
      try {
        client = await this.#listener.accept();
      } catch {
        return;
      }
      this.#connections.add(client);
      const task = handle(client)
        .catch(() => {})
        .finally(() => this.release(client));
      this.#tasks.add(task);
      task.finally(() => this.#tasks.delete(task));
    }
  }
}
