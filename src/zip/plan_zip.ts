/**
 * `planZip()`: an archive laid out before any byte of it is sent.
 *
 * @module
 */

import { ArchiveLinks } from "./_archive_links.ts";
import { ByteStringArena, ByteStringSet } from "./_byte_string_set.ts";
import { recordBytes } from "./_byte_writer.ts";
import { CentralDirectory } from "./_central_directory.ts";
import { METHOD_STORE } from "./_constants.ts";
import { endRecords } from "./_end_of_central_directory.ts";
import { streamedEntryLayout } from "./_entry_layout.ts";
import { claimName, nameKeyLength } from "./_entry_name.ts";
import {
  localFileHeaderLength,
  writeLocalFileHeader,
} from "./_local_file_header.ts";
import { type Piece, PlannedArchive } from "./_planned_archive.ts";
import { recordContinuation, unreadSource } from "./_plan_continuation.ts";
import { type CrcJob, readCrcs } from "./_plan_crcs.ts";
import { checkedMember, type Member } from "./_plan_member.ts";
import { entryFields } from "./_resolved_entry.ts";
import { resolveOptions } from "./_resolved_options.ts";
import { describeValue } from "../_errors.ts";
import { cannotAdd } from "./_describe.ts";
import type { CrcCache, PlanEntry, PlanOptions } from "./plan_entry.ts";
import type { PlannedEntry, ZipPlan } from "./zip_plan.ts";

const DEFAULT_CRC_READ_CONCURRENCY = 4;
const DEFAULT_CRC_RANGE_SIZE = 16 * 1024 * 1024;
/** Tells this layout's ETags from any later one's. */
const ETAG_PREFIX = "zs1-";
const ETAG_HEX_DIGITS = 32;

/**
 * Lays out a stored archive whose every byte is known before any is sent,
 * so that any range of it can be produced on demand: its size, a strong
 * ETag, where each entry lies, and `slice(start, end)`, which reads only
 * the ranges of the sources it covers. Every local header carries its
 * entry's CRC and sizes (no data descriptors, so front-to-back readers read
 * it too), with ZIP64 fields where a value needs them. `plan.slice(0)` is
 * byte-identical to `zip()` of the same entries, stored, given their sizes
 * and CRCs, with the same options.
 *
 * Each entry's CRC-32 is taken from, in order: the entry's `crc32`, its
 * source's `crc32` (an S3 object's checksum), `options.crcCache` (by the
 * source's `identity`), and only then from reading the data, in ranges read
 * in parallel; CRCs read are recorded in the cache. Entries are checked as
 * `zip()` checks them.
 *
 * @param entries The archive's members, in order.
 * @param options Archive-wide settings and where CRCs come from.
 * @returns The plan.
 * @throws {TypeError} for an entry or option of the wrong kind.
 * @throws {RangeError} for a value out of range, or a source that gave more
 * or fewer bytes than its size while its CRC was read.
 * @throws {Error} naming the entry, when reading a source for its CRC failed.
 *
 * @example Serve any range of an archive
 * ```ts
 * import assert from "node:assert/strict";
 * import { planZip } from "@zipstream/zipstream";
 *
 * const plan = await planZip([
 *   { name: "a.txt", data: "first" },
 *   { name: "b.bin", data: new Blob([new Uint8Array(1000).fill(1)]) },
 * ], { lastModified: Date.UTC(2026, 0, 1) });
 * const whole = await new Response(plan.slice(0)).bytes();
 * assert.equal(whole.length, plan.size);
 * const tail = await new Response(plan.slice(plan.size - 22)).bytes();
 * assert.deepEqual(tail, whole.subarray(plan.size - 22));
 * assert.match(plan.etag, /^"zs1-[0-9a-f]{32}"$/);
 * ```
 */
