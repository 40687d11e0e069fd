/**
 * A TCP proxy on 127.0.0.1 between the SDK and the local S3 server that
 * injects the faults an upload must survive: error answers (500, 503
 * SlowDown), a connection dropped in the middle of a request body, a stall,
 * and an answer lost after the server acted on the request.
 *
 * Each proxied connection carries exactly one request (the proxy rewrites
 * `Connection` to `close`; the header is not signed), so requests are told
 * apart without parsing answers.
 *
 * @module
 */

/** A request as the proxy sees it. */
export interface ProxiedRequest {
  method: string;
  /** The path, without the query. */
  path: string;
  query: URLSearchParams;
  headers: Headers;
}

/** What to do with a matching request. */
export type FaultAction =
  /** Answer with this status and S3 error code; the server never sees the request. */
  | { kind: "status"; status: number; code: string }
  /** Forward the head and half the body, then close both connections. */
  | { kind: "drop" }
  /** Never answer; hold the connection until the client gives up. */
  | { kind: "stall" }
  /** Forward the whole request, let the server act on it, then close without its answer. */
  | { kind: "lose-answer" }
  /** Forward the request, pass on the first `bytes` of the answer (head included), then close. */
  | { kind: "cut-answer"; bytes: number };

/** A fault for the next `times` requests that `match` picks. */
export interface FaultRule {
  match: (request: ProxiedRequest) => boolean;
  action: FaultAction;
  times: number;
}

/** One request that went through the proxy. */
export interface ProxyLogEntry {
  method: string;
  path: string;
  query: string;
  action: FaultAction["kind"] | "pass";
  /** The request's Range header, if any. */
  range: string | undefined;
  /** The request's Content-MD5 header, if any. */
  contentMd5: string | undefined;
  /** Body bytes forwarded to the server. */
  bodyBytesForwarded: number;
}

const HEAD_LIMIT = 64 * 1024;
const BUFFER_SIZE = 64 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Whether a request is an UploadPart (optionally of one part number). */
export function isUploadPart(partNumber?: number) {
  return (request: ProxiedRequest) =>
    request.method === "PUT" && request.query.has("uploadId") &&
    (partNumber === undefined ||
      request.query.get("partNumber") === String(partNumber));
}

/** Whether a request is a CompleteMultipartUpload. */
export function isComplete(request: ProxiedRequest): boolean {
  return request.method === "POST" && request.query.has("uploadId");
}

/** Whether a request is a CreateMultipartUpload. */
export function isCreate(request: ProxiedRequest): boolean {
  return request.method === "POST" && request.query.has("uploads");
}

/** The proxy. Start with `FaultProxy.start(endpoint)`, end with `close()`. */
export class FaultProxy {
  /** `http://127.0.0.1:<port>`, for the SDK's `endpoint`. */
  readonly endpoint: string;
  /** Rules, tried in order; a rule stops matching once its `times` are used. */
  readonly rules: FaultRule[] = [];
  readonly log: ProxyLogEntry[] = [];
  #listener: Deno.Listener;
  #upstream: { hostname: string; port: number };
  #connections = new Set<Deno.Conn>();
  #tasks = new Set<Promise<void>>();
  #accepting: Promise<void>;

  /** Listens on a free port of 127.0.0.1, forwarding to `upstream` (also on 127.0.0.1). */
  constructor(upstream: string) {
    const url = new URL(upstream);
    if (url.hostname !== "127.0.0.1") {
      throw new RangeError(
        `Cannot proxy to ${upstream}: expected a server on 127.0.0.1`,
      );
    }
    this.#upstream = { hostname: url.hostname, port: Number(url.port) };
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const address = this.#listener.addr as Deno.NetAddr;
    this.endpoint = `http://127.0.0.1:${address.port}`;
    this.#accepting = this.#accept();
  }

  /** Starts a proxy to `upstream`; see the constructor. */
  static start(upstream: string): FaultProxy {
    return new FaultProxy(upstream);
  }

  /** Adds a fault for the next `times` matching requests. */
  inject(
    match: (request: ProxiedRequest) => boolean,
    action: FaultAction,
    times = 1,
  ): void {
    this.rules.push({ match, action, times });
  }

