/**
 * The engine behind `zip()` and `ZipStream`: pulls entries one at a time and
 * turns them into archive bytes, keeping only the central directory.
 *
 * @module
 */

import { ByteStringSet } from "./_byte_string_set.ts";
import { ByteWriter } from "./_byte_writer.ts";
import { CentralDirectory } from "./_central_directory.ts";
import { METHOD_DEFLATE, METHOD_STORE } from "./_constants.ts";
import { writeDataDescriptor } from "./_data_descriptor.ts";
import { DeflatePool } from "./_deflate_pool.ts";
import { createDeflater, deflateBytes } from "./_deflater.ts";
import { endRecords } from "./_end_of_central_directory.ts";
import {
  dataDescriptorLength,
  type EntryLayout,
  entryLength,
  inMemoryEntryLayout,
  streamedEntryLayout,
} from "./_entry_layout.ts";
import type { EntryFields, Method } from "./_entry_fields.ts";
import { claimName } from "./_entry_name.ts";
import { checkChunk } from "./_entry_source.ts";
import {
  localFileHeaderLength,
  writeLocalFileHeader,
} from "./_local_file_header.ts";
import type { PullSource } from "./_pull_source.ts";
import {
  cannotAdd,
  entryFields,
  type ResolvedEntry,
  resolveEntry,
} from "./_resolved_entry.ts";
import type { ResolvedOptions } from "./_resolved_options.ts";
import { crc32 } from "./crc32.ts";
import type { ZipEntry } from "./zip_entry.ts";
import type { WrittenEntry } from "./written_entry.ts";

/** Output is handed on in batches of about this many bytes. */
const OUTPUT_BLOCK_SIZE = 64 * 1024;
/** Chunks this large are handed on as they are; smaller ones are packed together. */
const PASS_THROUGH_SIZE = 16 * 1024;
/**
 * Blocks start at the smallest size that holds any packed piece and double
 * up to OUTPUT_BLOCK_SIZE: most archives are small, and zeroing 64 KiB for
 * a few entries was most of their cost.
 */
const FIRST_BLOCK_SIZE = PASS_THROUGH_SIZE;
/** A block holding at most this much when a large chunk passes is copied out and kept. */
const KEPT_BLOCK_FILL = 4 * 1024;

const NO_BLOCK = new Uint8Array(0);

/** Raised inside the engine once the output has been cancelled. */
class Cancelled extends Error {}

/** Writes one archive from a source of entries. */
export class ArchiveWriter {
  #entries: PullSource<ZipEntry>;
  #options: ResolvedOptions;
  #central = new CentralDirectory();
  // The directory holds every name written: the duplicate check reads them there.
  #names = new ByteStringSet(this.#central);
  #offset = 0;
  #ready: Uint8Array[] = [];
  #readyBytes = 0;
  // Allocated when small output first arrives; a handed-on block is not
  // written again (see #flushBlock).
  #block = NO_BLOCK;
  #blockUsed = 0;
  #nextBlockSize = FIRST_BLOCK_SIZE;
  // Writes records in place: into the output block, or a record's own array.
  #recordWriter = new ByteWriter();
  #recordStart = 0;
  #recordLength = 0;
  #source: PullSource<unknown> | undefined;
  #cancelled = false;
  #deflatePool: DeflatePool;

  constructor(entries: PullSource<ZipEntry>, options: ResolvedOptions) {
    this.#entries = entries;
    this.#options = options;
    this.#deflatePool = new DeflatePool(options.workers);
  }