export async function planZip(
  entries: Iterable<PlanEntry> | AsyncIterable<PlanEntry>,
  options: PlanOptions = {},
): Promise<ZipPlan> {
  if (
    typeof entries !== "object" || entries === null ||
    (typeof (entries as Partial<Iterable<PlanEntry>>)[Symbol.iterator] !==
        "function" &&
      typeof (entries as Partial<AsyncIterable<PlanEntry>>)[
          Symbol.asyncIterator
        ] !== "function")
  ) {
    throw new TypeError(
      `Cannot plan the archive: expected entries to be an iterable or async iterable but received ${
        describeValue(entries)
      }`,
    );
  }
  const crcSources = checkPlanOptions(options);
  const resolved = resolveOptions({
    comment: options.comment,
    lastModified: options.lastModified ?? Date.now(),
    timeZone: options.timeZone,
    allowEscapingSymlinks: options.allowEscapingSymlinks,
    compression: "store",
  });
  const claimed = new ByteStringArena();
  const names = new ByteStringSet(claimed);
  const links = new ArchiveLinks(claimed);
  const members: Member[] = [];
  for await (const entry of entries) {
    const member = checkedMember(entry, resolved.defaults, members.length);
    claimName(names, member.entry.name, member.entry.nameBytes);
    const { nameBytes } = member.entry;
    claimed.append(nameBytes, nameKeyLength(nameBytes, 0, nameBytes.length));
    links.admit(member.entry, resolved.allowEscapingSymlinks);
    members.push(member);
  }
  await fillCrcs(members, crcSources);
  const pieces: Piece[] = [];
  const starts: number[] = [];
  const planned: PlannedEntry[] = [];
  const directory = new CentralDirectory();
  let offset = 0;
  const push = (piece: Piece, length: number) => {
    if (length === 0) return;
    pieces.push(piece);
    starts.push(offset);
    offset += length;
  };
  for (const member of members) {
    const { entry, source } = member;
    const crc32 = member.crc32!;
    const size = source.size;
    const layout = streamedEntryLayout({ ...entry, size, crc32 });
    const fields = entryFields(entry, METHOD_STORE, false);
    const header = recordBytes(
      localFileHeaderLength(fields, layout.zip64),
      (writer) =>
        writeLocalFileHeader(writer, fields, crc32, size, size, layout.zip64),
    );
    directory.add(fields, crc32, size, size, offset, layout.zip64);
    const headerOffset = offset;
    push(header, header.length);
    planned.push({
      name: entry.name,
      offset: headerOffset,
      dataOffset: offset,
      size,
      crc32,
      lastModified: member.lastModified,
      identity: source.identity,
      source,
    });
    push({ name: entry.name, source }, size);
  }
  const extent = {
    entryCount: members.length,
    size: directory.size,
    offset,
  };
  const tail = [
    ...directory.take(),
    ...endRecords(extent, resolved.commentBytes),
  ];
  for (const chunk of tail) push(chunk, chunk.length);
  starts.push(offset);
  const plan = new PlannedArchive({
    pieces,
    starts: Float64Array.from(starts),
    entries: planned,
    etag: await planEtag(tail, planned),
    lastModified: planned.reduce(
      (latest, entry) => Math.max(latest, entry.lastModified),
      members.length === 0 ? resolved.defaults.lastModified : -Infinity,
    ),
  });
  recordContinuation(plan, {
    dataEnd: extent.offset,
    entries: () =>
      members.map(({ given, entry, source, lastModified, crc32 }) => ({
        ...given,
        data: given.data ??
          (source.size === 0 ? undefined : unreadSource(entry.name)),
        size: source.size,
        crc32,
        lastModified,
      })),
    // Made when a build appends entries, not for every plan.
    records: () =>
      planned.map((entry) => ({
        name: entry.name,
        offset: entry.offset,
        end: entry.dataOffset + entry.size,
        crc32: entry.crc32,
        size: entry.size,
        compressedSize: entry.size,
      })),
    options: {
      comment: options.comment,
      lastModified: resolved.defaults.lastModified,
      timeZone: options.timeZone,
      allowEscapingSymlinks: options.allowEscapingSymlinks,
    },
  });
  return plan;
}

interface CrcSources {
  readonly crcCache: CrcCache | undefined;
  readonly concurrency: number;
  readonly rangeSize: number;
  readonly signal: AbortSignal | undefined;
}

