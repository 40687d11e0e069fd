/**
 * Ctrl-C and SIGTERM. The first signal says at once what the run is doing
 * about it (removing the incomplete file, aborting the upload) and aborts
 * the run's signal, so that the target is cleaned up before the process
 * exits with 128 + the signal number. A second signal exits at once, saying
 * what is left behind and how to clean it up; a multipart upload stays in
 * the journal for `zipstream cleanup`.
 *
 * What the lines say comes from the run's current {@linkcode Activity},
 * which the run updates as it goes (the upload's ID becomes known only once
 * CreateMultipartUpload has answered).
 *
 * @module
 */

import { CliError } from "./_cli_error.ts";
import { writeLine } from "./_progress.ts";

const SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;

/** The signals the CLI handles. */
export type HandledSignal = keyof typeof SIGNALS;

/** A multipart upload the run has created or resumed. */
export interface CurrentUpload {
  uploadId: string;
  /** Whether the journal holds it yet, for `zipstream cleanup` to find. */
  recorded: boolean;
}

/** What the run is doing, for the lines a signal prints. */
export type Activity =
  /** Nothing written yet: walking, listing, or cleaning up earlier uploads. */
  | { kind: "preparing" }
  /** Writing where nothing can be taken back: standard output, a device, a pipe. */
  | { kind: "writing"; target: string }
  /** Writing a regular file this run created. */
  | { kind: "file"; path: string }
  /** Uploading to S3; `upload` once the multipart upload exists. */
  | {
    kind: "upload";
    target: string;
    resumeFile: string | undefined;
    upload: CurrentUpload | undefined;
  }
  /** `zipstream cleanup`: aborting uploads. */
  | { kind: "cleanup" }
  /**
   * `--queue`: segment jobs on the queue, written by workers under
   * `segments`, then joined into `target`.
   */
  | { kind: "queue"; target: string; segments: string };

/** Listens for SIGINT and SIGTERM until disposed; a second signal exits at once. */
export class Interrupt implements Disposable {
  #controller = new AbortController();
  #listeners: [Deno.Signal, () => void][] = [];
  #activity: Activity = { kind: "preparing" };
  #beforeLine: () => void = () => {};

  constructor() {
    for (const [name, exitCode] of Object.entries(SIGNALS)) {
      const signal = name as HandledSignal;
      const listener = () => {
        if (this.#controller.signal.aborted) {
          writeLine(leftLine(this.#activity));
          Deno.exit(exitCode);
        }
        this.#beforeLine();
        writeLine(interruptedLine(signal, this.#activity));
        this.#controller.abort(
          new CliError(`Interrupted by ${signal}`, { exitCode }),
        );
      };
      try {
        Deno.addSignalListener(signal, listener);
        this.#listeners.push([signal, listener]);
      } catch {
        // Windows has no SIGTERM; Ctrl-C still works there.
      }
    }
  }

  /** Aborted with a {@linkcode CliError} carrying the exit code when a signal arrives. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The interruption, if one happened. */
  get reason(): CliError | undefined {
    return this.#controller.signal.aborted
      ? this.#controller.signal.reason as CliError
      : undefined;
  }

  /** What the run is doing now. */
  set activity(activity: Activity) {
    this.#activity = activity;
  }

  /** Runs before the first signal's line, e.g. to take a progress bar off the line. */
  set beforeLine(hook: () => void) {
    this.#beforeLine = hook;
  }

  [Symbol.dispose](): void {
    for (const [signal, listener] of this.#listeners) {
      Deno.removeSignalListener(signal, listener);
    }
    this.#listeners = [];
  }
}

/**
 * The line the first signal prints: what the run does about it now, and
 * what a second signal would do instead.
 */
export function interruptedLine(
  signal: HandledSignal,
  activity: Activity,
): string {
  const [what, again] = signal === "SIGINT"
    ? ["interrupted", "press Ctrl-C again"]
    : ["terminated", "signal again"];
  const exit = `${again} to exit at once`;
  switch (activity.kind) {
    case "preparing":
      return `zipstream: ${what}; stopping before anything is written; ${exit}`;
    case "writing":
      return `zipstream: ${what}; stopping the archive to ${activity.target}; ${exit}`;
    case "file":
      return `zipstream: ${what}; removing the incomplete ${activity.path}; ${again} to leave it`;
    case "cleanup":
      return `zipstream: ${what}; finishing the abort in progress, if any; ${exit}`;
    case "queue":
      return `zipstream: ${what}; taking the build's jobs off the queue and removing its segments; ${exit}`;
    case "upload": {
      const { target, resumeFile, upload } = activity;
      if (upload === undefined) {
        return `zipstream: ${what}; stopping the upload to ${target}; ${exit}`;
      }
      const named = `the upload to ${target} (upload ID ${upload.uploadId})`;
      return resumeFile === undefined
        ? `zipstream: ${what}; aborting ${named}; ${again} to leave it pending`
        : `zipstream: ${what}; keeping ${named} for --resume ${resumeFile}; ${exit}`;
    }
  }
}

/** The line a second signal prints as the process exits: what is left, and how to clean it up. */
export function leftLine(activity: Activity): string {
  switch (activity.kind) {
    case "preparing":
      return "zipstream: exited at once; nothing was written";
    case "cleanup":
      return 'zipstream: exited at once; uploads not yet aborted stay in the journal for "zipstream cleanup"';
    case "writing":
      return `zipstream: exited at once; the archive to ${activity.target} is incomplete`;
    case "queue":
      return `zipstream: exited at once; the build's jobs may still be on the queue, and its segments under ${activity.segments}: "zipstream cleanup ${activity.target} --older-than 1s" removes the segments and aborts the archive's upload, if any`;
    case "file":
      return `zipstream: exited at once; ${activity.path} may be left incomplete: delete it`;
    case "upload": {
      const { target, resumeFile, upload } = activity;
      if (upload === undefined) {
        return `zipstream: exited at once while the upload to ${target} was starting; if a multipart upload was created, "zipstream cleanup ${target} --older-than 1s" aborts it`;
      }
      const left =
        `zipstream: left upload ID ${upload.uploadId} of ${target} pending`;
      if (resumeFile !== undefined) {
        return `${left} for --resume ${resumeFile}: run the same command again to resume it, or discard it with zipstream --abort-resume ${resumeFile}`;
      }
      return upload.recorded
        ? `${left}; run "zipstream cleanup" to abort it`
        : `${left}; run "zipstream cleanup ${target} --older-than 1s" to abort it`;
    }
  }
}
