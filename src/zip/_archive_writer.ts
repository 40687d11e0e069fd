/**
 * The engine behind `zip()` and `ZipStream`: takes entries in order from the
 * look-ahead (which deflates those given whole ahead of time) and turns them
 * into archive bytes, keeping only the central directory.
 *
 * @module
 */

import { ArchiveLinks } from "./_archive_links.ts";
import { ByteStringSet } from "./_byte_string_set.ts";
import { CentralDirectory } from "./_central_directory.ts";
import { METHOD_DEFLATE, METHOD_STORE } from "./_constants.ts";
import { writeDataDescriptor } from "./_data_descriptor.ts";
import { DeflatePool } from "./_deflate_pool.ts";
import { createDeflater } from "./_deflater.ts";
import { endRecords } from "./_end_of_central_directory.ts";
import {
  dataDescriptorLength,
  descriptorIsZip64,
  type EntryLayout,
  type EntrySizes,
  inMemoryEntryLayout,
  streamedEntryLayout,
} from "./_entry_layout.ts";
import type { EntryFields, Method } from "./_entry_fields.ts";
import { claimName } from "./_entry_name.ts";
import {
  type BytesBody,
  checkChunk,
  type StreamedBody,
} from "./_entry_source.ts";
import { OutputQueue, SLAB_SIZE } from "./_output_queue.ts";
import {
  localFileHeaderLength,
  writeLocalFileHeader,
} from "./_local_file_header.ts";
import { messageOf } from "../_errors.ts";
import { type AheadEntry, EntryLookAhead } from "./_look_ahead.ts";
import {
  IteratorProtocolError,
  type Pulled,
  type PullSource,
} from "./_pull_source.ts";
import { cannotAdd, crcMismatch } from "./_describe.ts";
import { entryFields, type ResolvedEntry } from "./_resolved_entry.ts";
import type { ResolvedOptions } from "./_resolved_options.ts";
import { crc32 } from "./crc32.ts";
import type { ZipEntry } from "./zip_entry.ts";
import { resumedLayout } from "./_resumed_entry.ts";
import type { WrittenEntry } from "./written_entry.ts";
import { encryptionOverhead, headerCrc } from "./_entry_encryption.ts";
import { type EntrySealer, sealerAt } from "./_entry_sealer.ts";

/** Raised inside the engine once the output has been cancelled. */
class Cancelled extends Error {}

/** Writes one archive from a source of entries. */
export class ArchiveWriter {
  #entries: PullSource<ZipEntry>;
  #options: ResolvedOptions;
  #central = new CentralDirectory();
  // The directory holds every name written: the duplicate check reads them there.
  #names = new ByteStringSet(this.#central);
  #links = new ArchiveLinks(this.#central);
  #out: OutputQueue;
  #source: PullSource<unknown> | undefined;
  #cancelled = false;
  #deflatePool: DeflatePool;
  #ahead: EntryLookAhead;

