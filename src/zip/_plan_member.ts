/**
 * A planned archive's member: an entry checked as `zip()` checks it and as a
 * plan needs it (stored, unencrypted, its size that of its source), with its
 * source and, once known, its CRC-32.
 *
 * @module
 */

import { describeValue } from "../_errors.ts";
import { cannotAdd } from "./_describe.ts";
import { planSource } from "./_plan_source.ts";
import {
  epochMilliseconds,
  type ResolvedEntry,
  resolveEntry,
} from "./_resolved_entry.ts";
import type { PlanEntry } from "./plan_entry.ts";
import type { RangedSource } from "./ranged_source.ts";
import type { ZipEntry } from "./zip_entry.ts";

/** Stands for a ranged source's data where `resolveEntry` wants data. */
const NOT_READ: Iterable<Uint8Array> = [];

/** An entry checked, with its source and (once known) its CRC. */
export interface Member {
  readonly entry: ResolvedEntry;
  /** The entry as `zip()` is given it (data given whole kept, other data left out). */
  readonly given: ZipEntry;
  readonly source: RangedSource;
  readonly lastModified: number;
  crc32: number | undefined;
}

/**
 * Checks a planned entry and makes it a member: its CRC is taken from the
 * entry, else from its source's checksum (which must agree), else is 0 for
 * no data, else is left to be found.
 *
 * @throws {TypeError} for an entry of the wrong kind, or one asking for
 * compression or encryption, which a plan cannot give.
 * @throws {RangeError} for a value out of range, a declared size or CRC its
 * source contradicts.
 */
export function checkedMember(
  entry: PlanEntry,
  defaults: Parameters<typeof resolveEntry>[1],
  position: number,
): Member {
  if (typeof entry !== "object" || entry === null) {
    // resolveEntry words the refusal.
    resolveEntry(entry, defaults, position);
  }
  const { data, compression, level } = entry as PlanEntry & {
    compression?: unknown;
    level?: unknown;
  };
  const name = typeof entry.name === "string" ? entry.name : "";
  if (compression !== undefined && compression !== "store") {
    throw new TypeError(
      `${
        cannotAdd(name)
      }: a planned archive stores every entry, since the size of compressed data is unknown until it is written, but compression ${
        describeValue(compression)
      } was asked for`,
    );
  }
  if (level !== undefined) {
    throw new TypeError(
      `${cannotAdd(name)}: a planned archive stores every entry, so level ${
        describeValue(level)
      } has no use`,
    );
  }
  if ((entry as { password?: unknown }).password !== undefined) {
    throw new TypeError(
      `${
        cannotAdd(name)
      }: a planned archive cannot be encrypted yet; expected no password but received one`,
    );
  }
  const given = planSource(name, data);
  const zipEntry: ZipEntry = {
    ...entry,
    data: given.kind === "whole" ? given.bytes : undefined,
    size: entry.size ??
      (given.kind === "ranged" ? given.source.size : undefined),
    compression: "store",
  };
  const resolved = resolveEntry(
    { ...zipEntry, data: zipEntry.data ?? NOT_READ },
    defaults,
    position,
  );
  if (resolved.size !== given.source.size) {
    throw new RangeError(
      `${
        cannotAdd(resolved.name)
      }: declared size ${resolved.size} but its source holds ${given.source.size} bytes`,
    );
  }
  if (resolved.isDirectory && given.source.size !== 0) {
    throw new TypeError(
      `${
        cannotAdd(resolved.name)
      }: a directory cannot have data, but ${given.source.size} bytes were given`,
    );
  }
  const sourceCrc = given.source.crc32;
  if (sourceCrc !== undefined) {
    resolveEntry({ name: resolved.name, crc32: sourceCrc }, defaults, position);
  }
  if (
    resolved.crc32 !== undefined && sourceCrc !== undefined &&
    resolved.crc32 !== sourceCrc
  ) {
    throw new RangeError(
      `${cannotAdd(resolved.name)}: declared crc32 ${
        hex(resolved.crc32)
      } but its source's checksum says ${hex(sourceCrc)}`,
    );
  }
  return {
    entry: resolved,
    given: zipEntry,
    source: given.source,
    lastModified: epochMilliseconds(
      resolved.name,
      entry.lastModified ?? defaults.lastModified,
    ),
    crc32: resolved.crc32 ?? sourceCrc ??
      (given.source.size === 0 ? 0 : undefined),
  };
}

function hex(crc: number): string {
  return `0x${crc.toString(16).padStart(8, "0")}`;
}