  /**
   * The archive, in batches of chunks. Each batch is non-empty; the engine
   * only runs while its consumer asks for more.
   */
  async *batches(): AsyncGenerator<Uint8Array[], void, undefined> {
    try {
      for (;;) {
        const entry = await this.#nextEntry();
        if (entry === undefined) break;
        const record = this.#options.resumeEntries.get(entry.name);
        if (entry.body.kind === "bytes") {
          this.#writeInMemory(entry, entry.body.bytes);
        } else if (
          record !== undefined && record.end <= this.#options.resumeOffset
        ) {
          await this.#skipStreamed(entry, entry.body.open, record);
        } else {
          yield* this.#writeStreamed(entry, entry.body.open);
        }
        if (this.#readyBytes >= OUTPUT_BLOCK_SIZE) yield this.#take();
      }
      this.#deflatePool.close();
      this.#writeEnd();
      if (this.#options.resumeOffset > this.#offset) {
        throw new RangeError(
          `Cannot resume the archive: expected resume.offset within its ${this.#offset} bytes but received ${this.#options.resumeOffset}`,
        );
      }
      if (this.#readyBytes > 0) yield this.#take(true);
    } catch (error) {
      if (!this.#cancelled) await this.#stop(error);
      throw error;
    }
  }

  /** Stops the engine: cancels the entry being read and the entry source. */
  async cancel(reason: unknown): Promise<void> {
    this.#cancelled = true;
    await this.#stop(reason);
  }

  async #stop(reason: unknown): Promise<void> {
    this.#deflatePool.close();
    const source = this.#source;
    this.#source = undefined;
    await Promise.allSettled([
      source?.cancel(reason),
      this.#entries.cancel(reason),
    ]);
  }

  #throwIfCancelled(): void {
    if (this.#cancelled) throw new Cancelled("The archive was cancelled");
  }

  async #nextEntry(): Promise<ResolvedEntry | undefined> {
    let entry: ZipEntry | undefined;
    try {
      entry = await this.#entries.read();
    } catch (cause) {
      throw new Error(
        `Cannot read the next entry of the archive: the entry source failed: ${
          messageOf(cause)
        }`,
        { cause },
      );
    }
    this.#throwIfCancelled();
    if (entry === undefined) return undefined;
    const resolved = resolveEntry(entry, this.#options.defaults);
    claimName(this.#names, resolved.name, resolved.nameBytes);
    return resolved;
  }

  #writeInMemory(entry: ResolvedEntry, bytes: Uint8Array): void {
    const crc = crc32(bytes);
    if (entry.crc32 !== undefined && entry.crc32 !== crc) {
      throw crcMismatch(entry, crc);
    }
    let method: Method = METHOD_STORE;
    let payload = bytes;
    if (entry.compression === "deflate" && bytes.length > 0) {
      const compressed = deflateBytes(bytes, entry.level);
      // Data that deflate cannot shrink is stored, as Info-ZIP does.
      if (compressed.length < bytes.length) {
        method = METHOD_DEFLATE;
        payload = compressed;
      }
    }
    const layout = inMemoryEntryLayout(method, bytes.length, payload.length);
    const fields = entryFields(entry, method, false);
    const offset = this.#offset;
    this.#emitLocalHeader(
      fields,
      crc,
      payload.length,
      bytes.length,
      layout.zip64,
    );
    this.#emit(payload);
    this.#central.add(
      fields,
      crc,
      payload.length,
      bytes.length,
      offset,
      layout.zip64,
    );
    this.#written(entry, offset, crc, bytes.length, payload.length);
  }

