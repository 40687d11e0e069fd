/**
 * The journal of multipart uploads: one small JSON file per upload in
 * `<state>/uploads/`, written once CreateMultipartUpload has answered and
 * before the first part is sent, removed once the upload is completed or
 * confirmed gone. An upload that a crash, SIGKILL or a second Ctrl-C left
 * pending is found there by the next run, or by `zipstream cleanup`, and
 * aborted, instead of holding billed parts until someone notices.
 *
 * `<state>` is `$ZIPSTREAM_STATE_DIR`, else `$XDG_STATE_HOME/zipstream`, else
 * `~/.local/state/zipstream`. A record:
 *
 * ```json
 * { "zipstream": "upload", "version": 1, "uploadId": "…", "bucket": "b",
 *   "key": "k", "endpoint": "http://127.0.0.1:8080/" | null, "region": "us-east-1",
 *   "profile": "work" | null, "pid": 4242, "host": "build-7",
 *   "started": "2026-05-01T10:00:00.000Z", "resumeFile": "/home/me/up.resume" | null }
 * ```
 *
 * `profile` is the run's `--profile`, else its `$AWS_PROFILE`, so that the
 * upload is aborted with the credentials that created it. A record written before zipstream kept it
 * has no `profile`, and reads as `null`: the SDK's default credentials.
 *
 * Whether the process that wrote a record is still at work is told by a
 * lock, not by its process ID alone: the writer holds an exclusive `flock`
 * on its record from before the record appears under its name until after
 * it is removed, and the kernel drops the lock when the process ends,
 * however it ends. A process ID can be taken by an unrelated process once
 * its owner is gone; a lock cannot outlive its holder. The process ID and
 * host name serve the messages, and the host name keeps a run from judging
 * records that another machine wrote into a shared home directory.
 *
 * One file per upload, written to a temporary name and renamed, so that
 * concurrent runs never rewrite each other's records and a reader never
 * sees half a record under its final name.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { isAbsolute, join } from "node:path";
import { CliError } from "./_cli_error.ts";
import { reason } from "./_walk.ts";

const FORMAT = "upload";
const VERSION = 1;
/** A temporary record older than this whose writer is gone was cut short by a crash. */
const STALE_TEMPORARY_MS = 60_000;

/** What the journal keeps of one multipart upload. */
export interface UploadRecord {
  uploadId: string;
  bucket: string;
  key: string;
  /** The server's URL, or `null` for the SDK's default (AWS). */
  endpoint: string | null;
  /** The region the client signed for, or `null` when none was resolved. */
  region: string | null;
  /** The SDK profile of the credentials (`--profile`, else `$AWS_PROFILE`), or `null` for the default chain. */
  profile: string | null;
  /** The process that created the upload. */
  pid: number;
  /** The machine that process ran on. */
  host: string;
  /** When the record was written (ISO 8601). */
  started: string;
  /** With `--resume FILE`: FILE's absolute path; the upload is kept while FILE exists. */
  resumeFile: string | null;
}

/** The fields of a record that describe the upload rather than the process. */
export type UploadFields = Pick<
  UploadRecord,
  | "uploadId"
  | "bucket"
  | "key"
  | "endpoint"
  | "region"
  | "profile"
  | "resumeFile"
>;

/** A record found in the journal, and what the journal can tell of its process. */
export type FoundRecord =
  /** Its process is gone: the caller holds the record's lock and decides its fate. */
  | { state: "abandoned"; record: UploadRecord; entry: JournalEntry }
  /** A live process (a run at work, or another cleanup) holds its lock. */
  | { state: "in-use"; record: UploadRecord }
  /** Written on another machine: its process cannot be judged from here. */
  | { state: "elsewhere"; record: UploadRecord }
  /** Not a record this version can read; left as it is. */
  | { state: "unreadable"; path: string; reason: string }
  /** A record cut short by a crash while it was written, now deleted. */
  | { state: "removed-partial"; path: string };

/**
 * The journal directory, `<state>/uploads`, from the environment.
 *
 * @param env Reads an environment variable; `Deno.env.get` by default.
 * @throws {CliError} No variable names a place for it.
 */
