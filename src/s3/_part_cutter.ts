/**
 * Cuts an upload's body into parts of the planned sizes, reusing the
 * buffers of parts already sent. No I/O: the session sends what it cuts.
 *
 * @module
 */

import type { PartSizePlan } from "./_part_size_plan.ts";

/** A part cut from the body, ready to send. */
export interface CutPart {
  /** 1-based. */
  readonly partNumber: number;
  /** Where the part starts in the body. */
  readonly offset: number;
  readonly bytes: Uint8Array;
}

/** Where a body starts: at the beginning, or after the parts a resumed upload already holds. */
export interface CutStart {
  readonly partNumber: number;
  readonly offset: number;
}

/** Copies the body into part buffers and hands out full parts in order. */
export class PartCutter {
  #plan: PartSizePlan;
  #contentLength: number | undefined;
  #maxSpares: number;
  /** The part being filled; once full, it waits for the next byte to prove it is not the last. */
  #buffer: Uint8Array | undefined;
  #filled = 0;
  #partNumber: number;
  #bytesRead: number;
  #bytesCut: number;
  /** Buffers of parts already sent, ready for reuse. */
  #spares: Uint8Array[] = [];

  /**
   * @param plan The part sizes.
   * @param contentLength The body's length, when known: the last part is
   * cut to fit it.
   * @param spares How many sent buffers to keep for reuse: the number of
   * parts in flight at once.
   * @param start The first part number and body offset.
   */
  constructor(
    plan: PartSizePlan,
    contentLength: number | undefined,
    spares: number,
    start: CutStart,
  ) {
    this.#plan = plan;
    this.#contentLength = contentLength;
    this.#maxSpares = spares;
    this.#partNumber = start.partNumber;
    this.#bytesRead = start.offset;
    this.#bytesCut = start.offset;
  }

  /** Body bytes taken in so far, counting those before the start. */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  /** What is wrong with a chunk, if anything: it is not bytes, or goes past `contentLength`. */
  refusal(chunk: unknown): string | undefined {
    if (!(chunk instanceof Uint8Array)) {
      const received = chunk === null
        ? "null"
        : typeof chunk === "object"
        ? Object.prototype.toString.call(chunk)
        : `a ${typeof chunk}`;
      return `expected the source to give Uint8Array chunks but got ${received}`;
    }
    const read = this.#bytesRead + chunk.length;
    return this.#contentLength !== undefined && read > this.#contentLength
      ? `expected ${this.#contentLength} bytes (contentLength) but the source gave at least ${read}`
      : undefined;
  }

  /** What is wrong with the body ending now, if anything: it is short of `contentLength`. */
  endRefusal(): string | undefined {
    return this.#contentLength !== undefined &&
        this.#bytesRead !== this.#contentLength
      ? `expected ${this.#contentLength} bytes (contentLength) but the source ended after ${this.#bytesRead}`
      : undefined;
  }

  /**
   * Takes in a chunk, yielding each part it fills once a later byte shows
   * the part is not the last. The chunk is copied: it may be reused by its
   * source as soon as this generator is done.
   */
  *cut(chunk: Uint8Array): Generator<CutPart, void, undefined> {
    this.#bytesRead += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#buffer !== undefined && this.#filled === this.#buffer.length) {
        yield this.#take(this.#buffer);
      }
      this.#buffer ??= this.#allocate(this.#nextPartSize());
      const length = Math.min(
        chunk.length - offset,
        this.#buffer.length - this.#filled,
      );
      this.#buffer.set(chunk.subarray(offset, offset + length), this.#filled);
      this.#filled += length;
      offset += length;
    }
  }

  /** The last part: whatever was taken in and not yet handed out (maybe nothing). */
  last(): CutPart {
    const bytes = this.#buffer?.subarray(0, this.#filled) ?? new Uint8Array(0);
    return this.#take(bytes);
  }

  /** Lets go of the part being filled: the upload failed. */
  drop(): void {
    this.#buffer = undefined;
    this.#filled = 0;
    this.#spares = [];
  }

  /**
   * Keeps a sent part's buffer for the next part. Reuse keeps the process
   * at (concurrency + 1) part buffers instead of leaving a fresh part-sized
   * allocation per part for the garbage collector.
   */
  recycle(bytes: Uint8Array): void {
    const whole = bytes.byteOffset === 0 &&
      bytes.byteLength === bytes.buffer.byteLength;
    if (whole && this.#spares.length < this.#maxSpares) {
      this.#spares.push(bytes);
    }
  }

  #take(bytes: Uint8Array): CutPart {
    const part = {
      partNumber: this.#partNumber++,
      offset: this.#bytesCut,
      bytes,
    };
    this.#buffer = undefined;
    this.#filled = 0;
    this.#bytesCut += bytes.length;
    return part;
  }

  /** A part buffer: a spare one of the right size if there is one. */
  #allocate(size: number): Uint8Array {
    const index = this.#spares.findIndex((spare) => spare.length === size);
    if (index < 0) return new Uint8Array(size);
    return this.#spares.splice(index, 1)[0]!;
  }

  #nextPartSize(): number {
    const size = this.#plan.sizeOf(this.#partNumber);
    return this.#contentLength === undefined
      ? size
      : Math.max(1, Math.min(size, this.#contentLength - this.#bytesCut));
  }
}
