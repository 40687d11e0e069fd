/**
 * How an upload session ends, once: with the object stored, with the upload
 * paused at its deadline or completed by an earlier run, or with an
 * `S3UploadError` once its first failure is cleaned up (later failures are
 * consequences of the first). The session decides when it ends; this keeps
 * the first failure, settles `result`, stops the body's stream when the end
 * comes before the body does, and lets go of the caller's signal.
 *
 * @module
 */

import type { PausedUpload, UploadResult } from "./upload_result.ts";
import type { S3UploadError } from "./s3_upload_error.ts";
import type { ResolvedUploadOptions } from "./_resolved_upload_options.ts";
import type { MultipartProtocol } from "./_multipart_protocol.ts";
import { StepFailed } from "./_upload_parts.ts";
import { cleanUp, type Disposition, type Failure } from "./_upload_failure.ts";
import type { Completion, StoredObject } from "./_completion.ts";

const AS_CONFIGURED: Disposition = { kind: "as-configured" };

/** What the outcome reads of the session, at the moment it ends. */
export interface SessionState {
  /** The multipart upload's ID, once created or taken over from a checkpoint. */
  uploadId(): string | undefined;
  /** The body read so far, the parts the server holds of it, its CRC-32 and the upload ID. */
  body(): {
    size: number;
    parts: number;
    crc32: number;
    uploadId: string | undefined;
  };
  /** Whether a checkpoint of the upload was stored: only then can it be resumed. */
  checkpointed(): boolean;
  /** Stops the work in flight: drops the body, cancels parts and their backoffs. */
  stop(cause: unknown): void;
  /** Settles once the work in flight has stopped. */
  settled(): Promise<unknown>;
}

/** What is reported of a paused upload besides its bucket and key. */
export type PausedAt = Omit<PausedUpload, "outcome" | "bucket" | "key">;

/** The end of one upload session: its result, its first failure and its cleanup. */
export class UploadOutcome {
  /**
   * Settles once: with the object, with the paused upload at its deadline,
   * or with an `S3UploadError` after cleanup.
   */
  readonly result: Promise<UploadResult | PausedUpload>;
  /** Whether the object was stored or the upload is gone: then no abort is needed. */
  completed = false;
  /** Set once CompleteMultipartUpload is sent; see `FailedUpload.recheck`. */
  recheck: (() => Promise<Completion>) | undefined;

  #options: ResolvedUploadOptions;
  #protocol: MultipartProtocol;
  #session: SessionState;
  #controller: WritableStreamDefaultController | undefined;
  #resolve!: (result: UploadResult | PausedUpload) => void;
  #reject!: (error: S3UploadError) => void;
  #onSignalAbort: (() => void) | undefined;
  #failure: Failure | undefined;
  #cleanup: Promise<S3UploadError | undefined> | undefined;

  constructor(
    options: ResolvedUploadOptions,
    protocol: MultipartProtocol,
    session: SessionState,
  ) {
    this.#options = options;
    this.#protocol = protocol;
    this.#session = session;
    this.result = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A caller who only pipes, without awaiting `result`, must not get an unhandled rejection.
    this.result.catch(() => {});
  }

  /** Whether the upload has failed, and has not turned out stored after all. */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /**
   * Keeps the body's controller, to stop the body when the session ends
   * first, and fails the upload when the caller's signal is aborted.
   */
  start(controller: WritableStreamDefaultController): void {
    this.#controller = controller;
    const { signal } = this.#options;
    if (signal?.aborted) {
      return this.fail(
        "the signal was aborted before the upload began",
        signal.reason,
      );
    }
    this.#onSignalAbort = () =>
      this.fail("the signal was aborted", signal?.reason);
    signal?.addEventListener("abort", this.#onSignalAbort, { once: true });
  }

  /** Resolves with the object an earlier run completed, and stops the body. */
  completedEarlier(result: UploadResult): void {
    const o = this.#options;
    this.completed = true;
    this.#settle();
    this.#resolve(result);
    this.#controller?.error(
      new Error(
        `The upload to s3://${o.bucket}/${o.key} (upload ID ${result.uploadId}) was completed by an earlier run: its body is not needed`,
      ),
    );
  }