  /** Stops listening, closes every connection, and waits for the handlers. */
  async close(): Promise<void> {
    this.#listener.close();
    for (const conn of this.#connections) closeQuietly(conn);
    await this.#accepting;
    await Promise.allSettled([...this.#tasks]);
  }

  async #accept(): Promise<void> {
    for (;;) {
      let client: Deno.Conn;
      try {
        client = await this.#listener.accept();
      } catch {
        return;
      }
      this.#connections.add(client);
      const task = this.#handle(client)
        .catch(() => {})
        .finally(() => {
          closeQuietly(client);
          this.#connections.delete(client);
        });
      this.#tasks.add(task);
      task.finally(() => this.#tasks.delete(task));
    }
  }

  async #handle(client: Deno.Conn): Promise<void> {
    const head = await readHead(client);
    if (head === undefined) return;
    const { request, rest } = head;
    const rule = this.rules.find((r) => r.times > 0 && r.match(request));
    if (rule !== undefined) rule.times--;
    const action = rule?.action;
    const entry: ProxyLogEntry = {
      method: request.method,
      path: request.path,
      query: request.query.toString(),
      action: action?.kind ?? "pass",
      range: request.headers.get("range") ?? undefined,
      contentMd5: request.headers.get("content-md5") ?? undefined,
      bodyBytesForwarded: 0,
    };
    this.log.push(entry);
    const expectsContinue =
      request.headers.get("expect")?.toLowerCase() === "100-continue";
    const bodyLength = Number(request.headers.get("content-length") ?? "0");

    if (action?.kind === "status") {
      // Behind an Expect: 100-continue, a final answer means "do not send the body".
      if (!expectsContinue) await drain(client, bodyLength - rest.length);
      await writeAll(client, errorResponse(action.status, action.code));
      return;
    }
    if (action?.kind === "stall") {
      await drain(client, Infinity);
      return;
    }

    const upstream = await Deno.connect(this.#upstream);
    this.#connections.add(upstream);
    try {
      if (expectsContinue) {
        await writeAll(client, encoder.encode("HTTP/1.1 100 Continue\r\n\r\n"));
      }
      await writeAll(upstream, encoder.encode(rewriteHead(head.lines)));
      if (action?.kind === "drop") {
        const half = Math.floor(bodyLength / 2);
        entry.bodyBytesForwarded = await forward(client, upstream, half, rest);
        return;
      }
      entry.bodyBytesForwarded = await forward(
        client,
        upstream,
        bodyLength,
        rest,
      );
      if (action?.kind === "lose-answer") {
        await drain(upstream, Infinity);
        return;
      }
      await pipe(
        upstream,
        client,
        action?.kind === "cut-answer" ? action.bytes : Infinity,
      );
    } finally {
      closeQuietly(upstream);
      this.#connections.delete(upstream);
    }
  }
}

interface Head {
  request: ProxiedRequest;
  lines: string[];
  /** Bytes read past the head: the start of the body. */
  rest: Uint8Array;
}

async function readHead(conn: Deno.Conn): Promise<Head | undefined> {
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

function indexOfHeadEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (
      bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 &&
      bytes[i + 3] === 10
    ) return i;
  }
  return -1;
}

/** The request head for the server: one request per connection, and no Expect (the proxy answered it). */
function rewriteHead(lines: string[]): string {
  const kept = lines.filter((line) => {
    const name = line.slice(0, line.indexOf(":")).trim().toLowerCase();
    return name !== "connection" && name !== "expect" && name !== "keep-alive";
  });
  return `${[...kept, "Connection: close"].join("\r\n")}\r\n\r\n`;
}

/** Copies `length` body bytes (starting with `rest`) from `from` to `to`; returns how many went. */
async function forward(
  from: Deno.Conn,
  to: Deno.Conn,
  length: number,
  rest: Uint8Array,
): Promise<number> {
  let sent = 0;
  const first = rest.subarray(0, length);
  await writeAll(to, first);
  sent += first.length;
  const buffer = new Uint8Array(BUFFER_SIZE);
  while (sent < length) {
    const n = await from.read(
      buffer.subarray(0, Math.min(BUFFER_SIZE, length - sent)),
    );
    if (n === null) break;
    await writeAll(to, buffer.subarray(0, n));
    sent += n;
  }
  return sent;
}

/** Copies from `from` to `to` until `from` ends or `limit` bytes went. */
async function pipe(
  from: Deno.Conn,
  to: Deno.Conn,
  limit: number,
): Promise<void> {
  const buffer = new Uint8Array(BUFFER_SIZE);
  for (let sent = 0; sent < limit;) {
    const n = await from.read(buffer);
    if (n === null) return;
    const passed = buffer.subarray(0, Math.min(n, limit - sent));
    await writeAll(to, passed);
    sent += passed.length;
  }
}

/** Reads and discards up to `length` bytes, or until the connection ends. */
async function drain(conn: Deno.Conn, length: number): Promise<void> {
  const buffer = new Uint8Array(BUFFER_SIZE);
  let read = 0;
  while (read < length) {
    const n = await conn.read(buffer);
    if (n === null) return;
    read += n;
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await conn.write(bytes.subarray(written));
  }
}

function errorResponse(status: number, code: string): Uint8Array {
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
    `<Message>Injected by the fault proxy</Message><RequestId>fault</RequestId></Error>`;
  const reason = status === 503
    ? "Service Unavailable"
    : "Internal Server Error";
  return encoder.encode(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/xml\r\n` +
      `Content-Length: ${
        encoder.encode(body).length
      }\r\nConnection: close\r\n\r\n${body}`,
  );
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}