export function journalDirectory(
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): string {
  // The XDG base directory rules: an empty variable counts as unset, and a
  // relative XDG_STATE_HOME is ignored.
  const read = (name: string) => env(name) || undefined;
  const explicit = read("ZIPSTREAM_STATE_DIR");
  if (explicit !== undefined) return join(explicit, "uploads");
  const xdg = read("XDG_STATE_HOME");
  if (xdg !== undefined && isAbsolute(xdg)) {
    return join(xdg, "zipstream", "uploads");
  }
  const home = read("HOME") ?? read("USERPROFILE");
  if (home === undefined) {
    throw new CliError(
      "Cannot find a directory for the journal of uploads: expected ZIPSTREAM_STATE_DIR, XDG_STATE_HOME or HOME to be set",
    );
  }
  return join(home, ".local", "state", "zipstream", "uploads");
}

/** The uploads recorded in one directory. */
export class Journal {
  /** The directory holding one file per upload. */
  readonly directory: string;

  constructor(directory: string) {
    this.directory = directory;
  }

  /**
   * Records an upload this process works on. The returned entry holds the
   * record's lock until it is removed or released.
   *
   * @throws {CliError} The record cannot be written.
   */
  async record(fields: UploadFields): Promise<JournalEntry> {
    const record: UploadRecord = {
      ...fields,
      pid: Deno.pid,
      host: Deno.hostname(),
      started: new Date().toISOString(),
    };
    const name = recordName(record);
    const path = join(this.directory, `${name}.json`);
    const temporary = join(this.directory, `.${name}.${Deno.pid}.tmp`);
    let file: Deno.FsFile | undefined;
    try {
      await Deno.mkdir(this.directory, { recursive: true });
      file = await Deno.open(temporary, {
        read: true,
        write: true,
        createNew: true,
      });
      // Locked before a byte is written, so that a reader that finds it
      // free knows its writer is gone.
      await file.lock(true);
      await writeAll(
        file,
        `${
          JSON.stringify({ zipstream: FORMAT, version: VERSION, ...record })
        }\n`,
      );
      await file.syncData();
      // Replaces the record an earlier run of a resumed upload left.
      await Deno.rename(temporary, path);
    } catch (error) {
      file?.close();
      await Deno.remove(temporary).catch(() => {});
      throw new CliError(
        `Cannot record upload ID ${record.uploadId} of s3://${record.bucket}/${record.key} in the journal ${this.directory}: ${
          reason(error)
        }`,
        { cause: error },
      );
    }
    return new JournalEntry(path, record, file);
  }

  /**
   * Every record, with what can be told of its process. An abandoned record
   * comes locked: the caller must remove or release its entry.
   *
   * @throws {CliError} The directory cannot be read.
   */
  async *records(): AsyncGenerator<FoundRecord> {
    let names: string[];
    try {
      names = (await Array.fromAsync(Deno.readDir(this.directory)))
        .filter((entry) => entry.isFile)
        .map((entry) => entry.name)
        .sort();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw new CliError(
        `Cannot read the journal of uploads ${this.directory}: ${
          reason(error)
        }`,
        { cause: error },
      );
    }
    for (const name of names) {
      const temporary = name.endsWith(".tmp");
      if (!temporary && !name.endsWith(".json")) continue;
      const found = await examine(join(this.directory, name), temporary);
      if (found !== undefined) yield found;
    }
  }

  /**
   * Removes the abandoned records of one upload, once it is known to be
   * gone (a record of a live process is left to that process).
   */
  async forget(
    upload: Pick<UploadRecord, "bucket" | "key" | "uploadId">,
  ): Promise<void> {
    for await (const found of this.records()) {
      if (found.state !== "abandoned") continue;
      const { record, entry } = found;
      if (
        record.bucket === upload.bucket && record.key === upload.key &&
        record.uploadId === upload.uploadId
      ) await entry.remove();
      else entry.release();
    }
  }
}

/** A record held by this process: the lock on it says its process is alive. */
export class JournalEntry {
  /** What the record says. */
  readonly record: UploadRecord;
  #path: string;
  #file: Deno.FsFile | undefined;

  /** Use {@linkcode Journal.record} or {@linkcode Journal.records}. */
  constructor(path: string, record: UploadRecord, file: Deno.FsFile) {
    this.#path = path;
    this.record = record;
    this.#file = file;
  }

