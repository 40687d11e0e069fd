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
import { DeflatePool } from "./_deflate_pool.ts";
import { endRecords } from "./_end_of_central_directory.ts";
import { claimName } from "./_entry_name.ts";
import { EntryWriter } from "./_entry_writer.ts";
import { OutputQueue } from "./_output_queue.ts";
import { EntryLookAhead } from "./_look_ahead.ts";
import type { PullSource } from "./_pull_source.ts";
import type { ResolvedEntry } from "./_resolved_entry.ts";
import type { ResolvedOptions } from "./_resolved_options.ts";
import type { ZipEntry } from "./zip_entry.ts";
import { resumedLayout } from "./_resumed_entry.ts";
import type { WrittenEntry } from "./written_entry.ts";
import { sealerAt } from "./_entry_sealer.ts";

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
  #cancelled = false;
  #deflatePool: DeflatePool;
  #ahead: EntryLookAhead;
  #entryWriter: EntryWriter;

  constructor(entries: PullSource<ZipEntry>, options: ResolvedOptions) {
    this.#entries = entries;
    this.#options = options;
    this.#out = new OutputQueue(options.resumeOffset);
    this.#deflatePool = new DeflatePool(options.workers, {
      onStatus: options.onWorkers,
    });
    this.#ahead = new EntryLookAhead(entries, {
      defaults: options.defaults,
      pool: this.#deflatePool,
      copyBytes: options.copyChunks,
      salts: options.salts,
      skips: (entry) => this.#skippedRecord(entry) !== undefined,
    });
    this.#entryWriter = new EntryWriter(
      this.#out,
      this.#central,
      this.#deflatePool,
      options,
      () => this.#throwIfCancelled(),
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
        const record = this.#skippedRecord(entry);
        const skipped = record !== undefined;
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
          for (
            const batch of this.#entryWriter.writeInMemory(ahead, body, sealer)
          ) {
            yield batch;
          }
        } else if (skipped) {
          await this.#skipStreamed(entry, entry.body.open, record);
        } else {
          yield* this.#entryWriter.writeStreamed(entry, entry.body, sealer);
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
    await Promise.allSettled([
      this.#entryWriter.cancelSource(reason),
      this.#entries.cancel(reason),
    ]);
  }

  #throwIfCancelled(): void {
    if (this.#cancelled) throw new Cancelled("The archive was cancelled");
  }

  /**
   * The earlier run's record of a streamed entry that a resumed archive
   * skips, being wholly before the resume offset; `undefined` for an entry
   * this run writes (entries given whole are written again: it costs no
   * reading).
   */
  #skippedRecord(entry: ResolvedEntry): WrittenEntry | undefined {
    const record = this.#options.resumeEntries.get(entry.name);
    return entry.body.kind === "stream" && record !== undefined &&
        record.end <= this.#options.resumeOffset
      ? record
      : undefined;
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
}
