/**
 * Where `--resume` keeps its checkpoint and the records of the entries
 * written: a local FILE (beside FILE.entries), or S3 objects when it is
 * given as `s3://bucket/key`, for runs on machines that keep no disk
 * between them (a serverless function looping with `--max-time`).
 *
 * @module
 */

import { resolve } from "node:path";
import { reason } from "./_walk.ts";
import { isS3Uri } from "./_s3_uri.ts";
import { CliError } from "./_cli_error.ts";

/** The server an `s3://` checkpoint is on: the target's. */
export interface CheckpointServer {
  endpoint: string | undefined;
  region: string | undefined;
  /** `--profile`: the SDK profile of credentials. */
  profile?: string | undefined;
}

/**
 * The checkpoint's text and the entry records' text, read and written.
 * Records are appended between saves; a save makes them durable before it
 * replaces the checkpoint, so a checkpoint never names bytes whose records
 * are missing.
 */
export interface CheckpointStore {
  /** As given to `--resume`: FILE or `s3://bucket/key`. */
  readonly name: string;
  /** What the journal records to find it again: FILE's absolute path, or the URI. */
  readonly recordedName: string;
  /** The checkpoint as saved, or `undefined` when there is none. */
  readCheckpoint(): Promise<string | undefined>;
  /** The records as saved with the checkpoint read; `""` when none. */
  readRecords(): Promise<string>;
  /** Starts the records over with `kept`, the text of those a resumed run keeps. */
  startRecords(kept: string): Promise<void>;
  /** Adds records that the next save makes durable. */
  appendRecords(text: string): void;
  /**
   * Makes the records durable, then replaces the checkpoint with `value`.
   * A store may hold a save back (S3 saves at most every few seconds)
   * unless it is `urgent`; {@linkcode CheckpointStore.flush} saves what it
   * holds.
   */
  save(value: object, urgent?: boolean): Promise<void>;
  /** Saves the checkpoint a save held back, if any. */
  flush(): Promise<void>;
  /** Removes the checkpoint and records; resolves to why some are left, or `undefined`. */
  remove(): Promise<string | undefined>;
  /** Stops writing; what was not saved is lost. */
  close(): void;
}

/** The store `--resume NAME` names: `s3://bucket/key`, or else a local file. */
export async function openCheckpointStore(
  name: string,
  server: CheckpointServer,
): Promise<CheckpointStore> {
  if (!isS3Uri(name)) return new FileCheckpointStore(name);
  // Loaded only for an S3 checkpoint, like the SDK it needs.
  const { S3CheckpointStore } = await import("./_s3_checkpoint_store.ts");
  return await S3CheckpointStore.open(name, server);
}

/**
 * FILE and FILE.entries. FILE is replaced atomically (written to FILE.tmp,
 * synced, renamed) at every save; records go to FILE.entries in appends,
 * synced before FILE is replaced.
 */
export class FileCheckpointStore implements CheckpointStore {
  readonly name: string;
  readonly recordedName: string;
  #entries: Deno.FsFile | undefined;

  constructor(path: string) {
    this.name = path;
    this.recordedName = resolve(path);
  }

  async readCheckpoint(): Promise<string | undefined> {
    try {
      return await Deno.readTextFile(this.name);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw new CliError(`Cannot read ${this.name}: ${reason(error)}`, {
        cause: error,
      });
    }
  }

  async readRecords(): Promise<string> {
    const path = `${this.name}.entries`;
    try {
      return await Deno.readTextFile(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return "";
      throw new CliError(`Cannot read ${path}: ${reason(error)}`, {
        cause: error,
      });
    }
  }

  async startRecords(kept: string): Promise<void> {
    const path = `${this.name}.entries`;
    try {
      await Deno.writeTextFile(`${path}.tmp`, kept);
      await Deno.rename(`${path}.tmp`, path);
      this.#entries = await Deno.open(path, { append: true });
    } catch (error) {
      throw new CliError(`Cannot write ${path}: ${reason(error)}`, {
        cause: error,
      });
    }
  }

  appendRecords(text: string): void {
    const bytes = new TextEncoder().encode(text);
    for (let written = 0; written < bytes.length;) {
      written += this.#entries!.writeSync(bytes.subarray(written));
    }
  }

  async save(value: object): Promise<void> {
    await this.#entries?.syncData();
    const temporary = `${this.name}.tmp`;
    await Deno.writeTextFile(temporary, `${JSON.stringify(value)}\n`);
    using file = await Deno.open(temporary, { write: true });
    await file.syncData();
    await Deno.rename(temporary, this.name);
  }

  async flush(): Promise<void> {
    // Every save is made at once.
  }

  async remove(): Promise<string | undefined> {
    this.close();
    const left = await Deno.remove(this.name).then(
      () => undefined,
      (error) =>
        error instanceof Deno.errors.NotFound ? undefined : reason(error),
    );
    await Deno.remove(`${this.name}.entries`).catch(() => {});
    return left;
  }

  close(): void {
    try {
      this.#entries?.close();
    } catch {
      // Already closed.
    }
    this.#entries = undefined;
  }
}
