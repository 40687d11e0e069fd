/**
 * `--resume s3://bucket/key`: the checkpoint kept in S3, for runs that keep
 * no disk between them.
 *
 * The checkpoint is the object KEY: the JSON a checkpoint FILE holds, plus
 * `"records": { "generation": "…", "chunks": N }`. The entry records are
 * the objects `KEY.entries/GENERATION/000000` to `…/N-1`, read in order.
 * S3 has no append, so a save puts the records added since the last one as
 * the next chunk, then replaces KEY. Each run starts a generation of its
 * own (chunk 0 holds the records it keeps), so that a run which dies before
 * its first save leaves the previous checkpoint whole; the generation a
 * save replaces is deleted after it.
 *
 * Saves come with every part the server acknowledges; two PUTs a part
 * would double the requests of an upload, and a run's chunks would number
 * its parts, so saves are made at most every {@linkcode SAVE_INTERVAL} ms
 * (the first at once, so the upload is never unrecorded, and the first
 * naming a part, so a crash soon after costs little) and the one held
 * back is made by `flush`, which a paused or failed run calls. A run killed
 * outright loses at most that interval: the next run sends those parts
 * again.
 *
 * @module
 */

import type { S3Client } from "@aws-sdk/client-s3";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import type { CheckpointServer, CheckpointStore } from "./_checkpoint_store.ts";
import { CliError } from "./_cli_error.ts";
import { requireCredentials, s3Client } from "./_s3_client.ts";
import { deleteObjects, listObjects } from "./_s3_objects.ts";
import { parseS3Uri } from "./_s3_uri.ts";
import { isMissingObject } from "../s3/_s3_error_fields.ts";
import { reason } from "./_walk.ts";

/** The least time between two saves but a flush, in milliseconds. */
export const SAVE_INTERVAL = 10_000;
/** Chunks read at once when a run resumes. */
const READ_CONCURRENCY = 8;

/** Which chunks hold the records a checkpoint names. */
interface RecordChunks {
  generation: string;
  chunks: number;
}

/** The checkpoint as the objects KEY and KEY.entries/… in a bucket. */
export class S3CheckpointStore implements CheckpointStore {
  readonly name: string;
  readonly recordedName: string;
  #client: S3Client;
  #bucket: string;
  #key: string;
  /** The records the checkpoint read names. */
  #read: RecordChunks | undefined;
  /** This run's generation and the chunks of it saved. */
  #written: RecordChunks | undefined;
  /** Records not yet in a chunk. */
  #pending = "";
  /** The checkpoint a save held back. */
  #held: object | undefined;
  #lastSave = -Infinity;
  /** Saves run one after another, in the order they were asked for. */
  #queue: Promise<void> = Promise.resolve();
  /** A generation to delete once a save names the new one. */
  #obsolete: string | undefined;

  /** Use {@linkcode S3CheckpointStore.open}. */
  constructor(name: string, client: S3Client) {
    const { bucket, key } = parseS3Uri(name);
    this.name = name;
    this.recordedName = name;
    this.#client = client;
    this.#bucket = bucket;
    this.#key = key;
  }

  /** The store `name` names, with a client for `server`. */
  static async open(
    name: string,
    server: CheckpointServer,
  ): Promise<S3CheckpointStore> {
    const client = await s3Client(
      server.endpoint,
      server.region,
      false,
      server.profile,
    );
    // The checkpoint is the first object a resumed run reads: without
    // credentials, say so here rather than in the SDK's words for its GET.
    await requireCredentials(client, name).catch((error: unknown) => {
      client.destroy();
      throw error;
    });
    return new S3CheckpointStore(name, client);
  }

  async readCheckpoint(): Promise<string | undefined> {
    const text = await this.#get(this.#key);
    if (text === undefined) return undefined;
    try {
      const records = (JSON.parse(text) as { records?: unknown }).records;
      if (isRecordChunks(records)) this.#read = records;
    } catch {
      // Not JSON: the caller says the checkpoint is not one zipstream wrote.
    }
    return text;
  }

  async readRecords(): Promise<string> {
    const read = this.#read;
    if (read === undefined) return "";
    const texts: string[] = new Array(read.chunks);
    let next = 0;
    const reader = async () => {
      while (next < read.chunks) {
        const index = next++;
        const key = this.#chunkKey(read.generation, index);
        const text = await this.#get(key);
        if (text === undefined) {
          throw new CliError(
            `Cannot resume from ${this.name}: it names ${read.chunks} objects of entry records, but s3://${this.#bucket}/${key} is missing; discard its upload with zipstream --abort-resume ${this.name}`,
          );
        }
        texts[index] = text;
      }
    };
    await Promise.all(
      Array.from({ length: READ_CONCURRENCY }, () => reader()),
    );
    return texts.join("");
  }

