/**
 * A TCP proxy on 127.0.0.1 between the SDK and the local S3 server that
 * injects the faults an upload must survive: error answers (500, 503
 * SlowDown), a connection dropped in the middle of a request body, a stall,
 * an answer lost after the server acted on the request, a server gone for a
 * while (every connection reset), and answers the server gave but that reach
 * the client late, garbled, replaced by an error or with another ETag.
 *
 * Each proxied connection carries exactly one request (the proxy rewrites
 * `Connection` to `close`; the header is not signed), so requests are told
 * apart without parsing answers, and an answer ends when the server closes.
 *
 * @module
 */

import {
  indexOfHeadEnd,
  type ProxiedRequest,
  ProxyListener,
  readHead,
  rewriteHead,
  writeAll,
} from "./_http_wire.ts";

export type { ProxiedRequest };

/** What to do with a matching request. */
export type FaultAction =
  /** Answer with this status and S3 error code; the server never sees the request. */
  | { kind: "status"; status: number; code: string; message?: string }
  /** Forward the head and half the body, then close both connections. */
  | { kind: "drop" }
  /** Never answer; hold the connection until the client gives up. */
  | { kind: "stall" }
  /** Forward the whole request, let the server act on it, then close without its answer. */
  | { kind: "lose-answer" }
  /** Forward the request, pass on the first `bytes` of the answer (head included), then close. */
  | { kind: "cut-answer"; bytes: number }
  /**
   * Close the connection at once, without forwarding or answering: what a
   * client sees of a server that has stopped (a reset when the request's
   * bytes are still unread).
   */
  | { kind: "reset" }
  /**
   * Start an outage with this request, as `FaultProxy.outage(durationMs)`
   * does: this request, every connection open now and every request for the
   * next `durationMs` are reset.
   */
  | { kind: "outage"; durationMs: number }
  /** Forward the request, let the server answer in full, and pass the answer on unchanged `ms` later. */
  | { kind: "delay-answer"; ms: number }
  /** Forward the request, let the server act on it, and answer this status and S3 error code instead. */
  | { kind: "replace-answer"; status: number; code: string }
  /**
   * Forward the request, let the server act on it, and answer 200 with
   * `body` instead: by default a document cut short inside an element, so
   * not well-formed XML.
   */
  | { kind: "garble-answer"; body?: string }
  /**
   * Forward the request and pass on the server's answer with each ETag (the
   * header and every `<ETag>` element) emptied, as Ceph radosgw answers
   * CompleteMultipartUpload, or changed to another of the same shape (each
   * hex digit of its MD5 plus one), so that the client holds an ETag the
   * server never gave.
   */
  | { kind: "rewrite-etag"; etag: "empty" | "other" };

/**
 * A fault for the requests that `match` picks: the next `times` of them,
 * those arriving before `until` (a `Date.now()` time), or both.
 */
export interface FaultRule {
  match: (request: ProxiedRequest) => boolean;
  action: FaultAction;
  times: number;
  /** When the rule stops matching; absent: never, by time. */
  until?: number;
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
  /**
   * The status the server answered, before any rewrite; `undefined` when the
   * request was not forwarded or no answer began.
   */
  serverStatus: number | undefined;
}

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

/** Whether a request is an UploadPart of a part numbered above `partNumber`. */
export function isUploadPartAfter(partNumber: number) {
  return (request: ProxiedRequest) =>
    isUploadPart()(request) &&
    Number(request.query.get("partNumber")) > partNumber;
}

/** Whether a request is a CompleteMultipartUpload. */
export function isComplete(request: ProxiedRequest): boolean {
  return request.method === "POST" && request.query.has("uploadId");
}

/** Whether a request is a CreateMultipartUpload. */
export function isCreate(request: ProxiedRequest): boolean {
  return request.method === "POST" && request.query.has("uploads");
}

/** Whether a request is a ListParts (optionally of one upload). */
export function isListParts(uploadId?: string) {
  return (request: ProxiedRequest) =>
    request.method === "GET" && ofUpload(request, uploadId);
}

/** Whether a request is an AbortMultipartUpload (optionally of one upload). */
export function isAbort(uploadId?: string) {
  return (request: ProxiedRequest) =>
    request.method === "DELETE" && ofUpload(request, uploadId);
}

/** Whether a request is a HeadObject (not a HeadBucket). */
export function isHeadObject(request: ProxiedRequest): boolean {
  return request.method === "HEAD" && isObjectPath(request.path);
}

/** Whether a request is a PutObject (not an UploadPart, a CreateBucket or a copy). */
export function isPutObject(request: ProxiedRequest): boolean {
  return request.method === "PUT" && isObjectPath(request.path) &&
    !request.query.has("uploadId") &&
    !request.headers.has("x-amz-copy-source");
}

/** Every request. */
export function anyRequest(): boolean {
  return true;
}

function ofUpload(request: ProxiedRequest, uploadId: string | undefined) {
  return request.query.has("uploadId") &&
    (uploadId === undefined || request.query.get("uploadId") === uploadId);
}

