/**
 * A planned archive as pieces laid end to end: header bytes held in memory,
 * and the entries' data, read from their sources only when a slice covers
 * them.
 *
 * @module
 */

import type { RangedSource } from "./ranged_source.ts";
import type { PlannedEntry, ZipPlan } from "./zip_plan.ts";

/** One entry's data within the archive. */
export interface DataPiece {
  readonly name: string;
  readonly source: RangedSource;
}

/** A run of archive bytes: held, or an entry's data. */
export type Piece = Uint8Array | DataPiece;

/** What a plan is made of, in archive order. */
export interface PlanLayout {
  readonly pieces: readonly Piece[];
  /** Where each piece starts; one more element, the archive's size, ends it. */
  readonly starts: Float64Array;
  readonly entries: readonly PlannedEntry[];
  readonly etag: string;
  readonly lastModified: number;
}

/** The `ZipPlan` that `planZip` returns. */
export class PlannedArchive implements ZipPlan {
  readonly #pieces: readonly Piece[];
  readonly #starts: Float64Array;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: number;
  readonly entries: readonly PlannedEntry[];

  constructor(layout: PlanLayout) {
    this.#pieces = layout.pieces;
    this.#starts = layout.starts;
    this.size = layout.starts[layout.pieces.length]!;
    this.etag = layout.etag;
    this.lastModified = layout.lastModified;
    this.entries = layout.entries;
  }

  slice(start: number, end: number = this.size): ReadableStream<Uint8Array> {
    if (
      !Number.isSafeInteger(start) || !Number.isSafeInteger(end) ||
      start < 0 || start > end || end > this.size
    ) {
      throw new RangeError(
        `Cannot slice the planned archive: expected 0 <= start <= end <= ${this.size} but received start ${start} and end ${end}`,
      );
    }
    return new ReadableStream<Uint8Array>(
      new SliceSource(this.#pieces, this.#starts, start, end),
      { highWaterMark: 0 },
    );
  }
}

/** Pulls the pieces a slice covers, one chunk at a time. */
class SliceSource implements UnderlyingDefaultSource<Uint8Array> {
  readonly #pieces: readonly Piece[];
  readonly #starts: Float64Array;
  readonly #end: number;
  #position: number;
  #index: number;
  // The data piece being read: its reader and how many bytes it still owes.
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #owed = 0;
  // The range of the entry's data that reader was asked for, for errors.
  #readFrom = 0;
  #readTo = 0;

  constructor(
    pieces: readonly Piece[],
    starts: Float64Array,
    start: number,
    end: number,
  ) {
    this.#pieces = pieces;
    this.#starts = starts;
    this.#position = start;
    this.#end = end;
    this.#index = pieceAt(starts, pieces.length, start);
  }

  async pull(controller: ReadableStreamDefaultController<Uint8Array>) {
    for (;;) {
      if (this.#position >= this.#end) {
        controller.close();
        return;
      }
      const piece = this.#pieces[this.#index]!;
      const pieceStart = this.#starts[this.#index]!;
      const until = Math.min(this.#end, this.#starts[this.#index + 1]!);
      if (piece instanceof Uint8Array) {
        // Copied: the reader may keep or transfer its chunks, and the plan
        // serves these bytes again.
        controller.enqueue(
          piece.slice(this.#position - pieceStart, until - pieceStart),
        );
        this.#position = until;
        this.#index++;
        return;
      }
      if (await this.#pullData(controller, piece, pieceStart, until)) return;
    }
  }

  /** Enqueues the next chunk of a data piece; false once the piece is done. */
  async #pullData(
    controller: ReadableStreamDefaultController<Uint8Array>,
    piece: DataPiece,
    pieceStart: number,
    until: number,
  ): Promise<boolean> {
    try {
      if (this.#reader === undefined) {
        this.#readFrom = this.#position - pieceStart;
        this.#readTo = until - pieceStart;
        this.#owed = this.#readTo - this.#readFrom;
        this.#reader = piece.source.read(this.#readFrom, this.#readTo)
          .getReader();
      }
      const { done, value } = await this.#reader.read();
      if (done) {
        if (this.#owed > 0) {
          throw new RangeError(
            `its source ended ${this.#owed} bytes early: it changed since the archive was planned`,
          );
        }
        this.#reader = undefined;
        this.#index++;
        return false;
      }
      if (!(value instanceof Uint8Array)) {
        throw new TypeError(
          `expected its source to give Uint8Array chunks but it gave ${typeof value}`,
        );
      }
      if (value.length > this.#owed) {
        throw new RangeError(
          `its source gave more bytes than the ${
            this.#readTo - this.#readFrom
          } asked for: it changed since the archive was planned, or does not honour ranges`,
        );
      }
      this.#owed -= value.length;
      this.#position += value.length;
      if (value.length > 0) controller.enqueue(value);
      return value.length > 0;
    } catch (error) {
      const reader = this.#reader;
      this.#reader = undefined;
      await reader?.cancel(error).catch(() => {});
      throw new Error(
        `Cannot produce the planned archive's bytes: reading bytes ${this.#readFrom}-${
          this.#readTo - 1
        } of ${JSON.stringify(piece.name)} failed: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      );
    }
  }

  async cancel(reason: unknown) {
    const reader = this.#reader;
    this.#reader = undefined;
    await reader?.cancel(reason);
  }
}

/** The index of the piece holding byte `offset`: binary search over `starts`. */
function pieceAt(starts: Float64Array, count: number, offset: number): number {
  let low = 0;
  let high = count;
  // Invariant: the piece is in [low, high); empty pieces never appear.
  while (high - low > 1) {
    const middle = (low + high) >>> 1;
    if (starts[middle]! <= offset) low = middle;
    else high = middle;
  }
  return low;
}
