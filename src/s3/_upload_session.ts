/**
 * The session behind `S3UploadStream`: runs the window of parts in flight,
 * keeps the first failure, and settles with the object or with an error once
 * the upload is cleaned up. Cutting the body into parts, the requests and
 * their recovery, resuming and checkpoints are each in a file of their own.
 *
 * @module
 */

import { crc32 } from "../zip/mod.ts";
import type { UploadOptions, UploadProgress } from "./upload_options.ts";
import type { PausedUpload, UploadResult } from "./upload_result.ts";
import type { S3UploadError } from "./s3_upload_error.ts";
import {
  objectFieldsOf,
  type ResolvedUploadOptions,
  resolveUploadOptions,
} from "./_resolved_upload_options.ts";
import { MAX_PARTS, planPartSizes } from "./_part_size_plan.ts";
import { type CutPart, PartCutter } from "./_part_cutter.ts";
import { CheckpointLog } from "./_checkpoint_log.ts";
import { MultipartProtocol } from "./_multipart_protocol.ts";
import { ResumedUpload } from "./_resume_check.ts";
import { StepFailed, UploadParts } from "./_upload_parts.ts";
import { cleanUp, type Disposition, type Failure } from "./_upload_failure.ts";
import {
  completeParts,
  type Completion,
  putWhole,
  type StoredObject,
} from "./_completion.ts";
import { S3Requests } from "./_s3_requests.ts";
import { md5 } from "./_etag.ts";

const AS_CONFIGURED: Disposition = { kind: "as-configured" };

/** One upload, from the first byte to a result or an error. */
export class UploadSession {
  /**
   * Settles once: with the object, with the paused upload at its deadline,
   * or with an `S3UploadError` after cleanup.
   */
  readonly result: Promise<UploadResult | PausedUpload>;

  #options: ResolvedUploadOptions;
  #protocol: MultipartProtocol;
  #cutter: PartCutter;
  #log: CheckpointLog;
  #resumed: ResumedUpload | undefined;
  #controller: WritableStreamDefaultController | undefined;
  /** Aborted on failure: cancels parts in flight and their backoffs. */
  #work = new AbortController();
  #resolve!: (result: UploadResult | PausedUpload) => void;
  #reject!: (error: S3UploadError) => void;
  #onSignalAbort: (() => void) | undefined;
  #parts: UploadParts;
  #crc = 0;
  #creating: Promise<void> | undefined;
  #inFlight = new Set<Promise<void>>();
  #completed = false;
  /** Parts this run sent: a run pauses only after one, so runs progress. */
  #sent = 0;
  #paused = false;
  #failure: Failure | undefined;
  #cleanup: Promise<S3UploadError | undefined> | undefined;
  /** Set once CompleteMultipartUpload is sent; see `FailedUpload.recheck`. */
  #recheck: (() => Promise<Completion>) | undefined;

