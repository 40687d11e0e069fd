/**
 * Ctrl-C and SIGTERM: turned into an abort of the running archive, so that the
 * target is cleaned up (partial file removed, multipart upload aborted) before
 * the process exits with 128 + the signal number.
 *
 * @module
 */

import { CliError } from "./_cli_error.ts";

const SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;

/** Listens for SIGINT and SIGTERM until disposed; a second signal exits at once. */
export class Interrupt implements Disposable {
  #controller = new AbortController();
  #listeners: [Deno.Signal, () => void][] = [];

  constructor() {
    for (const [name, exitCode] of Object.entries(SIGNALS)) {
      const signal = name as Deno.Signal;
      const listener = () => {
        if (this.#controller.signal.aborted) Deno.exit(exitCode);
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

  [Symbol.dispose](): void {
    for (const [signal, listener] of this.#listeners) {
      Deno.removeSignalListener(signal, listener);
    }
    this.#listeners = [];
  }
}
