/**
 * zipstream writes ZIP archives as web `ReadableStream`s, piece by piece, in
 * bounded memory, with ZIP64 switched on only where an archive needs it.
 * Upload them to S3 with `@zipstream/zipstream/s3`.
 *
 * @example Zip entries and check the archive's signature
 * ```ts
 * import assert from "node:assert/strict";
 * import { zip } from "@zipstream/zipstream";
 *
 * const archive = zip([
 *   { name: "greeting.txt", data: "Hello world!" },
 *   { name: "numbers.json", data: new TextEncoder().encode("[1, 2, 3, 4, 5]") },
 *   { name: "logs/" },
 * ]);
 * const bytes = new Uint8Array(await new Response(archive).arrayBuffer());
 * assert.deepEqual([...bytes.subarray(0, 4)], [0x50, 0x4b, 0x03, 0x04]);
 * ```
 *
 * @module
 */

export * from "./src/zip/mod.ts";
