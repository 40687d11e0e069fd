/**
 * `serveZip()`: a planned archive over HTTP, with ranges and conditional
 * requests.
 *
 * @module
 */

import type { ZipPlan } from "../zip/zip_plan.ts";
import { type BodyPart, bodyStream } from "./_body_stream.ts";
import { formatHttpDate } from "./_http_date.ts";
import { multipartByteranges } from "./_multipart_byteranges.ts";
import { evaluatePreconditions, rangeStillApplies } from "./_preconditions.ts";
import { type RangeSelection, selectRanges } from "./_range_selection.ts";
import { resolveServeOptions } from "./_served_options.ts";

/** Options of {@linkcode serveZip}. */
export interface ServeZipOptions {
  /**
   * The file name a browser or `curl -J` saves the archive as, sent in
   * `Content-Disposition`. A name outside ASCII is sent as `filename*`
   * (UTF-8, RFC 8187) with an ASCII `filename` beside it for older
   * clients (accents dropped, other characters as `_`).
   *
   * @default {undefined} `Content-Disposition: attachment` without a name:
   * clients then take the last segment of the URL, which names the archive
   * better than any fixed default could.
   */
  filename?: string;
  /**
   * Headers added to every response, such as `Cache-Control`, `Vary` or
   * CORS headers. They may not set those `serveZip` computes
   * (`Accept-Ranges`, `Allow`, `Content-Disposition`, `Content-Length`,
   * `Content-Range`, `Content-Type`, `ETag`, `Last-Modified`).
   *
   * @default {{}}
   */
  // Spelt out rather than HeadersInit, which Node's types (without the DOM
  // library) do not declare.
  headers?: Headers | Record<string, string> | [string, string][];
  /**
   * The most ranges one request may get, counted after overlapping and
   * adjacent ranges are merged. A request for more gets the whole archive
   * (200), as nginx's `max_ranges` does.
   *
   * @default {100}
   */
  maxRanges?: number;
  /**
   * A signal that stops the body when aborted: the source being read is
   * cancelled and the body fails. Servers cancel the body when the client
   * goes away (`Deno.serve`, `Bun.serve` and Node's adapters do), which
   * cancels the source as well, so this is for the others: pass
   * `request.signal` there. It is not read by default because reading
   * `request.signal` makes `Deno.serve` warn about its legacy abort on
   * every successful response.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

const ARCHIVE_TYPE = "application/zip";

/**
 * Answers an HTTP request for a planned archive (see `planZip`), as a
 * static file server would answer for a file: with any range of it,
 * validators, and answers to conditional requests. It takes a web `Request`
 * and returns a web `Response`, so it plugs into any fetch-style server:
 * `Deno.serve`, `Bun.serve`, Node through a Request adapter, service workers.
 * Only the sources the requested ranges cover are read, as the body is
 * sent.
 *
 * - `GET` and `HEAD`; any other method gets 405 with `Allow: GET, HEAD`.
 *   `HEAD` gets the headers a `GET` without `Range` would get and reads no
 *   source.
 * - Every 200 and 206 carries `ETag` (the plan's), `Last-Modified`,
 *   `Accept-Ranges: bytes`, an exact `Content-Length`, `Content-Type:
 *   application/zip` and `Content-Disposition: attachment`.
 * - `Range` (GET only, RFC 9110 §14.2): one range gets 206 with
 *   `Content-Range`; several get 206 `multipart/byteranges`, overlapping
 *   and adjacent ranges merged; none satisfiable gets 416 with
 *   `Content-Range: bytes *\/size`. A malformed `Range`, or one of more
 *   than `maxRanges` ranges, is ignored: 200 with the whole archive.
 * - `If-Range` with the current ETag keeps the range; with anything else,
 *   a date included, the whole archive is sent (a plan's Last-Modified is
 *   its newest entry's time, which does not change with every archive, so
 *   resuming on it could splice two archives together).
 * - `If-Match` and `If-Unmodified-Since` that fail get 412;
 *   `If-None-Match` (`*` or a list, weak comparison) and, without it,
 *   `If-Modified-Since` that match get 304 with the `ETag`.
 *
 * The body fails, and the server cuts the transfer short of its
 * `Content-Length`, if a source fails or gives other bytes than planned
 * (see `ZipPlan.slice`): a client sees an incomplete download, never a
 * wrong one. When the client goes away, the server cancels the body, and
 * the body cancels the source being read (see `signal` for servers that
 * do not).
 *
 * @param request The request to answer.
 * @param plan The archive, from `planZip`.
 * @param options The file name, extra headers, range limit and abort
 * signal.
 * @returns The response; its body, if any, reads the plan as it is sent.
 * @throws {TypeError} (as a rejection) when an option has the wrong type or
 * `headers` sets a header `serveZip` computes.
 * @throws {RangeError} (as a rejection) when `maxRanges` is not a positive
 * integer.
 *
 * @example Answer a range request
 * ```ts
 * import assert from "node:assert/strict";
 * import { planZip } from "@zipstream/zipstream";
 * import { serveZip } from "@zipstream/zipstream/http";
 *
 * const plan = await planZip([{ name: "hello.txt", data: "Hello world!" }]);
 * const request = new Request("http://localhost/hello.zip", {
 *   headers: { Range: "bytes=0-3" },
 * });
 * const response = await serveZip(request, plan, { filename: "hello.zip" });
 * assert.equal(response.status, 206);
 * assert.equal(response.headers.get("Content-Range"), `bytes 0-3/${plan.size}`);
 * assert.equal(
 *   response.headers.get("Content-Disposition"),
 *   "attachment; filename=hello.zip",
 * );
 * // A ZIP archive starts with a local file header's signature.
 * const bytes = new Uint8Array(await response.arrayBuffer());
 * assert.deepEqual([...bytes], [0x50, 0x4b, 0x03, 0x04]);
 * ```
 *
 * @example Serve it with Deno.serve, and revalidate with its ETag
 * ```ts
 * import assert from "node:assert/strict";
 * import { planZip } from "@zipstream/zipstream";
 * import { serveZip } from "@zipstream/zipstream/http";
 *
 * const plan = await planZip([
 *   { name: "report.csv", data: "day,visits\n1,10\n" },
 *   { name: "logs/" },
 * ]);
 * const server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   (request) => serveZip(request, plan, { filename: "report.zip" }),
 * );
 * const url = `http://127.0.0.1:${server.addr.port}/report.zip`;
 * const first = await fetch(url);
 * assert.equal((await first.arrayBuffer()).byteLength, plan.size);
 * const again = await fetch(url, {
 *   headers: { "If-None-Match": first.headers.get("ETag")! },
 * });
 * assert.equal(again.status, 304);
 * await server.shutdown();
 * ```
 */
export function serveZip(
  request: Request,
  plan: ZipPlan,
  options: ServeZipOptions = {},
): Promise<Response> {
  // A promise, as fetch handlers return, so that an invalid option arrives
  // as its rejection like any other failure rather than as a synchronous
  // throw that a caller chaining `.catch()` would miss.
  return new Promise((resolve) => resolve(respond(request, plan, options)));
}

function respond(
  request: Request,
  plan: ZipPlan,
  options: ServeZipOptions,
): Response {
  const served = resolveServeOptions(options);
  const headers = served.headers();
  if (request.method !== "GET" && request.method !== "HEAD") {
    headers.set("Allow", "GET, HEAD");
    return new Response(null, { status: 405, headers });
  }
  const outcome = evaluatePreconditions(request.headers, plan);
  if (outcome === "failed") return new Response(null, { status: 412, headers });
  headers.set("ETag", plan.etag);
  if (outcome === "not-modified") {
    return new Response(null, { status: 304, headers });
  }
  headers.set("Last-Modified", formatHttpDate(plan.lastModified));
  headers.set("Accept-Ranges", "bytes");
  const selection = rangesToSend(request, plan, served.maxRanges);
  if (selection.kind === "unsatisfiable") {
    headers.set("Content-Range", `bytes */${plan.size}`);
    return new Response(null, { status: 416, headers });
  }
  const payload = payloadOf(selection, plan);
  headers.set("Content-Disposition", served.disposition);
  headers.set("Content-Type", payload.contentType);
  if (payload.contentRange !== undefined) {
    headers.set("Content-Range", payload.contentRange);
  }
  headers.set("Content-Length", String(payload.length));
  const body = request.method === "HEAD"
    ? null
    : bodyStream(plan, payload.parts, served.signal);
  return new Response(body, { status: payload.status, headers });
}

/** What a 200 or 206 sends: its status, type, range, length and body parts. */
interface Payload {
  readonly status: 200 | 206;
  readonly contentType: string;
  readonly contentRange: string | undefined;
  readonly length: number;
  readonly parts: readonly BodyPart[];
}

function payloadOf(
  selection: Exclude<RangeSelection, { kind: "unsatisfiable" }>,
  plan: ZipPlan,
): Payload {
  if (selection.kind === "whole") {
    return {
      status: 200,
      contentType: ARCHIVE_TYPE,
      contentRange: undefined,
      length: plan.size,
      parts: [{ start: 0, end: plan.size }],
    };
  }
  const [only, ...others] = selection.ranges;
  if (only !== undefined && others.length === 0) {
    return {
      status: 206,
      contentType: ARCHIVE_TYPE,
      contentRange: `bytes ${only.start}-${only.end}/${plan.size}`,
      length: only.end + 1 - only.start,
      parts: [{ start: only.start, end: only.end + 1 }],
    };
  }
  const layout = multipartByteranges(selection.ranges, plan.size, ARCHIVE_TYPE);
  return {
    status: 206,
    contentType: layout.contentType,
    contentRange: undefined,
    length: layout.length,
    parts: layout.parts,
  };
}

/**
 * The ranges a request gets: only a GET's `Range` counts (RFC 9110 §14.2
 * defines none for HEAD), and only while its `If-Range` holds.
 */
function rangesToSend(
  request: Request,
  plan: ZipPlan,
  maxRanges: number,
): RangeSelection {
  const field = request.headers.get("range");
  if (
    request.method !== "GET" || field === null ||
    !rangeStillApplies(request.headers, plan)
  ) {
    return { kind: "whole" };
  }
  return selectRanges(field, plan.size, maxRanges);
}
