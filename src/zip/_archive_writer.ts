/**
 * The engine behind `zip()` and `ZipStream`: pulls entries one at a time and
 * turns them into archive bytes, keeping only the central directory.
 *
 * @module
 */

import { centralDirectoryHeader } from "./_central_directory_header.ts";
import { CentralDirectory } from "./_central_directory.ts";
import { METHOD_DEFLATE, METHOD_STORE } from "./_constants.ts";
import { dataDescriptor } from "./_data_descriptor.ts";
import { DeflatePool } from "./_deflate_pool.ts";
import { createDeflater, deflateBytes } from "./_deflater.ts";
import { endRecords } from "./_end_of_central_directory.ts";
import {
  dataDescriptorLength,
  inMemoryEntryLayout,
  streamedEntryLayout,
} from "./_entry_layout.ts";
import type { Method } from "./_entry_fields.ts";
import { claimName } from "./_entry_name.ts";
import { checkChunk } from "./_entry_source.ts";
import { localFileHeader } from "./_local_file_header.ts";
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

const NO_BLOCK = new Uint8Array(0);

/** Raised inside the engine once the output has been cancelled. */
class Cancelled extends Error {}

/** Writes one archive from a source of entries. */
export class ArchiveWriter {
  #entries: PullSource<ZipEntry>;
  #options: ResolvedOptions;
  #central = new CentralDirectory();
  #names = new Set<string>();
  #offset = 0;
  #ready: Uint8Array[] = [];
  #readyBytes = 0;
  // Allocated when small output first arrives; a handed-on block is not reused.
  #block = NO_BLOCK;
  #blockUsed = 0;
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
      if (this.#readyBytes > 0) yield this.#take();
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
    claimName(this.#names, resolved.name);
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
    this.#emit(
      localFileHeader(fields, crc, payload.length, bytes.length, layout.zip64),
    );
    this.#emit(payload);
    this.#central.add(
      centralDirectoryHeader(
        fields,
        crc,
        payload.length,
        bytes.length,
        offset,
        layout.zip64,
      ),
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
    const header = layout.usesDataDescriptor
      ? localFileHeader(fields, 0, 0, 0, layout.zip64)
      : localFileHeader(
        fields,
        record.crc32,
        record.size,
        record.size,
        layout.zip64,
      );
    const descriptorLength = dataDescriptorLength(layout);
    const end = this.#offset + header.length + record.compressedSize +
      descriptorLength;
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
      centralDirectoryHeader(
        fields,
        record.crc32,
        record.compressedSize,
        record.size,
        record.offset,
        layout.zip64,
      ),
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
    this.#emit(
      layout.usesDataDescriptor
        ? localFileHeader(fields, 0, 0, 0, layout.zip64)
        : localFileHeader(
          fields,
          declaredCrc,
          entry.size!,
          entry.size!,
          layout.zip64,
        ),
    );
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
      this.#emit(dataDescriptor(crc, compressedSize, size, layout.zip64));
    }
    this.#central.add(
      centralDirectoryHeader(
        fields,
        crc,
        compressedSize,
        size,
        offset,
        layout.zip64,
      ),
    );
    this.#written(entry, offset, crc, size, compressedSize);
  }

  #writeEnd(): void {
    const extent = {
      entryCount: this.#central.entryCount,
      size: this.#central.size,
      offset: this.#offset,
    };
    for (const chunk of this.#central.take()) this.#emit(chunk);
    for (const record of endRecords(extent, this.#options.commentBytes)) {
      this.#emit(record);
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
      this.#flushBlock();
      this.#ready.push(bytes);
      return;
    }
    if (this.#blockUsed + bytes.length > this.#block.length) {
      this.#flushBlock();
      this.#block = new Uint8Array(OUTPUT_BLOCK_SIZE);
    }
    this.#block.set(bytes, this.#blockUsed);
    this.#blockUsed += bytes.length;
  }

  #flushBlock(): void {
    if (this.#blockUsed === 0) return;
    this.#ready.push(this.#block.subarray(0, this.#blockUsed));
    this.#block = NO_BLOCK;
    this.#blockUsed = 0;
  }

  #take(): Uint8Array[] {
    this.#flushBlock();
    const ready = this.#ready;
    this.#ready = [];
    this.#readyBytes = 0;
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