  /**
   * Accounts for an entry the earlier run of a resumed archive wrote in
   * full, without reading its data: the record gives what its central
   * directory header needs, and the layout, which depends only on the entry,
   * gives its length, so a changed entry list is caught here.
   */
  async #skipStreamed(
    entry: ResolvedEntry,
    open: () => PullSource<unknown>,
    record: WrittenEntry,
  ): Promise<void> {
    const layout = streamedEntryLayout(entry);
    const fields = entryFields(entry, layout.method, layout.usesDataDescriptor);
    const end = this.#offset +
      entryLength(fields, layout, record.compressedSize);
    const sizeChanged = entry.size !== undefined && entry.size !== record.size;
    const crcChanged = entry.crc32 !== undefined &&
      entry.crc32 !== record.crc32;
    if (
      record.offset !== this.#offset || record.end !== end || sizeChanged ||
      crcChanged
    ) {
      throw new Error(
        `Cannot resume the archive at ${
          JSON.stringify(entry.name)
        }: expected it at bytes ${this.#offset}-${end} as recorded at ${record.offset}-${record.end}, with the recorded size and CRC; the entries or options have changed`,
      );
    }
    // Letting go of an unread source is best effort: its failure to cancel
    // changes nothing in the archive.
    try {
      await open().cancel("already written");
    } catch {
      // Nothing to do: the entry's bytes come from the record.
    }
    this.#throwIfCancelled();
    this.#offset = end;
    this.#central.add(
      fields,
      record.crc32,
      record.compressedSize,
      record.size,
      record.offset,
      layout.zip64,
    );
    this.#options.onEntry?.(record);
  }

  #written(
    entry: ResolvedEntry,
    offset: number,
    crc: number,
    size: number,
    compressedSize: number,
  ): void {
    this.#options.onEntry?.({
      name: entry.name,
      offset,
      end: this.#offset,
      crc32: crc,
      size,
      compressedSize,
    });
  }

  async *#writeStreamed(
    entry: ResolvedEntry,
    open: () => PullSource<unknown>,
  ): AsyncGenerator<Uint8Array[], void, undefined> {
    const layout = streamedEntryLayout(entry);
    const fields = entryFields(entry, layout.method, layout.usesDataDescriptor);
    const offset = this.#offset;
    const declaredCrc = entry.crc32 ?? 0;
    if (layout.usesDataDescriptor) {
      this.#emitLocalHeader(fields, 0, 0, 0, layout.zip64);
    } else {
      this.#emitLocalHeader(
        fields,
        declaredCrc,
        entry.size!,
        entry.size!,
        layout.zip64,
      );
    }
    const deflater = layout.method === METHOD_DEFLATE
      ? createDeflater(entry.level, {
        pool: this.#deflatePool,
        entryName: entry.name,
      })
      : undefined;
    const source = open();
    this.#source = source;
    let size = 0;
    let compressedSize = 0;
    let crc = 0;
    for (;;) {
      let value: unknown;
      try {
        value = await source.read();
      } catch (cause) {
        this.#throwIfCancelled();
        throw new Error(
          `${cannotAdd(entry.name)}: its data source failed: ${
            messageOf(cause)
          }`,
          { cause },
        );
      }
      this.#throwIfCancelled();
      if (value === undefined) break;
      const chunk = checkChunk(entry.name, value);
      size += chunk.length;
      if (entry.size !== undefined && size > entry.size) {
        throw new RangeError(
          `${
            cannotAdd(entry.name)
          }: declared size ${entry.size} but the source gave at least ${size} bytes`,
        );
      }
      crc = crc32(chunk, crc);
      if (deflater === undefined) {
        compressedSize += chunk.length;
        this.#emit(chunk);
      } else {
        for (const output of await deflater.push(chunk)) {
          compressedSize += output.length;
          this.#emit(output);
        }
      }
      if (this.#readyBytes >= OUTPUT_BLOCK_SIZE) yield this.#take();
    }
    this.#source = undefined;
    if (entry.size !== undefined && size !== entry.size) {
      throw new RangeError(
        `${
          cannotAdd(entry.name)
        }: declared size ${entry.size} but the source gave ${size} bytes`,
      );
    }
    if (entry.crc32 !== undefined && entry.crc32 !== crc) {
      throw crcMismatch(entry, crc);
    }
    if (deflater !== undefined) {
      for (const output of await deflater.finish()) {
        compressedSize += output.length;
        this.#emit(output);
      }
    }
    if (layout.usesDataDescriptor) {
      this.#emitDataDescriptor(layout, crc, compressedSize, size);
    }
    this.#central.add(
      fields,
      crc,
      compressedSize,
      size,
      offset,
      layout.zip64,
    );
    this.#written(entry, offset, crc, size, compressedSize);
  }

  #writeEnd(): void {
    const extent = {
      entryCount: this.#central.count,
      size: this.#central.size,
      offset: this.#offset,
    };
    for (const chunk of this.#central.take()) this.#emit(chunk);
    for (const record of endRecords(extent, this.#options.commentBytes)) {
      this.#emit(record);
    }
  }

  #emitLocalHeader(
    fields: EntryFields,
    crc: number,
    compressedSize: number,
    size: number,
    zip64: boolean,
  ): void {
    const writer = this.#beginRecord(localFileHeaderLength(fields, zip64));
    writeLocalFileHeader(writer, fields, crc, compressedSize, size, zip64);
    this.#endRecord();
  }

  #emitDataDescriptor(
    layout: EntryLayout,
    crc: number,
    compressedSize: number,
    size: number,
  ): void {
    const writer = this.#beginRecord(dataDescriptorLength(layout));
    writeDataDescriptor(writer, crc, compressedSize, size, layout.zip64);
    this.#endRecord();
  }

  /**
   * Starts a record of `length` bytes and returns the writer to write it
   * with; `#endRecord()` queues it. A record is written straight into the
   * output block, unless the resume offset cuts it or it is too large to
   * pack: then it gets an array of its own, which `#emit` trims.
   */
  #beginRecord(length: number): ByteWriter {
    this.#recordLength = length;
    if (
      this.#offset >= this.#options.resumeOffset && length < PASS_THROUGH_SIZE
    ) {
      this.#makeRoom(length);
      this.#recordStart = this.#blockUsed;
      return this.#recordWriter.moveTo(this.#block, this.#blockUsed);
    }
    this.#recordStart = 0;
    return this.#recordWriter.moveTo(new Uint8Array(length), 0);
  }

  #endRecord(): void {
    const writer = this.#recordWriter;
    const length = this.#recordLength;
    writer.checkRecord(this.#recordStart, length);
    if (writer.bytes !== this.#block) {
      this.#emit(writer.bytes);
      return;
    }
    this.#offset += length;
    this.#readyBytes += length;
    this.#blockUsed += length;
  }

  /** Makes sure the output block has room for `length` more bytes. */
  #makeRoom(length: number): void {
    if (this.#blockUsed + length > this.#block.length) {
      this.#flushBlock();
      this.#block = new Uint8Array(this.#nextBlockSize);
      this.#nextBlockSize = Math.min(
        this.#nextBlockSize * 2,
        OUTPUT_BLOCK_SIZE,
      );
    }
  }

  /**
   * Queues bytes for output, packing small pieces into shared blocks. Bytes
   * before the resume offset only advance the offset.
   */
  #emit(archiveBytes: Uint8Array): void {
    const start = this.#offset;
    this.#offset += archiveBytes.length;
    const skipped = this.#options.resumeOffset - start;
    if (skipped >= archiveBytes.length) return;
    const bytes = skipped > 0 ? archiveBytes.subarray(skipped) : archiveBytes;
    this.#readyBytes += bytes.length;
    if (bytes.length >= PASS_THROUGH_SIZE) {
      this.#flushBlock(true);
      this.#ready.push(bytes);
      return;
    }
    this.#makeRoom(bytes.length);
    this.#block.set(bytes, this.#blockUsed);
    this.#blockUsed += bytes.length;
  }

  /**
   * Queues the bytes of the output block. With `keep`, a block holding only
   * a little (a streamed entry's header, before its data passes through) is
   * copied out and written on from its start: handing it on would cost a
   * fresh 64 KiB block per entry. A block handed on is never written again.
   */
  #flushBlock(keep = false): void {
    if (this.#blockUsed === 0) return;
    if (keep && this.#blockUsed <= KEPT_BLOCK_FILL) {
      this.#ready.push(this.#block.slice(0, this.#blockUsed));
      this.#blockUsed = 0;
      return;
    }
    this.#ready.push(this.#block.subarray(0, this.#blockUsed));
    this.#block = NO_BLOCK;
    this.#blockUsed = 0;
  }

  /**
   * Hands on the queued output. A block still filling stays behind when
   * there is other output to hand on: handing it on now would leave most of
   * a fresh 64 KiB block unused, and a new one allocated for the next entry.
   */
  #take(final = false): Uint8Array[] {
    if (final || this.#ready.length === 0) this.#flushBlock();
    const ready = this.#ready;
    this.#ready = [];
    this.#readyBytes = this.#blockUsed;
    return ready;
  }
}

function crcMismatch(entry: ResolvedEntry, actual: number): Error {
  return new Error(
    `${cannotAdd(entry.name)}: declared crc32 ${
      hex(entry.crc32!)
    } but the data has ${hex(actual)}`,
  );
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, "0")}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
