/**
 * The session behind `S3UploadStream`: runs the window of parts in flight,
 * pauses at the deadline, and decides when the upload ends. Cutting the body
 * into parts, the requests and their recovery, resuming, checkpoints and how
 * the session ends (its first failure, cleanup and result) are each in a
 * file of their own.
 *
 * @module
 */

import { crc32 } from "../zip/mod.ts";
import type { UploadOptions, UploadProgress } from "./upload_options.ts";
import type { PausedUpload, UploadResult } from "./upload_result.ts";
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
import { UploadParts } from "./_upload_parts.ts";
import { completeParts, type Completion, putWhole } from "./_completion.ts";
import { UploadOutcome } from "./_upload_outcome.ts";
import { S3Requests } from "./_s3_requests.ts";
import { md5 } from "./_etag.ts";

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
  /** Aborted on failure: cancels parts in flight and their backoffs. */
  #work = new AbortController();
  #outcome: UploadOutcome;
  #parts: UploadParts;
  #crc = 0;
  #creating: Promise<void> | undefined;
  #inFlight = new Set<Promise<void>>();
  /** Parts this run sent: a run pauses only after one, so runs progress. */
  #sent = 0;
  /**
   * The longest a part of this run took from sending to its answer, in
   * ms: how long before the deadline a new part must start to be
   * acknowledged by then.
   */
  #longestPart = 0;
  #paused = false;

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
      stopped: () => this.#outcome.failed,
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
    this.#outcome = new UploadOutcome(o, this.#protocol, {
      uploadId: () => this.#parts.uploadId,
      body: () => ({
        size: this.#cutter.bytesRead,
        parts: this.#parts.partsDone,
        crc32: this.#crc,
        uploadId: this.#parts.uploadId,
      }),
      checkpointed: () => this.#log.stored,
      stop: (cause) => {
        this.#cutter.drop();
        this.#work.abort(cause);
      },
      settled: () =>
        Promise.allSettled([
          ...this.#inFlight,
          this.#creating,
          this.#log.settled(),
        ]),
    });
    this.result = this.#outcome.result;
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
    this.#outcome.start(controller);
    // A signal aborted already has failed the upload before it began.
    if (this.#outcome.failed) return;
    if (this.#resumed !== undefined) return this.#verifyResume(this.#resumed);
  }

  /**
   * Checks the checkpoint against ListParts before the first write. An
   * upload an earlier run completed resolves with its object and stops the
   * body.
   */
  async #verifyResume(resumed: ResumedUpload): Promise<void> {
    const verdict = await resumed.verify(this.#protocol, this.#work.signal);
    if (verdict.kind === "fail") return this.#outcome.failWith(verdict.failure);
    if (verdict.kind === "go") return;
    this.#outcome.completedEarlier(verdict.result);
  }

  /** The sink's `write`: copies the chunk into parts, sending full ones. */
  async write(chunk: Uint8Array): Promise<void> {
    const refusal = this.#cutter.refusal(chunk);
    if (refusal !== undefined) this.#outcome.fail(refusal, undefined);
    if (this.#outcome.failed) return await this.#outcome.rethrow();
    for (const part of this.#cutter.cut(chunk)) {
      // Not the last part, which close() sends: the end is worth reaching.
      if (await this.#dispatch(part, true) === "pause") {
        return await this.#pause();
      }
      if (this.#outcome.failed) return await this.#outcome.rethrow();
    }
    this.#report();
    if (this.#outcome.failed) return await this.#outcome.rethrow();
  }

  /** The sink's `close`: sends the last part, completes, verifies. */
  async close(): Promise<void> {
    const refusal = this.#cutter.endRefusal();
    if (refusal !== undefined) this.#outcome.fail(refusal, undefined);
    if (this.#outcome.failed) return await this.#outcome.rethrow();
    const last = this.#cutter.last();
    if (this.#parts.uploadId === undefined) {
      this.#crc = crc32(last.bytes, this.#crc);
      await this.#putObject(last.bytes);
    } else {
      if (last.bytes.length > 0) await this.#dispatch(last);
      const unreached = this.#resumed?.unreached(this.#cutter.bytesRead);
      if (unreached !== undefined) this.#outcome.failWith(unreached);
      while (this.#inFlight.size > 0 && !this.#outcome.failed) {
        await Promise.all(this.#inFlight);
      }
      if (!this.#outcome.failed) await this.#complete();
    }
    if (this.#outcome.failed) return await this.#outcome.rethrow();
  }

  /** The sink's `abort`: the source failed or the writer gave up. */
  async abort(reason: unknown): Promise<void> {
    // A paused upload is kept: the body stopping now is no failure.
    if (this.#paused) return;
    this.#outcome.fail(
      "the source stream failed or the writer was aborted",
      reason,
    );
    await this.#outcome.cleanup;
  }

  /**
   * Sends a part once a slot is free; starts the upload first if needed.
   * A `pausable` part is not sent, and `"pause"` returned, when by the
   * time a slot is free the deadline is too near for it.
   */
  async #dispatch(
    part: CutPart,
    pausable = false,
  ): Promise<"pause" | undefined> {
    const { partNumber, offset, bytes } = part;
    if (partNumber > MAX_PARTS) {
      this.#outcome.fail(
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
    if (verdict.kind === "fail") {
      this.#outcome.failWith(verdict.failure);
      return;
    }
    if (verdict.kind === "held") {
      await this.#outcome.step(
        this.#parts.held(part, verdict.digest, verdict.known),
      );
      this.#recycle(bytes);
      return;
    }
    // Waiting here, before another buffer is allocated, is what bounds memory
    // to (concurrency + 1) parts and stalls the source while S3 catches up.
    while (
      this.#inFlight.size >= this.#options.concurrency &&
      !this.#outcome.failed
    ) {
      await Promise.race(this.#inFlight);
    }
    if (this.#outcome.failed) return;
    if (pausable && this.#pastDeadline()) return "pause";
    if (this.#parts.uploadId === undefined) {
      this.#creating = this.#outcome.step(
        this.#parts.create(objectFieldsOf(this.#options)),
      );
      await this.#creating;
      if (this.#outcome.failed) return;
    }
    const task = this.#outcome.step(this.#parts.send(
      part,
      contentMd5 ? verdict.digest : undefined,
      this.#work.signal,
    ));
    this.#sent++;
    const started = Date.now();
    this.#inFlight.add(task);
    task.then(() => {
      this.#longestPart = Math.max(this.#longestPart, Date.now() - started);
      this.#inFlight.delete(task);
      this.#recycle(bytes);
    });
  }

  /**
   * Whether, once this run has sent a part, a part started now would be
   * answered after the deadline, judging by the longest this run's parts
   * have taken.
   */
  #pastDeadline(): boolean {
    const { deadline } = this.#options;
    return deadline !== undefined && this.#sent > 0 &&
      Date.now() + this.#longestPart >= deadline;
  }

  /**
   * Stops at the deadline: no new part; the parts in flight finish and are
   * checkpointed; the upload is kept, the session resolves with where it
   * stands, and the body is stopped.
   */
  async #pause(): Promise<void> {
    this.#paused = true;
    while (this.#inFlight.size > 0 && !this.#outcome.failed) {
      await Promise.all(this.#inFlight);
    }
    await this.#log.settled();
    if (this.#outcome.failed) return;
    const uploadId = this.#parts.uploadId!;
    this.#cutter.drop();
    this.#outcome.paused({
      uploadId,
      checkpoint: this.#log.snapshot(uploadId),
      bytesUploaded: this.#parts.bytesUploaded,
      parts: this.#parts.partsDone,
    });
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
    this.#outcome.recheck = recheck;
    await this.#settleCompletion(
      await completion,
      "the multipart upload could not be completed",
    );
  }

  /** Resolves with a stored object, or fails as the completion found. */
  async #settleCompletion(completion: Completion, what: string): Promise<void> {
    if (!completion.stored) {
      this.#outcome.completed = completion.upload === "gone";
      const { cause, partNumber, upload } = completion;
      const kind = upload === "exists" ? "as-configured" : upload;
      return this.#outcome.fail(what, cause, partNumber, { kind });
    }
    this.#outcome.completed = true;
    this.#parts.bytesUploaded = this.#cutter.bytesRead;
    this.#report();
    await this.#outcome.stored(completion.object);
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
      this.#outcome.fail("onProgress threw", error);
    }
  }

  /** Hands a sent part's buffer back for reuse, unless the upload failed and needs no more. */
  #recycle(bytes: Uint8Array): void {
    if (!this.#outcome.failed) this.#cutter.recycle(bytes);
  }
}
