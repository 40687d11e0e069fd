/**
 * The ZIP format: a streaming archive writer that runs on web APIs alone, in
 * Deno, browsers, Node, Bun and workers.
 *
 * @example Zip to a file
 * ```ts
 * import assert from "node:assert/strict";
 * import { zip } from "@zipstream/zipstream";
 *
 * const path = await Deno.makeTempFile({ suffix: ".zip" });
 * await zip([{ name: "hello.txt", data: "Hello world!" }])
 *   .pipeTo((await Deno.create(path)).writable);
 * assert.ok((await Deno.stat(path)).size > 0);
 * await Deno.remove(path);
 * ```
 *
 * @module
 */

export { crc32 } from "./crc32.ts";
export { crc32Combine } from "./crc32_combine.ts";
export { predictLength } from "./predict_length.ts";
export { zip } from "./zip.ts";
export type {
  CompressionMethod,
  ZipEntry,
  ZipEntryData,
  ZipEntrySource,
} from "./zip_entry.ts";
export type { WorkerStatus, ZipOptions } from "./zip_options.ts";
export type { ResumePoint, WrittenEntry } from "./written_entry.ts";
export {
  decodeWrittenEntry,
  encodeWrittenEntry,
} from "./written_entry_record.ts";
export { ZipStream } from "./zip_stream.ts";
export { planZip } from "./plan_zip.ts";
export type {
  CrcCache,
  PlanEntry,
  PlanEntryData,
  PlanOptions,
} from "./plan_entry.ts";
export type { RangedSource } from "./ranged_source.ts";
export type { PlannedEntry, ZipPlan } from "./zip_plan.ts";
