/**
 * A planned entry's data as a `RangedSource`, whatever shape it was given in.
 *
 * @module
 */

import { describeValue, isDetached } from "../_errors.ts";
import { cannotAdd } from "./_describe.ts";
import { encodeUtf8 } from "./_utf8.ts";
import type { PlanEntryData } from "./plan_entry.ts";
import type { RangedSource } from "./ranged_source.ts";

/** Data given whole: its bytes, which `resolveEntry` checks like `zip()`'s. */
export interface WholeData {
  readonly kind: "whole";
  readonly bytes: Uint8Array;
  readonly source: RangedSource;
}

/** Data read by ranges. */
export interface RangedData {
  readonly kind: "ranged";
  readonly source: RangedSource;
}

/**
 * Sorts a planned entry's data into bytes given whole or a source read by
 * ranges, checking a caller's `RangedSource` as far as can be done without
 * reading it.
 */
export function planSource(
  name: string,
  data: PlanEntryData | undefined,
): WholeData | RangedData {
  if (data === undefined) return whole(new Uint8Array(0));
  if (typeof data === "string") return whole(encodeUtf8(data));
  if (data instanceof Uint8Array || data instanceof ArrayBuffer) {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    if (isDetached(bytes.buffer)) {
      throw new TypeError(
        `${cannotAdd(name)}: its data is ${
          describeValue(data)
        }, whose bytes are gone (transferred or freed)`,
      );
    }
    // Copied once: the plan serves these bytes for as long as it lives,
    // and the caller may write to the array after planning.
    return whole(bytes.slice());
  }
  if (typeof Blob !== "undefined" && data instanceof Blob) {
    return { kind: "ranged", source: blobSource(data) };
  }
  if (isRangedSource(data)) {
    checkSourceSize(name, data.size);
    if (data.identity !== undefined && typeof data.identity !== "string") {
      throw new TypeError(
        `${
          cannotAdd(name)
        }: expected its source's identity to be a string but received ${
          describeValue(data.identity)
        }`,
      );
    }
    return { kind: "ranged", source: data };
  }
  throw new TypeError(
    `${
      cannotAdd(name)
    }: expected its data to be a string, Uint8Array, ArrayBuffer, Blob or RangedSource ({ size, read(start, end) }) but received ${
      describeValue(data)
    }`,
  );
}

function isRangedSource(data: unknown): data is RangedSource {
  return typeof data === "object" && data !== null &&
    typeof (data as Partial<RangedSource>).read === "function" &&
    "size" in data;
}

function checkSourceSize(name: string, size: unknown): void {
  if (!Number.isSafeInteger(size) || (size as number) < 0) {
    throw new RangeError(
      `${
        cannotAdd(name)
      }: expected its source's size to be a non-negative safe integer but received ${
        describeValue(size)
      }`,
    );
  }
}

function whole(bytes: Uint8Array): WholeData {
  return {
    kind: "whole",
    bytes,
    source: {
      size: bytes.length,
      // Copied: whoever reads the archive may keep or transfer its chunks,
      // and the plan must serve the same bytes again.
      read: (start, end) => ReadableStream.from([bytes.slice(start, end)]),
    },
  };
}

function blobSource(blob: Blob): RangedSource {
  return {
    size: blob.size,
    read: (start, end) => blob.slice(start, end).stream(),
  };
}