  startRecords(kept: string): Promise<void> {
    const bytes = crypto.getRandomValues(new Uint8Array(6));
    const generation = Array.from(bytes, (b) => b.toString(16).padStart(2, "0"))
      .join("");
    this.#written = { generation, chunks: 0 };
    this.#pending = kept;
    this.#obsolete = this.#read?.generation;
    return Promise.resolve();
  }

  appendRecords(text: string): void {
    this.#pending += text;
  }

  save(value: object, urgent = false): Promise<void> {
    return this.#enqueue(() => this.#save(value, urgent));
  }

  flush(): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#held !== undefined) await this.#save(this.#held, true);
    });
  }

  async remove(): Promise<string | undefined> {
    await this.#queue;
    try {
      await this.#client.send(
        new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#key }),
      );
      await this.#deleteUnder(`${this.#key}.entries/`);
      // Shown gone, not assumed: both lookups must find nothing.
      const left = [
        ...await this.#exists(this.#key) ? [this.name] : [],
        ...(await this.#list(`${this.#key}.entries/`)).map((key) =>
          `s3://${this.#bucket}/${key}`
        ),
      ];
      return left.length === 0
        ? undefined
        : `still there after being deleted: ${left.slice(0, 3).join(", ")}${
          left.length > 3 ? ` and ${left.length - 3} more` : ""
        }`;
    } catch (error) {
      return reason(error);
    } finally {
      this.close();
    }
  }

  close(): void {
    this.#client.destroy();
  }

  async #save(value: object, force: boolean): Promise<void> {
    const written = this.#written;
    if (written === undefined) {
      throw new Error("S3CheckpointStore: save before startRecords");
    }
    if (!force && performance.now() - this.#lastSave < SAVE_INTERVAL) {
      this.#held = value;
      return;
    }
    try {
      if (this.#pending !== "" || written.chunks === 0) {
        const chunk = this.#pending;
        await this.#put(
          this.#chunkKey(written.generation, written.chunks),
          chunk,
        );
        written.chunks++;
        this.#pending = this.#pending.slice(chunk.length);
      }
      await this.#put(
        this.#key,
        `${JSON.stringify({ ...value, records: written })}\n`,
      );
    } catch (error) {
      throw new CliError(
        `Cannot write the checkpoint ${this.name}: ${reason(error)}`,
        { cause: error },
      );
    }
    this.#held = undefined;
    this.#lastSave = performance.now();
    const obsolete = this.#obsolete;
    if (obsolete !== undefined && obsolete !== written.generation) {
      this.#obsolete = undefined;
      // Only garbage now: what is left is deleted with the checkpoint.
      await this.#deleteUnder(`${this.#key}.entries/${obsolete}/`)
        .catch(() => {});
    }
  }

  #enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(step);
    this.#queue = run.catch(() => {});
    return run;
  }

  #chunkKey(generation: string, index: number): string {
    return `${this.#key}.entries/${generation}/${
      String(index).padStart(6, "0")
    }`;
  }

  /** The object's text, or `undefined` when there is none. */
  async #get(key: string): Promise<string | undefined> {
    try {
      const object = await this.#client.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: key }),
      );
      return await object.Body!.transformToString();
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw new CliError(
        `Cannot read s3://${this.#bucket}/${key}: ${reason(error)}`,
        { cause: error },
      );
    }
  }

  async #put(key: string, text: string): Promise<void> {
    await this.#client.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        Body: new TextEncoder().encode(text),
        ContentType: "application/json",
      }),
    );
  }

  async #exists(key: string): Promise<boolean> {
    try {
      await this.#client.send(
        new HeadObjectCommand({ Bucket: this.#bucket, Key: key }),
      );
      return true;
    } catch (error) {
      if (isMissingObject(error)) return false;
      throw error;
    }
  }

  async #list(prefix: string): Promise<string[]> {
    return (await listObjects(this.#client, this.#bucket, prefix)).map((
      object,
    ) => object.key);
  }

  /** Deletes every object under `prefix`; the first failure is thrown. */
  async #deleteUnder(prefix: string): Promise<void> {
    const failure = await deleteObjects(
      this.#client,
      this.#bucket,
      await this.#list(prefix),
    );
    if (failure !== undefined) throw new Error(failure);
  }
}

function isRecordChunks(value: unknown): value is RecordChunks {
  if (typeof value !== "object" || value === null) return false;
  const { generation, chunks } = value as Partial<RecordChunks>;
  return typeof generation === "string" && /^[0-9a-f]+$/.test(generation) &&
    Number.isSafeInteger(chunks) && chunks! >= 0;
}