  /**
   * Deletes the record (its upload is completed or gone), then lets go of
   * the lock, so that no one finds it free while it is still there.
   *
   * @throws {CliError} The record cannot be deleted.
   */
  async remove(): Promise<void> {
    try {
      await Deno.remove(this.#path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        this.release();
        throw new CliError(
          `Cannot remove the journal record ${this.#path}: ${reason(error)}`,
          { cause: error },
        );
      }
    }
    this.release();
  }

  /** Keeps the record for a later cleanup and lets go of its lock. */
  release(): void {
    this.#file?.close();
    this.#file = undefined;
  }
}

/** The file name of an upload's record: one per upload, whatever the endpoint. */
function recordName(record: UploadRecord): string {
  return createHash("sha256")
    .update(JSON.stringify([record.bucket, record.key, record.uploadId]))
    .digest("hex")
    .slice(0, 32);
}

/** Reads one record and tells whether its writer is alive, by its lock. */
async function examine(
  path: string,
  temporary: boolean,
): Promise<FoundRecord | undefined> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    // Removed by its owner or another cleanup since the directory was read.
    if (error instanceof Deno.errors.NotFound) return undefined;
    return { state: "unreadable", path, reason: reason(error) };
  }
  let keep = false;
  try {
    const text = await Deno.readTextFile(path);
    const parsed = parseRecord(text);
    if (parsed.record !== undefined && parsed.record.host !== Deno.hostname()) {
      return { state: "elsewhere", record: parsed.record };
    }
    const free = await file.tryLock(true);
    if (!free) {
      return parsed.record === undefined
        ? undefined // Being written: it is complete once renamed.
        : { state: "in-use", record: parsed.record };
    }
    // Locked now; its owner may have removed or replaced it in between.
    const [held, named] = await Promise.all([
      file.stat(),
      Deno.stat(path).catch(() => undefined),
    ]);
    if (named === undefined || named.ino !== held.ino) return undefined;
    const reread = parseRecord(await Deno.readTextFile(path));
    if (reread.record === undefined) {
      const age = Date.now() - (held.mtime?.getTime() ?? 0);
      if (temporary && age > STALE_TEMPORARY_MS) {
        // "removed" only once the removal succeeded.
        try {
          await Deno.remove(path);
        } catch (error) {
          return {
            state: "unreadable",
            path,
            reason: `${reread.reason}; could not remove it: ${reason(error)}`,
          };
        }
        return { state: "removed-partial", path };
      }
      return temporary
        ? undefined
        : { state: "unreadable", path, reason: reread.reason };
    }
    keep = true;
    return {
      state: "abandoned",
      record: reread.record,
      entry: new JournalEntry(path, reread.record, file),
    };
  } catch (error) {
    return { state: "unreadable", path, reason: reason(error) };
  } finally {
    if (!keep) file.close();
  }
}

function parseRecord(
  text: string,
): { record: UploadRecord; reason?: undefined } | {
  record?: undefined;
  reason: string;
} {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { reason: `not JSON (${reason(error)})` };
  }
  if (
    typeof parsed !== "object" || parsed === null ||
    parsed.zipstream !== FORMAT || parsed.version !== VERSION
  ) {
    return {
      reason: `expected a zipstream upload record of version ${VERSION}`,
    };
  }
  // Written before the profile was recorded: its upload used the default chain.
  const value: Record<string, unknown> = { profile: null, ...parsed };
  const strings = ["uploadId", "bucket", "key", "host", "started"] as const;
  const nullable = ["endpoint", "region", "profile", "resumeFile"] as const;
  const bad = [
    ...strings.filter((name) =>
      typeof value[name] !== "string" || value[name] === ""
    ),
    ...nullable.filter((name) =>
      value[name] !== null && typeof value[name] !== "string"
    ),
    ...(Number.isSafeInteger(value.pid) ? [] : ["pid"]),
  ];
  if (bad.length > 0) {
    return { reason: `invalid or missing ${bad.join(", ")}` };
  }
  const { zipstream: _format, version: _version, ...record } = value;
  return { record: record as unknown as UploadRecord };
}

async function writeAll(file: Deno.FsFile, text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  for (let written = 0; written < bytes.length;) {
    written += await file.write(bytes.subarray(written));
  }
}