  constructor(entries: PullSource<ZipEntry>, options: ResolvedOptions) {
    this.#entries = entries;
    this.#options = options;
    this.#out = new OutputQueue(options.resumeOffset);
    this.#deflatePool = new DeflatePool(options.workers, {
      onStatus: options.onWorkers,
    });
    this.#ahead = new EntryLookAhead(
      entries,
      options.defaults,
      this.#deflatePool,
      options.copyChunks,
      options.salts,
    );
  }

  /**
   * The archive, in batches of chunks. Each batch is non-empty; the engine
   * only runs while its consumer asks for more.
   */
  async *batches(): AsyncGenerator<Uint8Array[], void, undefined> {
    try {
      for (;;) {
        const ahead = await this.#ahead.next();
        this.#throwIfCancelled();
        if (ahead === undefined) break;
        const { entry } = ahead;
        claimName(this.#names, entry.name, entry.nameBytes);
        this.#links.admit(entry, this.#options.allowEscapingSymlinks);
        const record = this.#options.resumeEntries.get(entry.name);
        const skipped = entry.body.kind === "stream" &&
          record !== undefined && record.end <= this.#options.resumeOffset;
        // No await for a plain entry: a promise is much of a tiny entry's time.
        const sealer = ahead.sealer === undefined || skipped
          ? undefined
          : await sealerAt(
            ahead.sealer,
            entry,
            this.#options,
            this.#out.offset,
          );
        this.#throwIfCancelled();
        if (entry.body.kind === "bytes") {
          // Not `yield*`: delegating to a sync generator from an async one
          // costs a promise per step, most of a small entry's time.
          const { body } = entry;
          for (const batch of this.#writeInMemory(ahead, body, sealer)) {
            yield batch;
          }
        } else if (skipped) {
          await this.#skipStreamed(entry, entry.body.open, record!);
        } else {
          yield* this.#writeStreamed(entry, entry.body, sealer);
        }
        if (this.#out.full) yield this.#out.take();
      }
      this.#deflatePool.close();
      this.#deflatePool.throwIfCallbackFailed();
      this.#writeEnd();
      if (this.#options.resumeOffset > this.#out.offset) {
        throw new RangeError(
          `Cannot resume the archive: expected resume.offset within its ${this.#out.offset} bytes but received ${this.#options.resumeOffset}`,
        );
      }
      if (this.#out.readyBytes > 0) yield this.#out.take(true);
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
    this.#ahead.stop();
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

  /**
   * Writes an entry whose data was given whole. Stored data that is the
   * caller's is copied out a slab at a time, handed on between slabs, so a
   * large array is never held twice. `deflated` is its data deflated whole,
   * by the look-ahead, when it is to be deflated. `sealer` encrypts it.
   */
  *#writeInMemory(
    { entry, deflated }: AheadEntry,
    { bytes, fresh }: BytesBody,
    sealer: EntrySealer | undefined,
  ): Generator<Uint8Array[], void, undefined> {
    const crc = crc32(bytes);
    if (entry.crc32 !== undefined && entry.crc32 !== crc) {
      throw crcMismatch(entry.name, entry.crc32!, crc);
    }
    let method: Method = METHOD_STORE;
    let payload = bytes;
    // Data that deflate cannot shrink is stored, as Info-ZIP does.
    if (deflated !== undefined && deflated.length < bytes.length) {
      method = METHOD_DEFLATE;
      payload = deflated;
    }
    const compressedSize = payload.length +
      encryptionOverhead(entry.encryption);
    const sizes = { size: bytes.length, compressedSize };
    const layout = inMemoryEntryLayout(method, sizes, entry.zip64);
    const fields = entryFields(entry, method, false);
    const offset = this.#out.offset;
    const writtenCrc = headerCrc(entry.encryption, crc);
    this.#emitLocalHeader(
      fields,
      writtenCrc,
      compressedSize,
      bytes.length,
      layout.zip64,
    );
    if (sealer !== undefined) {
      yield* sealer.sealWhole(payload, this.#out);
    } else if (payload !== bytes || fresh || !this.#options.copyChunks) {
      this.#out.emit(payload);
    } else {
      for (let at = 0; at < bytes.length; at += SLAB_SIZE) {
        this.#out.copy(bytes.subarray(at, at + SLAB_SIZE));
        if (this.#out.full) yield this.#out.take();
      }
    }
    this.#central.add(
      fields,
      writtenCrc,
      compressedSize,
      bytes.length,
      offset,
      layout.zip64,
    );
    this.#written(entry, offset, writtenCrc, bytes.length, compressedSize);
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
    const { fields, layout, end } = resumedLayout(
      entry,
      record,
      this.#out.offset,
    );
    // Letting go of an unread source is best effort: its failure to cancel
    // changes nothing in the archive.
    try {
      await open().cancel("already written");
    } catch {
      // Nothing to do: the entry's bytes come from the record.
    }
    this.#throwIfCancelled();
    this.#out.skipTo(end);
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
      end: this.#out.offset,
      crc32: crc,
      size,
      compressedSize,
    });
  }

  async *#writeStreamed(
    entry: ResolvedEntry,
    body: StreamedBody,
    sealer: EntrySealer | undefined,
  ): AsyncGenerator<Uint8Array[], void, undefined> {
    const layout = streamedEntryLayout(entry);
    const fields = entryFields(entry, layout.method, layout.usesDataDescriptor);
    const offset = this.#out.offset;
    const overhead = encryptionOverhead(entry.encryption);
    if (layout.usesDataDescriptor) {
      this.#emitLocalHeader(fields, 0, 0, 0, layout.zip64);
    } else {
      this.#emitLocalHeader(
        fields,
        headerCrc(entry.encryption, entry.crc32 ?? 0),
        entry.size! + overhead,
        entry.size!,
        layout.zip64,
      );
    }
    if (sealer !== undefined) this.#out.emit(sealer.header);
    const deflater = layout.method === METHOD_DEFLATE
      ? createDeflater(entry.level, {
        pool: this.#deflatePool,
        entryName: entry.name,
      })
      : undefined;
    const source = body.open();
    this.#source = source;
    let size = 0;
    let compressedSize = 0;
    let crc = 0;
    for (;;) {
      let pulled: Pulled<unknown>;
      try {
        pulled = await source.read();
      } catch (cause) {
        this.#throwIfCancelled();
        if (cause instanceof IteratorProtocolError) {
          throw new TypeError(`${cannotAdd(entry.name)}: ${cause.message}`);
        }
        throw new Error(
          `${cannotAdd(entry.name)}: its data source failed: ${
            messageOf(cause)
          }`,
          { cause },
        );
      }
      this.#throwIfCancelled();
      if (pulled.done) break;
      const chunk = checkChunk(entry.name, pulled.value);
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
        if (sealer !== undefined) {
          this.#out.emit(sealer.seal(chunk));
        } else if (body.freshChunks || !this.#options.copyChunks) {
          this.#out.emit(chunk);
        } else {
          this.#out.copy(chunk);
        }
      } else {
        for (const output of await deflater.push(chunk)) {
          compressedSize += output.length;
          this.#out.emit(sealer?.seal(output) ?? output);
        }
      }
      if (this.#out.full) yield this.#out.take();
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
      throw crcMismatch(entry.name, entry.crc32!, crc);
    }
    if (deflater !== undefined) {
      for (const output of await deflater.finish()) {
        compressedSize += output.length;
        this.#out.emit(sealer?.seal(output) ?? output);
      }
    }
    if (sealer !== undefined) this.#out.emit(sealer.finish());
    compressedSize += overhead;
    const writtenCrc = headerCrc(entry.encryption, crc);
    if (layout.usesDataDescriptor) {
      this.#emitDataDescriptor(layout, writtenCrc, { size, compressedSize });
    }
    this.#central.add(
      fields,
      writtenCrc,
      compressedSize,
      size,
      offset,
      layout.zip64,
    );
    this.#written(entry, offset, writtenCrc, size, compressedSize);
  }

  #writeEnd(): void {
    const extent = {
      entryCount: this.#central.count,
      size: this.#central.size,
      offset: this.#out.offset,
    };
    for (const chunk of this.#central.take()) this.#out.emit(chunk);
    for (const record of endRecords(extent, this.#options.commentBytes)) {
      this.#out.emit(record);
    }
  }

  #emitLocalHeader(
    fields: EntryFields,
    crc: number,
    compressedSize: number,
    size: number,
    zip64: boolean,
  ): void {
    const writer = this.#out.beginRecord(localFileHeaderLength(fields, zip64));
    writeLocalFileHeader(writer, fields, crc, compressedSize, size, zip64);
    this.#out.endRecord();
  }

  #emitDataDescriptor(
    layout: EntryLayout,
    crc: number,
    sizes: EntrySizes,
  ): void {
    const writer = this.#out.beginRecord(dataDescriptorLength(layout, sizes));
    writeDataDescriptor(
      writer,
      crc,
      sizes.compressedSize,
      sizes.size,
      descriptorIsZip64(layout, sizes),
    );
    this.#out.endRecord();
  }
}
