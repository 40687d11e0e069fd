/**
 * The parts an upload has had acknowledged, and their report to
 * `onCheckpoint`: one call at a time, in order, so that the caller's stored
 * checkpoint only ever moves forward.
 *
 * @module
 */

import { toHex } from "./_etag.ts";
import {
  CHECKPOINT_VERSION,
  type CheckpointPart,
  type UploadCheckpoint,
} from "./upload_checkpoint.ts";

/** What a checkpoint says of the upload besides its parts. */
export interface CheckpointTarget {
  readonly bucket: string;
  readonly key: string;
  readonly partSize: number;
  readonly contentLength: number | undefined;
}

/** The acknowledged parts of one upload, and their checkpoints. */
export class CheckpointLog {
  #target: CheckpointTarget;
  #onCheckpoint:
    | ((checkpoint: UploadCheckpoint) => void | Promise<void>)
    | undefined;
  #parts = new Map<number, CheckpointPart>();
  /** The CRC-32 of the body through the end of each part cut, by part number. */
  #prefixCrcs: number[] = [];
  #stored = false;
  /** The call under way, so that calls never overlap. */
  #calling: Promise<void> = Promise.resolve();

  constructor(
    target: CheckpointTarget,
    onCheckpoint:
      | ((checkpoint: UploadCheckpoint) => void | Promise<void>)
      | undefined,
  ) {
    this.#target = target;
    this.#onCheckpoint = onCheckpoint;
  }

  /** Whether the caller holds a checkpoint: one was reported, or given to resume from. */
  get stored(): boolean {
    return this.#stored;
  }

  /** Every part recorded, by number. */
  get parts(): ReadonlyMap<number, CheckpointPart> {
    return this.#parts;
  }

  /** Takes over a part of the checkpoint a resumed upload was given. */
  adopt(part: CheckpointPart): void {
    this.#parts.set(part.partNumber, part);
    this.#stored = true;
  }

  /** Notes the CRC-32 of the body through a part, when the part is cut. */
  notePrefixCrc(partNumber: number, crc: number): void {
    this.#prefixCrcs[partNumber] = crc;
  }

  /** Whether checkpoints are reported: then every part's MD5 is needed. */
  get reporting(): boolean {
    return this.#onCheckpoint !== undefined;
  }

  /** Records a part the server holds, with its MD5 (`""` when not known: only if not `reporting`). */
  record(
    partNumber: number,
    offset: number,
    size: number,
    etag: string,
    digest: Uint8Array | undefined,
  ): void {
    this.#parts.set(partNumber, {
      partNumber,
      offset,
      size,
      etag,
      md5: digest === undefined ? "" : toHex(digest),
      prefixCrc32: this.#prefixCrcs[partNumber]!,
    });
  }

  /**
   * Reports the upload's state to `onCheckpoint`, after the call before it
   * has finished; nothing once `stopped()` says the upload has failed.
   *
   * @throws what `onCheckpoint` threw
   */
  async report(uploadId: string, stopped: () => boolean): Promise<void> {
    const onCheckpoint = this.#onCheckpoint;
    if (onCheckpoint === undefined) return;
    const call = this.#calling.then(async () => {
      if (stopped()) return;
      await onCheckpoint(this.snapshot(uploadId));
      this.#stored = true;
    });
    this.#calling = call.catch(() => {});
    await call;
  }

  /** Settles once the call under way (if any) has. */
  settled(): Promise<void> {
    return this.#calling;
  }

  /** Where the upload stands: every part recorded. */
  snapshot(uploadId: string): UploadCheckpoint {
    const { bucket, key, partSize, contentLength } = this.#target;
    return {
      version: CHECKPOINT_VERSION,
      bucket,
      key,
      uploadId,
      partSize,
      ...(contentLength === undefined ? {} : { contentLength }),
      parts: [...this.#parts.values()]
        .sort((a, b) => a.partNumber - b.partNumber)
        .map((part) => ({ ...part })),
    };
  }
}