  /** @throws {TypeError | RangeError} Invalid options. */
  constructor(options: UploadOptions) {
    const o = resolveUploadOptions(options);
    this.#options = o;
    this.#protocol = new MultipartProtocol({
      work: new S3Requests(o.client, o.retry),
      cleanup: new S3Requests(o.client, o.cleanupRetry),
    }, o);
    this.#log = new CheckpointLog(o, o.onCheckpoint);
    this.#parts = new UploadParts(this.#protocol, this.#log, {
      ...o,
      onPart: () => this.#report(),
      stopped: () => this.#failure !== undefined,
    });
    let start = { partNumber: 1, offset: 0 };
    if (o.resume !== undefined) {
      const resumed = new ResumedUpload(o.resume, o.bodyOffset, this.#log);
      this.#resumed = resumed;
      this.#parts.uploadId = resumed.uploadId;
      this.#parts.partsDone = resumed.partsDone;
      this.#parts.bytesUploaded = o.bodyOffset;
      this.#crc = resumed.crc32;
      start = resumed.start;
    }
    this.#cutter = new PartCutter(
      planPartSizes(o.partSize, o.contentLength),
      o.contentLength,
      o.concurrency,
      start,
    );
    this.result = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A caller who only pipes, without awaiting `result`, must not get an unhandled rejection.
    this.result.catch(() => {});
  }

  /** The sink a writable stream of this upload is made with. */
  sink(): {
    start(controller: WritableStreamDefaultController): Promise<void> | void;
    write(chunk: Uint8Array): Promise<void>;
    close(): Promise<void>;
    abort(reason: unknown): Promise<void>;
  } {
    return {
      start: (controller) => this.start(controller),
      write: (chunk) => this.write(chunk),
      close: () => this.close(),
      abort: (reason) => this.abort(reason),
    };
  }

  /**
   * The sink's `start`: keeps the controller, watches the signal, and when
   * resuming, checks the checkpoint against ListParts before the first write.
   */
  start(controller: WritableStreamDefaultController): Promise<void> | void {
    this.#controller = controller;
    const { signal } = this.#options;
    if (signal?.aborted) {
      return this.#fail(
        "the signal was aborted before the upload began",
        signal.reason,
      );
    }
    this.#onSignalAbort = () =>
      this.#fail("the signal was aborted", signal?.reason);
    signal?.addEventListener("abort", this.#onSignalAbort, { once: true });
    if (this.#resumed !== undefined) return this.#verifyResume(this.#resumed);
  }

  /**
   * Checks the checkpoint against ListParts before the first write. An
   * upload an earlier run completed resolves with its object and stops the
   * body.
   */
  async #verifyResume(resumed: ResumedUpload): Promise<void> {
    const verdict = await resumed.verify(this.#protocol, this.#work.signal);
    if (verdict.kind === "fail") return this.#failWith(verdict.failure);
    if (verdict.kind === "go") return;
    const { result } = verdict;
    const o = this.#options;
    this.#completed = true;
    this.#settle();
    this.#resolve(result);
    this.#controller?.error(
      new Error(
        `The upload to s3://${o.bucket}/${o.key} (upload ID ${result.uploadId}) was completed by an earlier run: its body is not needed`,
      ),
    );
  }

  /** The sink's `write`: copies the chunk into parts, sending full ones. */
  async write(chunk: Uint8Array): Promise<void> {
    const refusal = this.#cutter.refusal(chunk);
    if (refusal !== undefined) this.#fail(refusal, undefined);
    if (this.#failure !== undefined) return await this.#rethrow();
    for (const part of this.#cutter.cut(chunk)) {
      // Not the last part, which close() sends: the end is worth reaching.
      if (this.#pastDeadline()) return await this.#pause();
      await this.#dispatch(part);
      if (this.#failure !== undefined) return await this.#rethrow();
    }
    this.#report();
    if (this.#failure !== undefined) return await this.#rethrow();
  }

  /** The sink's `close`: sends the last part, completes, verifies. */
  async close(): Promise<void> {
    const refusal = this.#cutter.endRefusal();
    if (refusal !== undefined) this.#fail(refusal, undefined);
    if (this.#failure !== undefined) return await this.#rethrow();
    const last = this.#cutter.last();
    if (this.#parts.uploadId === undefined) {
      this.#crc = crc32(last.bytes, this.#crc);
      await this.#putObject(last.bytes);
    } else {
      if (last.bytes.length > 0) await this.#dispatch(last);
      const unreached = this.#resumed?.unreached(this.#cutter.bytesRead);
      if (unreached !== undefined) this.#failWith(unreached);
      while (this.#inFlight.size > 0 && this.#failure === undefined) {
        await Promise.all(this.#inFlight);
      }
      if (this.#failure === undefined) await this.#complete();
    }
    if (this.#failure !== undefined) return await this.#rethrow();
  }

  /** The sink's `abort`: the source failed or the writer gave up. */
  async abort(reason: unknown): Promise<void> {
    // A paused upload is kept: the body stopping now is no failure.
    if (this.#paused) return;
    this.#fail("the source stream failed or the writer was aborted", reason);
    await this.#cleanup;
  }

  /** Sends a part once a slot is free; starts the upload first if needed. */
  async #dispatch(part: CutPart): Promise<void> {
    const { partNumber, offset, bytes } = part;
    if (partNumber > MAX_PARTS) {
      this.#fail(
        `expected the body to fit in ${MAX_PARTS} parts but it goes on past ${offset} bytes; pass a larger partSize`,
        undefined,
      );
      return;
    }
    this.#crc = crc32(bytes, this.#crc);
    this.#log.notePrefixCrc(partNumber, this.#crc);
    const { contentMd5 } = this.#options;
    const verdict = this.#resumed?.judge(part, contentMd5) ??
      { kind: "send", digest: contentMd5 ? md5(bytes) : undefined };
    if (verdict.kind === "fail") return this.#failWith(verdict.failure);
    if (verdict.kind === "held") {
      await this.#step(this.#parts.held(part, verdict.digest, verdict.known));
      return this.#recycle(bytes);
    }
    // Waiting here, before another buffer is allocated, is what bounds memory
    // to (concurrency + 1) parts and stalls the source while S3 catches up.
    while (
      this.#inFlight.size >= this.#options.concurrency &&
      this.#failure === undefined
    ) {
      await Promise.race(this.#inFlight);
    }
    if (this.#failure !== undefined) return;
    if (this.#parts.uploadId === undefined) {
      this.#creating = this.#step(
        this.#parts.create(objectFieldsOf(this.#options)),
      );
      await this.#creating;
      if (this.#failure !== undefined) return;
    }
    const task = this.#step(this.#parts.send(
      part,
      contentMd5 ? verdict.digest : undefined,
      this.#work.signal,
    ));
    this.#sent++;
    this.#inFlight.add(task);
    task.then(() => {
      this.#inFlight.delete(task);
      this.#recycle(bytes);
    });
  }

  /** Whether the deadline has come, once this run has sent a part. */
  #pastDeadline(): boolean {
    const { deadline } = this.#options;
    return deadline !== undefined && this.#sent > 0 && Date.now() >= deadline;
  }

  /**
   * Stops at the deadline: no new part; the parts in flight finish and are
   * checkpointed; the upload is kept, the session resolves with where it
   * stands, and the body is stopped.
   */
  async #pause(): Promise<void> {
    this.#paused = true;
    while (this.#inFlight.size > 0 && this.#failure === undefined) {
      await Promise.all(this.#inFlight);
    }
    await this.#log.settled();
    if (this.#failure !== undefined) return;
    const o = this.#options;
    const uploadId = this.#parts.uploadId!;
    this.#cutter.drop();
    this.#settle();
    this.#resolve({
      outcome: "paused",
      bucket: o.bucket,
      key: o.key,
      uploadId,
      checkpoint: this.#log.snapshot(uploadId),
      bytesUploaded: this.#parts.bytesUploaded,
      parts: this.#parts.partsDone,
    });
    this.#controller?.error(
      new Error(
        `The upload to s3://${o.bucket}/${o.key} (upload ID ${uploadId}) paused at its deadline: the rest of the body is for the run that resumes it`,
      ),
    );
  }

  /** Waits for a step of the upload; its failure fails the upload. */
  async #step(step: Promise<void>): Promise<void> {
    try {
      await step;
    } catch (error) {
      if (!(error instanceof StepFailed)) throw error;
      this.#fail(error.what, error.cause, error.partNumber);
    }
  }

  async #putObject(bytes: Uint8Array): Promise<void> {
    const o = this.#options;
    const completion = await putWhole(
      this.#protocol,
      bytes,
      o.contentMd5 ? md5(bytes) : undefined,
      objectFieldsOf(this.#options),
      this.#work.signal,
    );
    this.#parts.partsDone = 1;
    await this.#settleCompletion(
      completion,
      "the object could not be uploaded",
    );
  }

  async #complete(): Promise<void> {
    // Every part recorded is one the server holds for this body: those
    // before the resume point, and the rest sent or found held by this run.
    const { completion, recheck } = completeParts(
      this.#protocol,
      this.#parts.uploadId!,
      this.#log.parts.values(),
      this.#cutter.bytesRead,
      // Signed, with Content-MD5 or over TLS: stored bytes are those sent.
      this.#options.contentMd5 || this.#options.payloadSigning !== "never",
      this.#work.signal,
    );
    this.#recheck = recheck;
    await this.#settleCompletion(
      await completion,
      "the multipart upload could not be completed",
    );
  }

  /** Resolves with a stored object, or fails as the completion found. */
  async #settleCompletion(completion: Completion, what: string): Promise<void> {
    if (!completion.stored) {
      this.#completed = completion.upload === "gone";
      const { cause, partNumber, upload } = completion;
      const kind = upload === "exists" ? "as-configured" : upload;
      return this.#fail(what, cause, partNumber, { kind });
    }
    this.#completed = true;
    this.#parts.bytesUploaded = this.#cutter.bytesRead;
    this.#report();
    await this.#succeed(completion.object);
  }

  /** Resolves with the object, once the uploads lost answers began are tidied. */
  async #succeed(object: StoredObject): Promise<void> {
    const o = this.#options;
    // A stray upload left here holds no parts (none were sent to it), so it
    // does not fail an upload that succeeded.
    await this.#protocol.abortStrays(this.#parts.uploadId);
    // onProgress may have failed the upload meanwhile; the cleanup reports that.
    if (this.#failure !== undefined) return;
    this.#settle();
    this.#resolve({
      outcome: object.unverified === undefined ? "stored" : "stored-unverified",
      ...(object.unverified === undefined
        ? {}
        : { unverified: object.unverified }),
      bucket: o.bucket,
      key: o.key,
      etag: object.etag,
      size: this.#cutter.bytesRead,
      parts: this.#parts.partsDone,
      crc32: this.#crc,
      completedEarlier: false,
      ...(this.#parts.uploadId === undefined
        ? {}
        : { uploadId: this.#parts.uploadId }),
      ...(object.location === undefined ? {} : { location: object.location }),
    });
  }

  #report(): void {
    const { onProgress, contentLength } = this.#options;
    if (onProgress === undefined) return;
    const progress: UploadProgress = {
      bytesRead: this.#cutter.bytesRead,
      bytesUploaded: this.#parts.bytesUploaded,
      partsUploaded: this.#parts.partsDone,
    };
    if (contentLength !== undefined) progress.totalBytes = contentLength;
    try {
      onProgress(progress);
    } catch (error) {
      this.#fail("onProgress threw", error);
    }
  }

  #fail(
    what: string,
    cause: unknown,
    partNumber?: number,
    disposition: Disposition = AS_CONFIGURED,
  ): void {
    this.#failWith({ what, cause, partNumber, disposition });
  }

  /** Records the first failure, stops the work in flight and starts the cleanup; later failures are consequences. */
  #failWith(failure: Failure): void {
    if (this.#failure !== undefined) return;
    this.#failure = failure;
    this.#cutter.drop();
    this.#work.abort(failure.cause);
    this.#cleanup = this.#cleanUp();
    this.#cleanup.then((error) => {
      if (error === undefined) return;
      this.#settle();
      this.#controller?.error(error);
      this.#reject(error);
    });
  }

  /**
   * Waits for the work in flight to stop, then cleans up after the failure.
   * Resolves with the error to report, or undefined when the object turned
   * out to be stored after all (and the session resolved with it).
   */
  async #cleanUp(): Promise<S3UploadError | undefined> {
    await Promise.allSettled([
      ...this.#inFlight,
      this.#creating,
      this.#log.settled(),
    ]);
    const cleanup = await cleanUp(this.#failure!, {
      target: this.#options,
      uploadId: this.#parts.uploadId,
      completed: this.#completed,
      // Only an upload someone holds a checkpoint of can be resumed.
      keepAsConfigured: !this.#options.abortOnFailure && this.#log.stored,
      ...(this.#recheck === undefined ? {} : { recheck: this.#recheck }),
    }, this.#protocol);
    if (!cleanup.stored) return cleanup.error;
    this.#failure = undefined;
    this.#completed = true;
    await this.#succeed(cleanup.object);
    return undefined;
  }

  /** Throws the failure's error once cleaned up; returns if the object turned out stored after all. */
  async #rethrow(): Promise<void> {
    const error = await this.#cleanup;
    if (error !== undefined) throw error;
  }

  /** Hands a sent part's buffer back for reuse, unless the upload failed and needs no more. */
  #recycle(bytes: Uint8Array): void {
    if (this.#failure === undefined) this.#cutter.recycle(bytes);
  }

  #settle(): void {
    const onAbort = this.#onSignalAbort;
    if (onAbort !== undefined) {
      this.#options.signal?.removeEventListener("abort", onAbort);
    }
  }
}
