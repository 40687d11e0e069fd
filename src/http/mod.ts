/**
 * Serving planned archives over HTTP: `serveZip(request, plan)` answers a
 * web `Request` for an archive laid out by `planZip` with a web `Response`,
 * as a static file server answers for a file. Ranges (one, or several as
 * `multipart/byteranges`), `HEAD`, a strong `ETag` and `Last-Modified`,
 * `If-Range`, `If-None-Match`, `If-Modified-Since`, `If-Match` and
 * `If-Unmodified-Since` all work, so that browsers resume downloads, `curl
 * -C -` and `wget -c` continue a cut one, and segmented downloaders such as
 * aria2 fetch pieces in parallel; only the sources a range covers are read.
 * Web APIs only: it runs in any fetch-style server (`Deno.serve`,
 * `Bun.serve`, Node with a Request adapter).
 *
 * @example An archive of two files, one range of it
 * ```ts
 * import assert from "node:assert/strict";
 * import { planZip } from "@zipstream/zipstream";
 * import { serveZip } from "@zipstream/zipstream/http";
 *
 * const plan = await planZip([
 *   { name: "a.txt", data: "first" },
 *   { name: "b.txt", data: "second" },
 * ]);
 * // In a server: Deno.serve((request) => serveZip(request, plan));
 * const response = await serveZip(
 *   new Request("http://localhost/ab.zip", { headers: { Range: "bytes=-22" } }),
 *   plan,
 * );
 * assert.equal(response.status, 206);
 * // The last 22 bytes: the end of central directory record.
 * const end = new Uint8Array(await response.arrayBuffer());
 * assert.deepEqual([...end.subarray(0, 4)], [0x50, 0x4b, 0x05, 0x06]);
 * ```
 *
 * @module
 */

export { serveZip, type ServeZipOptions } from "./serve_zip.ts";