/** Whether a path-style path names an object: `/bucket/key`, not `/bucket` or `/bucket/`. */
function isObjectPath(path: string): boolean {
  return /^\/[^/]+\/./.test(path);
}

/** The proxy. Start with `FaultProxy.start(endpoint)`, end with `close()`. */
export class FaultProxy {
  /** `http://127.0.0.1:<port>`, for the SDK's `endpoint`. */
  readonly endpoint: string;
  #listener: ProxyListener;
  /** Rules, tried in order; a rule stops matching once its `times` are used or its `until` has passed. */
  readonly rules: FaultRule[] = [];
  readonly log: ProxyLogEntry[] = [];
  /** Aborted by `close()`: ends the waits of delayed answers. */
  #closing = new AbortController();

  /** Listens on a free port of 127.0.0.1, forwarding to `upstream` (also on 127.0.0.1). */
  constructor(upstream: string) {
    this.#listener = new ProxyListener(
      upstream,
      (client) => this.#handle(client),
    );
    this.endpoint = this.#listener.endpoint;
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

  /** Adds a fault for every matching request in the next `durationMs` milliseconds. */
  injectFor(
    match: (request: ProxiedRequest) => boolean,
    action: FaultAction,
    durationMs: number,
  ): void {
    this.rules.push({
      match,
      action,
      times: Infinity,
      until: Date.now() + durationMs,
    });
  }

  /**
   * The server is gone for `durationMs` milliseconds from now: every
   * connection open now is closed (requests in flight fail, answers being
   * held are lost), and every request in the window is reset, ahead of any
   * other rule. The server itself keeps what it already received.
   */
  outage(durationMs: number): void {
    this.rules.unshift({
      match: anyRequest,
      action: { kind: "reset" },
      times: Infinity,
      until: Date.now() + durationMs,
    });
    this.#listener.closeConnections();
  }

  /** Stops listening, closes every connection, and waits for the handlers. */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.#listener.close();
  }

  async #handle(client: Deno.Conn): Promise<void> {
    const head = await readHead(client);
    if (head === undefined) return;
    const { request, rest } = head;
    const now = Date.now();
    const rule = this.rules.find((r) =>
      r.times > 0 && (r.until === undefined || now < r.until) &&
      r.match(request)
    );
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
      serverStatus: undefined,
    };
    this.log.push(entry);
    const expectsContinue =
      request.headers.get("expect")?.toLowerCase() === "100-continue";
    const bodyLength = Number(request.headers.get("content-length") ?? "0");
    const isHead = request.method === "HEAD";

    if (action?.kind === "outage") {
      this.outage(action.durationMs);
      return;
    }
    if (action?.kind === "reset") return;
    if (action?.kind === "status") {
      // Behind an Expect: 100-continue, a final answer means "do not send the body".
      if (!expectsContinue) await drain(client, bodyLength - rest.length);
      await writeAll(
        client,
        errorResponse(action.status, action.code, isHead, action.message),
      );
      return;
    }
    if (action?.kind === "stall") {
      await drain(client, Infinity);
      return;
    }

    const upstream = await this.#listener.connectUpstream();
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
      if (
        action?.kind === "delay-answer" ||
        action?.kind === "replace-answer" ||
        action?.kind === "garble-answer" ||
        action?.kind === "rewrite-etag"
      ) {
        const bytes = await readToEnd(upstream);
        const answer = parseAnswer(bytes);
        entry.serverStatus = answer?.status;
        await writeAll(
          client,
          await this.#transform(action, bytes, answer, isHead),
        );
        return;
      }
      await pipe(
        upstream,
        client,
        action?.kind === "cut-answer" ? action.bytes : Infinity,
        (status) => entry.serverStatus = status,
      );
    } finally {
      this.#listener.release(upstream);
    }
  }

  /** What the client gets instead of the server's whole answer `bytes`. */
  async #transform(
    action: Extract<
      FaultAction,
      {
        kind:
          | "delay-answer"
          | "replace-answer"
          | "garble-answer"
          | "rewrite-etag";
      }
    >,
    bytes: Uint8Array,
    answer: Answer | undefined,
    isHead: boolean,
  ): Promise<Uint8Array> {
    switch (action.kind) {
      case "delay-answer":
        await sleep(action.ms, this.#closing.signal);
        return bytes;
      case "replace-answer":
        return errorResponse(action.status, action.code, isHead);
      case "garble-answer":
        return response(
          200,
          [["Content-Type", "application/xml"]],
          encoder.encode(action.body ?? GARBLED_BODY),
          isHead,
        );
      case "rewrite-etag": {
        if (answer === undefined) return bytes;
        const rewrite = action.etag === "empty"
          ? () => ""
          : (etag: string) => etag.replace(/[0-9a-f]{32}/i, shiftHex);
        const headers = answer.headers.map(([name, value]): [
          string,
          string,
        ] => [name, name.toLowerCase() === "etag" ? rewrite(value) : value]);
        const body = decoder.decode(answer.body).replace(
          /<ETag>([^<]*)<\/ETag>/g,
          (_, etag: string) => `<ETag>${rewrite(etag)}</ETag>`,
        );
        return response(
          answer.status,
          headers,
          encoder.encode(body),
          isHead,
          answer.reason,
        );
      }
    }
  }
}