  /** Resolves with the upload paused at its deadline, and stops the body. */
  paused(at: PausedAt): void {
    const o = this.#options;
    this.#settle();
    this.#resolve({ outcome: "paused", bucket: o.bucket, key: o.key, ...at });
    this.#controller?.error(
      new Error(
        `The upload to s3://${o.bucket}/${o.key} (upload ID ${at.uploadId}) paused at its deadline: the rest of the body is for the run that resumes it`,
      ),
    );
  }

  /** Resolves with the object, once the uploads lost answers began are tidied. */
  async stored(object: StoredObject): Promise<void> {
    const o = this.#options;
    // A stray upload left here holds no parts (none were sent to it), so it
    // does not fail an upload that succeeded.
    await this.#protocol.abortStrays(this.#session.uploadId());
    // onProgress may have failed the upload meanwhile; the cleanup reports that.
    if (this.#failure !== undefined) return;
    const { size, parts, crc32, uploadId } = this.#session.body();
    this.#settle();
    this.#resolve({
      outcome: object.unverified === undefined ? "stored" : "stored-unverified",
      ...(object.unverified === undefined
        ? {}
        : { unverified: object.unverified }),
      bucket: o.bucket,
      key: o.key,
      etag: object.etag,
      size,
      parts,
      crc32,
      completedEarlier: false,
      ...(uploadId === undefined ? {} : { uploadId }),
      ...(object.location === undefined ? {} : { location: object.location }),
    });
  }

  /** Waits for a step of the upload; its failure fails the upload. */
  async step(step: Promise<void>): Promise<void> {
    try {
      await step;
    } catch (error) {
      if (!(error instanceof StepFailed)) throw error;
      this.fail(error.what, error.cause, error.partNumber);
    }
  }

  /** Fails the upload, unless it has failed already. */
  fail(
    what: string,
    cause: unknown,
    partNumber?: number,
    disposition: Disposition = AS_CONFIGURED,
  ): void {
    this.failWith({ what, cause, partNumber, disposition });
  }

  /** Records the first failure, stops the work in flight and starts the cleanup; later failures are consequences. */
  failWith(failure: Failure): void {
    if (this.#failure !== undefined) return;
    this.#failure = failure;
    this.#session.stop(failure.cause);
    this.#cleanup = this.#cleanUp();
    this.#cleanup.then((error) => {
      if (error === undefined) return;
      this.#settle();
      this.#controller?.error(error);
      this.#reject(error);
    });
  }

  /** The cleanup of the failure, once there is one: settles when it is done. */
  get cleanup(): Promise<unknown> | undefined {
    return this.#cleanup;
  }

  /**
   * Waits for the work in flight to stop, then cleans up after the failure.
   * Resolves with the error to report, or undefined when the object turned
   * out to be stored after all (and the session resolved with it).
   */
  async #cleanUp(): Promise<S3UploadError | undefined> {
    await this.#session.settled();
    const cleanup = await cleanUp(this.#failure!, {
      target: this.#options,
      uploadId: this.#session.uploadId(),
      completed: this.completed,
      // Only an upload someone holds a checkpoint of can be resumed.
      keepAsConfigured: !this.#options.abortOnFailure &&
        this.#session.checkpointed(),
      ...(this.recheck === undefined ? {} : { recheck: this.recheck }),
    }, this.#protocol);
    if (!cleanup.stored) return cleanup.error;
    this.#failure = undefined;
    this.completed = true;
    await this.stored(cleanup.object);
    return undefined;
  }

  /** Throws the failure's error once cleaned up; returns if the object turned out stored after all. */
  async rethrow(): Promise<void> {
    const error = await this.#cleanup;
    if (error !== undefined) throw error;
  }

  #settle(): void {
    const onAbort = this.#onSignalAbort;
    if (onAbort !== undefined) {
      this.#options.signal?.removeEventListener("abort", onAbort);
    }
  }
}
