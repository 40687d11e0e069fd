/**
 * The session behind `S3UploadStream`: runs the window of parts in flight,
 * keeps the first failure, and settles with the object or with an error once
 * the upload is cleaned up. Cutting the body into parts, the requests and
 * their recovery, resuming and checkpoints are each in a file of their own.
 *
 * @module
 */

import type { CompletedPart } from "@aws-sdk/client-s3";
import { crc32 } from "../zip/mod.ts";
import type { UploadOptions, UploadProgress } from "./upload_options.ts";
import type { UploadResult } from "./upload_result.ts";
import type { S3UploadError } from "./s3_upload_error.ts";
import {
  type ResolvedUploadOptions,
  resolveUploadOptions,
} from "./_resolved_upload_options.ts";
import { MAX_PARTS, planPartSizes } from "./_part_size_plan.ts";
import { type CutPart, PartCutter } from "./_part_cutter.ts";
import { CheckpointLog } from "./_checkpoint_log.ts";
import { MultipartProtocol } from "./_multipart_protocol.ts";
import {
  completedEarlier,
  type KnownPart,
  ResumeCheck,
} from "./_resume_check.ts";
import { unwrap } from "./_retry.ts";
import { cleanUp, type Disposition, type Failure } from "./_upload_failure.ts";
import { errorName, S3Requests } from "./_s3_requests.ts";
import {
  bareEtag,
  etagDigest,
  etagIsMd5,
  fromHex,
  md5,
  MULTIPART_ETAG,
  multipartEtag,
  toHex,
} from "./_etag.ts";

const AS_CONFIGURED: Disposition = { kind: "as-configured" };

/** One upload, from the first byte to a result or an error. */
export class UploadSession {
  /** Settles once: with the object, or with an `S3UploadError` after cleanup. */
  readonly result: Promise<UploadResult>;

  #options: ResolvedUploadOptions;
  #protocol: MultipartProtocol;
  #cutter: PartCutter;
  #log: CheckpointLog;
  #resume: ResumeCheck | undefined;
  /** The first part number this body sends: after the parts a resumed upload holds. */
  #firstPartNumber = 1;
  #controller: WritableStreamDefaultController | undefined;
  /** Aborted on failure: cancels parts in flight and their backoffs. */
  #work = new AbortController();
  #resolve!: (result: UploadResult) => void;
  #reject!: (error: S3UploadError) => void;
  #onSignalAbort: (() => void) | undefined;

  #bytesUploaded = 0;
  #crc = 0;
  #uploadId: string | undefined;
  #creating: Promise<void> | undefined;
  #inFlight = new Set<Promise<void>>();
  /** Parts the server holds for this upload, sent now or before. */
  #partsDone = 0;
  #completed = false;

  #failure: Failure | undefined;
  #cleanup: Promise<S3UploadError> | undefined;