/** A document cut short inside an element: no XML parser accepts it. */
const GARBLED_BODY = `<?xml version="1.0" encoding="UTF-8"?>\n` +
  `<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
  `<Location>http://garbled</Bucket><Key`;

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

/**
 * Copies from `from` to `to` until `from` ends or `limit` bytes went, telling
 * `onStatus` the answer's status once its status line has passed.
 */
async function pipe(
  from: Deno.Conn,
  to: Deno.Conn,
  limit: number,
  onStatus: (status: number) => void,
): Promise<void> {
  const buffer = new Uint8Array(BUFFER_SIZE);
  let start: string | undefined = "";
  for (let sent = 0; sent < limit;) {
    const n = await from.read(buffer);
    if (n === null) return;
    if (start !== undefined) {
      start += decoder.decode(buffer.subarray(0, Math.min(n, 64)));
      const status = statusOf(start);
      if (status !== undefined) onStatus(status);
      if (status !== undefined || start.length >= 64) start = undefined;
    }
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

/** Reads until the server closes: the whole answer, as `Connection: close` makes it end. */
async function readToEnd(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const buffer = new Uint8Array(BUFFER_SIZE);
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) break;
    chunks.push(buffer.slice(0, n));
    length += n;
  }
  const joined = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    joined.set(chunk, at);
    at += chunk.length;
  }
  return joined;
}

/** An answer taken apart, with a chunked body joined. */
interface Answer {
  status: number;
  reason: string;
  headers: [string, string][];
  body: Uint8Array;
}

/** The status in an answer's status line, once the line is whole. */
function statusOf(start: string): number | undefined {
  const match = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(start);
  return match === null ? undefined : Number(match[1]);
}

function parseAnswer(bytes: Uint8Array): Answer | undefined {
  const end = indexOfHeadEnd(bytes);
  if (end < 0) return undefined;
  const [statusLine = "", ...lines] = decoder.decode(bytes.subarray(0, end))
    .split("\r\n");
  const match = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(statusLine);
  if (match === null) return undefined;
  const headers = lines.map((line): [string, string] => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
  });
  const chunked = headers.some(([name, value]) =>
    name.toLowerCase() === "transfer-encoding" && /chunked/i.test(value)
  );
  const body = bytes.subarray(end + 4);
  return {
    status: Number(match[1]),
    reason: match[2] ?? "",
    headers,
    body: chunked ? unchunk(body) : body,
  };
}

/** The bytes of a chunked body, without its chunk sizes and trailers. */
function unchunk(bytes: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (;;) {
    let lineEnd = at;
    while (
      lineEnd + 1 < bytes.length &&
      !(bytes[lineEnd] === 13 && bytes[lineEnd + 1] === 10)
    ) lineEnd++;
    const size = parseInt(decoder.decode(bytes.subarray(at, lineEnd)), 16);
    if (!(size > 0)) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  const joined = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

/** Each hex digit plus one (f wraps to 0): an MD5 of the same shape that is not the one given. */
function shiftHex(hex: string): string {
  return hex.replace(
    /[0-9a-f]/gi,
    (digit) => ((parseInt(digit, 16) + 1) % 16).toString(16),
  );
}

const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/**
 * A whole answer that closes the connection, its body sent with a
 * `Content-Length`. The answer to a HEAD carries no body, only a length: the
 * one in `headers` (the object's), else `body`'s.
 */
function response(
  status: number,
  headers: [string, string][],
  body: Uint8Array,
  isHead: boolean,
  reason = REASONS[status] ?? "Error",
): Uint8Array {
  const lengthOf = (name: string) => name.toLowerCase() === "content-length";
  const length = isHead
    ? headers.find(([name]) => lengthOf(name))?.[1] ?? String(body.length)
    : String(body.length);
  const kept = headers.filter(([name]) =>
    !lengthOf(name) &&
    !["connection", "transfer-encoding", "keep-alive"]
      .includes(name.toLowerCase())
  );
  const lines = [
    `HTTP/1.1 ${status} ${reason}`,
    ...kept.map(([name, value]) => `${name}: ${value}`),
    `Content-Length: ${length}`,
    "Connection: close",
  ];
  const head = encoder.encode(`${lines.join("\r\n")}\r\n\r\n`);
  if (isHead) return head;
  const joined = new Uint8Array(head.length + body.length);
  joined.set(head);
  joined.set(body, head.length);
  return joined;
}

function errorResponse(
  status: number,
  code: string,
  isHead: boolean,
  message = "Injected by the fault proxy",
): Uint8Array {
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
    `<Message>${message}</Message><RequestId>fault</RequestId></Error>`;
  return response(
    status,
    [["Content-Type", "application/xml"]],
    encoder.encode(body),
    isHead,
  );
}

/** Waits `ms` milliseconds, or less if `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