/** Gives every member its CRC: from the cache, else by reading its data. */
async function fillCrcs(members: Member[], sources: CrcSources): Promise<void> {
  const missing: Member[] = [];
  for (const member of members) {
    if (member.crc32 !== undefined) continue;
    const identity = member.source.identity;
    if (sources.crcCache !== undefined && identity !== undefined) {
      const cached = await sources.crcCache.get(identity);
      if (cached !== undefined) {
        checkCachedCrc(member.entry.name, identity, cached);
        member.crc32 = cached;
        continue;
      }
    }
    missing.push(member);
  }
  if (missing.length === 0) return;
  const jobs: CrcJob[] = missing.map((member) => ({
    name: member.entry.name,
    source: member.source,
  }));
  const crcs = await readCrcs(jobs, sources);
  for (const [index, member] of missing.entries()) {
    member.crc32 = crcs[index]!;
    const identity = member.source.identity;
    if (sources.crcCache !== undefined && identity !== undefined) {
      await sources.crcCache.set(identity, member.crc32);
    }
  }
}

function checkCachedCrc(name: string, identity: string, crc: unknown): void {
  if (
    !Number.isInteger(crc) || (crc as number) < 0 ||
    (crc as number) > 0xffffffff
  ) {
    throw new RangeError(
      `${
        cannotAdd(name)
      }: expected the CRC cache to hold a CRC-32 (an integer from 0 to 0xffffffff) for ${
        JSON.stringify(identity)
      } but it holds ${describeValue(crc)}`,
    );
  }
}

function checkPlanOptions(options: PlanOptions): CrcSources {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot plan the archive: expected options to be an object but received ${
        describeValue(options)
      }`,
    );
  }
  if ((options as { password?: unknown }).password !== undefined) {
    throw new TypeError(
      "Cannot plan the archive: invalid option password: a planned archive cannot be encrypted yet; use zip() with predictLength() instead",
    );
  }
  const {
    crcCache,
    crcReadConcurrency = DEFAULT_CRC_READ_CONCURRENCY,
    crcRangeSize = DEFAULT_CRC_RANGE_SIZE,
    signal,
  } = options;
  if (
    crcCache !== undefined &&
    (typeof crcCache !== "object" || crcCache === null ||
      typeof crcCache.get !== "function" || typeof crcCache.set !== "function")
  ) {
    throw new TypeError(
      `Cannot plan the archive: invalid option crcCache: expected an object with get and set methods (a Map will do) but received ${
        describeValue(crcCache)
      }`,
    );
  }
  checkPositive("crcReadConcurrency", crcReadConcurrency);
  checkPositive("crcRangeSize", crcRangeSize);
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(
      `Cannot plan the archive: invalid option signal: expected an AbortSignal but received ${
        describeValue(signal)
      }`,
    );
  }
  return {
    crcCache,
    concurrency: crcReadConcurrency,
    rangeSize: crcRangeSize,
    signal,
  };
}

function checkPositive(option: string, value: unknown): void {
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new RangeError(
      `Cannot plan the archive: invalid option ${option}: expected a positive integer but received ${
        describeValue(value)
      }`,
    );
  }
}

/**
 * A digest of the bytes that describe the archive (the central directory
 * and end records hold every name, size, CRC, time, mode, offset and
 * comment) and of the sources' identities, which change when a source does
 * even where its CRC would not tell.
 */
async function planEtag(
  tail: readonly Uint8Array[],
  entries: readonly PlannedEntry[],
): Promise<string> {
  const identities = JSON.stringify(
    entries.map((entry) => entry.identity ?? null),
  );
  const described = await new Blob([
    ...tail as Uint8Array<ArrayBuffer>[],
    identities,
  ]).arrayBuffer();
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", described),
  );
  const hexDigits = Array.from(
    digest,
    (byte) => byte.toString(16).padStart(2, "0"),
  )
    .join("").slice(0, ETAG_HEX_DIGITS);
  return `"${ETAG_PREFIX}${hexDigits}"`;
}