  /**
   * @throws {TypeError | RangeError} Invalid options.
   */
  constructor(options: UploadOptions) {
    const o = resolveUploadOptions(options);
    this.#options = o;
    this.#protocol = new MultipartProtocol({
      work: new S3Requests(o.client, o.retry),
      cleanup: new S3Requests(o.client, o.cleanupRetry),
    }, o);
    this.#log = new CheckpointLog(o, o.onCheckpoint);
    let start = { partNumber: 1, offset: 0 };
    if (o.resume !== undefined) {
      this.#resume = new ResumeCheck();
      start = this.#adopt();
      this.#firstPartNumber = start.partNumber;
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

  /**
   * The sink's `start`: keeps the controller, watches the signal, and when
   * resuming, checks the checkpoint against ListParts before the first write.
   */
  start(controller: WritableStreamDefaultController): Promise<void> | void {
    this.#controller = controller;
    const { signal } = this.#options;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.#fail(
          "the signal was aborted before the upload began",
          signal.reason,
        );
        return;
      }
      this.#onSignalAbort = () =>
        this.#fail("the signal was aborted", signal.reason);
      signal.addEventListener("abort", this.#onSignalAbort, { once: true });
    }
    if (this.#resume !== undefined) return this.#checkResume(this.#resume);
  }

  /**
   * Takes over the checkpoint's upload: its ID, and the parts before
   * `bodyOffset` as done, since the body given starts after them. Returns
   * where the body starts.
   */
  #adopt(): { partNumber: number; offset: number } {
    const { resume, bodyOffset } = this.#options;
    this.#uploadId = resume!.uploadId;
    let partNumber = 1;
    for (const part of resume!.parts) {
      if (part.offset >= bodyOffset) break;
      this.#log.adopt(part);
      this.#partsDone++;
      partNumber = part.partNumber + 1;
      this.#crc = part.prefixCrc32;
    }
    this.#bytesUploaded = bodyOffset;
    return { partNumber, offset: bodyOffset };
  }

  /**
   * Lists the upload's parts and checks that the server holds each part of
   * the checkpoint, as recorded. Nothing found wrong here aborts the upload:
   * it is the earlier run's.
   */
  async #checkResume(check: ResumeCheck): Promise<void> {
    const checkpoint = this.#options.resume!;
    let listed;
    try {
      listed = await this.#protocol.listParts(
        checkpoint.uploadId,
        this.#work.signal,
      );
    } catch (error) {
      if (errorName(unwrap(error)) === "NoSuchUpload") {
        const earlier = await completedEarlier(
          checkpoint,
          this.#protocol,
          this.#work.signal,
        );
        if (earlier !== undefined) {
          this.#finishEarlier(earlier);
          return;
        }
        this.#fail(
          `cannot resume: upload ID ${checkpoint.uploadId} no longer exists (it was aborted or completed, or a lifecycle rule expired it); start a new upload without the checkpoint`,
          error,
          undefined,
          { kind: "gone" },
        );
      } else {
        this.#fail(
          "cannot resume: the upload's parts could not be listed",
          error,
          undefined,
          { kind: "keep", kept: "resumable" },
        );
      }
      return;
    }
    const mismatch = check.mismatch(
      checkpoint,
      listed,
      this.#options.bodyOffset,
      this.#firstPartNumber,
      this.#log,
    );
    if (mismatch !== undefined) {
      this.#fail(
        `cannot resume: ${mismatch.message}`,
        undefined,
        mismatch.partNumber,
        { kind: "keep", kept: "resumable" },
      );
    }
  }

  /** Resolves with the object an earlier run completed, and stops the body. */
  #finishEarlier(result: UploadResult): void {
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
    if (!(chunk instanceof Uint8Array)) {
      const received = chunk === null
        ? "null"
        : typeof chunk === "object"
        ? Object.prototype.toString.call(chunk)
        : `a ${typeof chunk}`;
      this.#fail(
        `expected the source to give Uint8Array chunks but got ${received}`,
        undefined,
      );
    }
    if (this.#failure !== undefined) throw await this.#cleanup;
    const { contentLength } = this.#options;
    const read = this.#cutter.bytesRead + chunk.length;
    if (contentLength !== undefined && read > contentLength) {
      this.#fail(
        `expected ${contentLength} bytes (contentLength) but the source gave at least ${read}`,
        undefined,
      );
      throw await this.#cleanup;
    }
    for (const part of this.#cutter.cut(chunk)) {
      await this.#dispatch(part);
      if (this.#failure !== undefined) throw await this.#cleanup;
    }
    this.#report();
    if (this.#failure !== undefined) throw await this.#cleanup;
  }

  /** The sink's `close`: sends the last part, completes, verifies. */
  async close(): Promise<void> {
    if (this.#failure !== undefined) throw await this.#cleanup;
    const { contentLength } = this.#options;
    const read = this.#cutter.bytesRead;
    if (contentLength !== undefined && read !== contentLength) {
      this.#fail(
        `expected ${contentLength} bytes (contentLength) but the source ended after ${read}`,
        undefined,
      );
      throw await this.#cleanup;
    }
    const last = this.#cutter.last();
    if (this.#uploadId === undefined) {
      this.#crc = crc32(last.bytes, this.#crc);
      await this.#putObject(last.bytes);
    } else {
      if (last.bytes.length > 0) await this.#dispatch(last);
      this.#checkNothingKnownRemains();
      while (this.#inFlight.size > 0 && this.#failure === undefined) {
        await Promise.all(this.#inFlight);
      }
      if (this.#failure === undefined) await this.#complete();
    }
    if (this.#failure !== undefined) throw await this.#cleanup;
  }

  /** The sink's `abort`: the source failed or the writer gave up. */
  async abort(reason: unknown): Promise<void> {
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
    const mayBeHeld = this.#resume?.mayHold(partNumber) === true;
    // A part the server may hold is recognised by its MD5; computed once,
    // it also serves as Content-MD5 if the part must be sent after all.
    const digest = mayBeHeld || this.#options.contentMd5
      ? md5(bytes)
      : undefined;
    if (mayBeHeld && digest !== undefined) {
      const match = this.#resume!.match(partNumber, bytes.length, digest);
      if (match.kind === "held") {
        await this.#alreadySent(part, digest, match.known);
        return;
      }
      if (match.kind === "differs" && match.known.from === "checkpoint") {
        this.#fail(
          `cannot resume: part ${partNumber} (body bytes ${offset} to ${
            offset + bytes.length - 1
          }) differs from the checkpoint: ${bytes.length} bytes of MD5 ${
            toHex(digest)
          } now, ${match.known.size} bytes of MD5 ${match.known.md5} then, so the inputs have changed since the earlier run`,
          undefined,
          partNumber,
          { kind: "keep", kept: "inputs-changed" },
        );
        return;
      }
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
    if (this.#uploadId === undefined) {
      this.#creating = this.#createUpload();
      await this.#creating;
      if (this.#failure !== undefined) return;
    }
    const task = this.#uploadPart(
      part,
      this.#options.contentMd5 ? digest : undefined,
    );
    this.#inFlight.add(task);
    task.then(() => {
      this.#inFlight.delete(task);
      this.#recycle(bytes);
    });
  }

  async #createUpload(): Promise<void> {
    const o = this.#options;
    try {
      this.#uploadId = await this.#protocol.create({
        ContentType: o.contentType,
        ContentDisposition: o.contentDisposition,
        Metadata: o.metadata,
        Tagging: o.tagging,
        StorageClass: o.storageClass,
      });
    } catch (error) {
      this.#fail("the multipart upload could not be started", error);
      return;
    }
    if (o.onUploadCreated !== undefined) {
      try {
        await o.onUploadCreated({
          bucket: o.bucket,
          key: o.key,
          uploadId: this.#uploadId!,
        });
      } catch (error) {
        this.#fail("onUploadCreated threw", error);
        return;
      }
    }
    await this.#checkpoint();
  }

  /** Counts a part the server holds with these very bytes as done, without sending it. */
  async #alreadySent(
    part: CutPart,
    digest: Uint8Array,
    known: KnownPart,
  ): Promise<void> {
    const { partNumber, offset, bytes } = part;
    this.#partsDone++;
    this.#log.record(partNumber, offset, bytes.length, known.etag, digest);
    this.#bytesUploaded += bytes.length;
    this.#recycle(bytes);
    this.#report();
    // A part only the server knew of is news to the checkpoint.
    if (known.from === "server") await this.#checkpoint();
  }

  /** Fails a resumed upload whose body ended before parts the checkpoint records. */
  #checkNothingKnownRemains(): void {
    const partNumber = this.#resume?.unreached();
    if (partNumber === undefined || this.#failure !== undefined) return;
    this.#fail(
      `cannot resume: the body ended after ${this.#cutter.bytesRead} bytes, before part ${partNumber} that the checkpoint records, so the inputs have changed since the earlier run`,
      undefined,
      partNumber,
      { kind: "keep", kept: "inputs-changed" },
    );
  }

  /**
   * Reports the upload's state to `onCheckpoint`. A failing call fails the
   * upload; once it has failed, no more checkpoints are reported.
   */
  async #checkpoint(): Promise<void> {
    try {
      await this.#log.report(
        this.#uploadId!,
        () => this.#failure !== undefined,
      );
    } catch (error) {
      this.#fail("onCheckpoint threw", error);
    }
  }

  async #uploadPart(
    part: CutPart,
    digest: Uint8Array | undefined,
  ): Promise<void> {
    const { partNumber, offset, bytes } = part;
    try {
      const output = await this.#protocol.uploadPart(
        this.#uploadId!,
        partNumber,
        bytes,
        digest,
        this.#work.signal,
      );
      this.#partsDone++;
      // Without Content-MD5 the server's ETag is the part's MD5, which the
      // multipart ETag and the checkpoint need; only under SSE-KMS or SSE-C
      // is it something else, and the bytes are hashed here instead.
      const partDigest = digest ?? etagDigest(output) ?? md5(bytes);
      this.#log.record(
        partNumber,
        offset,
        bytes.length,
        output.ETag!,
        partDigest,
      );
      this.#bytesUploaded += bytes.length;
      this.#report();
    } catch (error) {
      this.#fail(`part ${partNumber} could not be uploaded`, error, partNumber);
      return;
    }
    // Holding the slot until the checkpoint is stored keeps the stored
    // checkpoint at most `concurrency` parts behind the server.
    await this.#checkpoint();
  }

  async #putObject(bytes: Uint8Array): Promise<void> {
    const o = this.#options;
    const digest = o.contentMd5 ? md5(bytes) : undefined;
    try {
      const output = await this.#protocol.putObject(
        bytes,
        digest,
        {
          ContentType: o.contentType,
          ContentDisposition: o.contentDisposition,
          Metadata: o.metadata,
          Tagging: o.tagging,
          StorageClass: o.storageClass,
        },
        this.#work.signal,
      );
      this.#bytesUploaded = bytes.length;
      this.#partsDone = 1;
      this.#report();
      this.#completed = true;
      await this.#finish(output.ETag, undefined);
    } catch (error) {
      this.#fail("the object could not be uploaded", error);
    }
  }

  async #complete(): Promise<void> {
    // Every part recorded is one the server holds for this body: those
    // before the resume point, and the rest sent or found held by this run.
    const recorded = [...this.#log.parts.values()].sort((a, b) =>
      a.partNumber - b.partNumber
    );
    const parts: CompletedPart[] = recorded.map((part) => ({
      PartNumber: part.partNumber,
      ETag: part.etag,
    }));
    const expectedEtag = multipartEtag(
      recorded.map((part) => fromHex(part.md5)),
    );
    try {
      const output = await this.#protocol.complete(
        this.#uploadId!,
        parts,
        expectedEtag,
        this.#work.signal,
      );
      this.#completed = true;
      if (
        output.ETag !== undefined && etagIsMd5(output) &&
        MULTIPART_ETAG.test(bareEtag(output.ETag)) &&
        bareEtag(output.ETag) !== expectedEtag
      ) {
        throw new Error(
          `CompleteMultipartUpload answered ETag ${output.ETag} but the parts sent make "${expectedEtag}"`,
        );
      }
      await this.#finish(output.ETag, output.Location);
    } catch (error) {
      this.#fail("the multipart upload could not be completed", error);
    }
  }

  /** Checks the stored size with HeadObject and resolves the result. */
  async #finish(
    etag: string | undefined,
    location: string | undefined,
  ): Promise<void> {
    const o = this.#options;
    const size = this.#cutter.bytesRead;
    const head = await this.#protocol.head(this.#work.signal);
    if (head.ContentLength !== size) {
      throw new Error(
        `HeadObject reports ${head.ContentLength} bytes but ${size} were sent`,
      );
    }
    // A stray upload left here holds no parts (none were sent to it), so it
    // does not fail an upload that succeeded.
    await this.#protocol.abortStrays(this.#uploadId);
    // onProgress may have failed the upload meanwhile; the cleanup reports that.
    if (this.#failure !== undefined) return;
    this.#settle();
    this.#resolve({
      outcome: "stored",
      bucket: o.bucket,
      key: o.key,
      // `||`, not `??`: some servers (Ceph) answer an empty ETag on completion.
      etag: etag || head.ETag || "",
      size,
      parts: this.#partsDone,
      crc32: this.#crc,
      completedEarlier: false,
      ...(this.#uploadId === undefined ? {} : { uploadId: this.#uploadId }),
      ...(location === undefined ? {} : { location }),
    });
  }

  #report(): void {
    const { onProgress, contentLength } = this.#options;
    if (onProgress === undefined) return;
    const progress: UploadProgress = {
      bytesRead: this.#cutter.bytesRead,
      bytesUploaded: this.#bytesUploaded,
      partsUploaded: this.#partsDone,
    };
    if (contentLength !== undefined) progress.totalBytes = contentLength;
    try {
      onProgress(progress);
    } catch (error) {
      this.#fail("onProgress threw", error);
    }
  }

  /** Records the first failure, stops the work in flight and starts the cleanup; later failures are consequences. */
  #fail(
    what: string,
    cause: unknown,
    partNumber?: number,
    disposition: Disposition = AS_CONFIGURED,
  ): void {
    if (this.#failure !== undefined) return;
    this.#failure = { what, cause, partNumber, disposition };
    this.#cutter.drop();
    this.#work.abort(cause);
    this.#cleanup = this.#cleanUp();
    this.#cleanup.then((error) => {
      this.#settle();
      this.#controller?.error(error);
      this.#reject(error);
    });
  }

  /** Waits for the work in flight to stop, then cleans up after the failure. */
  async #cleanUp(): Promise<S3UploadError> {
    await Promise.allSettled([
      ...this.#inFlight,
      this.#creating,
      this.#log.settled(),
    ]);
    return await cleanUp(this.#failure!, {
      target: this.#options,
      uploadId: this.#uploadId,
      completed: this.#completed,
      // Only an upload someone holds a checkpoint of can be resumed.
      keepAsConfigured: !this.#options.abortOnFailure && this.#log.stored,
    }, this.#protocol);
  }

  /** Hands a sent part's buffer back for reuse, unless the upload failed and needs no more. */
  #recycle(bytes: Uint8Array): void {
    if (this.#failure === undefined) this.#cutter.recycle(bytes);
  }

  #settle(): void {
    const { signal } = this.#options;
    if (signal !== undefined && this.#onSignalAbort !== undefined) {
      signal.removeEventListener("abort", this.#onSignalAbort);
    }
  }
}
