/**
 * A TCP proxy on 127.0.0.1 that records the head of every request and the
 * CRC-32 of its body as it crossed the wire, and on demand damages what
 * passes: flips one byte of a request body on its way to the server, or
 * changes a header of the server's answer on its way back. For the checks
 * `tests/s3/_fault_proxy.ts` has no kind for: what a request's checksum
 * headers say against the bytes actually sent, and what a server that
 * checks them does with a damaged body.
 *
 * Like the fault proxy, each connection carries one request (`Connection` is
 * rewritten to `close`; it is not signed) and an `Expect: 100-continue` is
 * answered here.
 *
 * @module
 */

import {
  indexOfHeadEnd,
  ProxyListener,
  readHead,
  rewriteHead,
  writeAll,
} from "./_http_wire.ts";

import { crc32 } from "node:zlib";
import type { ProxiedRequest } from "./_http_wire.ts";

/** What to do to a matching request. */
export type Tamper =
  /** Forward the body with the byte at `offset` (from the body's start) inverted. */
  | { kind: "flip-body-byte"; offset: number }
  /** Forward the request, then pass the answer on with header `name` set to `value` (added if absent). */
  | { kind: "set-answer-header"; name: string; value: string };

/** One request that went through the proxy. */
export interface TamperLogEntry {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  /** What was done to it, if anything. */
  tamper: Tamper["kind"] | undefined;
  /** Body bytes as they reached the server. */
  bodyBytes: number;
  /** CRC-32 of the body as it reached the server. */
  bodyCrc32: number;
  /** The status the server answered; `undefined` when no answer came. */
  status: number | undefined;
}

interface Rule {
  match: (request: ProxiedRequest) => boolean;
  tamper: Tamper;
  times: number;
}

const BUFFER_SIZE = 64 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The proxy. Start with `new TamperProxy(upstream)`, end with `close()`. */
export class TamperProxy {
  /** `http://127.0.0.1:<port>`, for the SDK's `endpoint`. */
  readonly endpoint: string;
  #listener: ProxyListener;
  readonly log: TamperLogEntry[] = [];
  #rules: Rule[] = [];

  /** Listens on a free port of 127.0.0.1, forwarding to `upstream` (also on 127.0.0.1). */
  constructor(upstream: string) {
    this.#listener = new ProxyListener(
      upstream,
      (client) => this.#handle(client),
    );
    this.endpoint = this.#listener.endpoint;
  }

  /** Tampers with the next `times` requests that `match` picks. */
  inject(
    match: (request: ProxiedRequest) => boolean,
    tamper: Tamper,
    times = 1,
  ): void {
    this.#rules.push({ match, tamper, times });
  }

  /** Stops listening, closes every connection, and waits for the handlers. */
  async close(): Promise<void> {
    await this.#listener.close();
  }

  async #handle(client: Deno.Conn): Promise<void> {
    const head = await readHead(client);
    if (head === undefined) return;
    const { request, lines, rest } = head;
    const rule = this.#rules.find((r) => r.times > 0 && r.match(request));
    if (rule !== undefined) rule.times--;
    const tamper = rule?.tamper;
    const entry: TamperLogEntry = {
      ...request,
      tamper: tamper?.kind,
      bodyBytes: 0,
      bodyCrc32: 0,
      status: undefined,
    };
    this.log.push(entry);
    const length = Number(request.headers.get("content-length") ?? "0");
    const upstream = await this.#listener.connectUpstream();
    try {
      if (request.headers.get("expect")?.toLowerCase() === "100-continue") {
        await writeAll(client, encoder.encode("HTTP/1.1 100 Continue\r\n\r\n"));
      }
      await writeAll(upstream, encoder.encode(rewriteHead(lines)));
      // Copy the body, flipping one byte if asked, and checksum what went.
      let sent = 0;
      let crc = 0;
      const send = async (bytes: Uint8Array) => {
        if (
          tamper?.kind === "flip-body-byte" && tamper.offset >= sent &&
          tamper.offset < sent + bytes.length
        ) {
          bytes = bytes.slice();
          bytes[tamper.offset - sent]! ^= 0xff;
        }
        crc = crc32(bytes, crc);
        await writeAll(upstream, bytes);
        sent += bytes.length;
      };
      await send(rest.subarray(0, length));
      const buffer = new Uint8Array(BUFFER_SIZE);
      while (sent < length) {
        const n = await client.read(
          buffer.subarray(0, Math.min(BUFFER_SIZE, length - sent)),
        );
        if (n === null) break;
        await send(buffer.subarray(0, n));
      }
      entry.bodyBytes = sent;
      entry.bodyCrc32 = crc;
      let answer = await readToEnd(upstream);
      entry.status = statusOf(answer);
      if (tamper?.kind === "set-answer-header") {
        answer = withHeader(answer, tamper.name, tamper.value);
      }
      await writeAll(client, answer);
    } finally {
      this.#listener.release(upstream);
    }
  }
}

/** Reads until the server closes: the whole answer, as `Connection: close` makes it end. */
async function readToEnd(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(BUFFER_SIZE);
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) break;
    chunks.push(buffer.slice(0, n));
  }
  const joined = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    joined.set(chunk, at);
    at += chunk.length;
  }
  return joined;
}

function statusOf(answer: Uint8Array): number | undefined {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(
    decoder.decode(answer.subarray(0, 32)),
  );
  return match === null ? undefined : Number(match[1]);
}

/** The answer with header `name` set to `value`: replaced where present, else added. */
function withHeader(
  answer: Uint8Array,
  name: string,
  value: string,
): Uint8Array {
  const end = indexOfHeadEnd(answer);
  if (end < 0) return answer;
  const lines = decoder.decode(answer.subarray(0, end)).split("\r\n");
  const kept = lines.filter((line, index) =>
    index === 0 ||
    line.slice(0, line.indexOf(":")).trim().toLowerCase() !==
      name.toLowerCase()
  );
  const head = encoder.encode(
    `${[...kept, `${name}: ${value}`].join("\r\n")}\r\n\r\n`,
  );
  const body = answer.subarray(end + 4);
  const joined = new Uint8Array(head.length + body.length);
  joined.set(head);
  joined.set(body, head.length);
  return joined;
}
