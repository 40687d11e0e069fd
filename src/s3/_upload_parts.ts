/**
 * The multipart upload on the server as it grows: its ID, the parts it holds
 * and their record, and the checkpoint reported after each. The session
 * decides when a part goes; this sends it and keeps the books.
 *
 * @module
 */

import type { CheckpointLog } from "./_checkpoint_log.ts";
import type { ObjectFields } from "./_resolved_upload_options.ts";
import { etagDigest, md5 } from "./_etag.ts";
import type { MultipartProtocol } from "./_multipart_protocol.ts";
import type { CutPart } from "./_part_cutter.ts";
import type { KnownPart } from "./_resume_check.ts";
import type { CreatedUpload } from "./upload_options.ts";

/** A step of the upload that failed: what was being done, and the part if it was one part's. */
export class StepFailed extends Error {
  /** What was being done, for the upload's error message. */
  readonly what: string;
  /** The part, when the step was one part's. */
  readonly partNumber: number | undefined;

  constructor(what: string, cause: unknown, partNumber?: number) {
    super(what, { cause });
    this.name = "StepFailed";
    this.what = what;
    this.partNumber = partNumber;
  }
}

/** What the parts need besides the protocol and the log. */
export interface UploadPartsOptions {
  readonly bucket: string;
  readonly key: string;
  readonly onUploadCreated:
    | ((upload: CreatedUpload) => void | Promise<void>)
    | undefined;
  /** Called after each part is recorded, for progress. */
  readonly onPart: () => void;
  /** Whether the upload has failed: then no more checkpoints are reported. */
  readonly stopped: () => boolean;
}

/** The server's multipart upload, its parts and their record. */
export class UploadParts {
  /** Its ID, once created or taken over from a checkpoint. */
  uploadId: string | undefined;
  /** Parts the server holds for this upload, sent now or before. */
  partsDone = 0;
  /** Body bytes whose part the server holds. */
  bytesUploaded = 0;
  #protocol: MultipartProtocol;
  #log: CheckpointLog;
  #options: UploadPartsOptions;

  constructor(
    protocol: MultipartProtocol,
    log: CheckpointLog,
    options: UploadPartsOptions,
  ) {
    this.#protocol = protocol;
    this.#log = log;
    this.#options = options;
  }

  /**
   * Starts the multipart upload, announces it to `onUploadCreated` and
   * reports the first checkpoint, before any part is sent.
   *
   * @throws {StepFailed}
   */
  async create(fields: ObjectFields): Promise<void> {
    try {
      this.uploadId = await this.#protocol.create(fields);
    } catch (error) {
      throw new StepFailed("the multipart upload could not be started", error);
    }
    const { bucket, key, onUploadCreated } = this.#options;
    try {
      await onUploadCreated?.({ bucket, key, uploadId: this.uploadId });
    } catch (error) {
      throw new StepFailed("onUploadCreated threw", error);
    }
    await this.#checkpoint();
  }

  /**
   * Sends a part (with Content-MD5 when `digest` is given) and records it.
   *
   * @throws {StepFailed}
   */
  async send(
    part: CutPart,
    digest: Uint8Array | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    const { partNumber, offset, bytes } = part;
    let output;
    try {
      output = await this.#protocol.uploadPart(
        this.uploadId!,
        partNumber,
        bytes,
        digest,
        signal,
      );
    } catch (error) {
      throw new StepFailed(
        `part ${partNumber} could not be uploaded`,
        error,
        partNumber,
      );
    }
    // Without Content-MD5 the server's ETag is the part's MD5, which the
    // multipart ETag and the checkpoint need. Under SSE-KMS or SSE-C it is
    // something else, and no ETag can be checked against the parts: the
    // bytes are hashed only for a checkpoint, which records every MD5.
    const partDigest = digest ?? etagDigest(output) ??
      (this.#log.reporting ? md5(bytes) : undefined);
    this.#log.record(
      partNumber,
      offset,
      bytes.length,
      output.ETag!,
      partDigest,
    );
    this.#done(bytes.length);
    // The caller holds the part's slot until the checkpoint is stored,
    // which keeps it at most `concurrency` parts behind the server.
    await this.#checkpoint();
  }

  /**
   * Counts a part the server holds with these very bytes as done, without
   * sending it.
   *
   * @throws {StepFailed}
   */
  async held(
    part: CutPart,
    digest: Uint8Array,
    known: KnownPart,
  ): Promise<void> {
    const { partNumber, offset, bytes } = part;
    this.#log.record(partNumber, offset, bytes.length, known.etag, digest);
    this.#done(bytes.length);
    // A part only the server knew of is news to the checkpoint.
    if (known.from === "server") await this.#checkpoint();
  }

  #done(bytes: number): void {
    this.partsDone++;
    this.bytesUploaded += bytes;
    this.#options.onPart();
  }

  /**
   * Reports the upload's state to `onCheckpoint`; none once the upload has
   * failed.
   *
   * @throws {StepFailed} when `onCheckpoint` throws
   */
  async #checkpoint(): Promise<void> {
    try {
      await this.#log.report(this.uploadId!, this.#options.stopped);
    } catch (error) {
      throw new StepFailed("onCheckpoint threw", error);
    }
  }
}
