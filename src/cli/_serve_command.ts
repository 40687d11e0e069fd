/**
 * `zipstream serve PATH… | s3://bucket/prefix/ | --manifest FILE`: plans a
 * stored archive and serves it over HTTP with `serveZip` (ranges, HEAD,
 * ETag, conditional requests) until SIGINT or SIGTERM.
 *
 * @module
 */

import type { ZipPlan } from "../zip/zip_plan.ts";
import { serveZip } from "../http/serve_zip.ts";
import { CliError, messageOf } from "./_cli_error.ts";
import { formatCount } from "./_format.ts";
import { commandArgs, makePlan, reportError } from "./_plan_command.ts";
import { PlanS3 } from "./_plan_s3.ts";
import { writeLine } from "./_progress.ts";
import { reason } from "./_walk.ts";

const SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * `zipstream serve`: resolves to the exit code once the server has stopped:
 * 130 / 143 after SIGINT / SIGTERM, 1 when the archive could not be planned
 * or the server could not listen (the line before says why), 2 for a usage
 * error.
 */
export async function runServe(args: readonly string[]): Promise<number> {
  const parsed = await commandArgs("serve", args);
  if (typeof parsed === "number") return parsed;
  using stop = new StopSignals();
  try {
    using s3 = new PlanS3(parsed);
    const { plan } = await makePlan(parsed, s3);
    const { host, port, name, quiet } = parsed;
    const server = listen({
      hostname: host,
      port,
      signal: stop.signal,
      onListen: ({ port: bound }) => {
        stop.serving();
        const origin = `http://${
          host.includes(":") ? `[${host}]` : host
        }:${bound}`;
        writeStdout(
          `Serving ${name} (${formatCount(plan.entries.length)} entries, ${
            formatCount(plan.size)
          } bytes) at ${origin}/${encodeURIComponent(name)}\n`,
        );
      },
      onError: (error) => {
        writeLine(`zipstream: ${messageOf(error)}`);
        return new Response("Internal server error\n", { status: 500 });
      },
    }, (request) => answer(request, plan, name, stop.signal));
    await server.finished;
    if (!quiet) writeLine(`zipstream: stopped serving ${name}`);
    return stop.exitCode ?? 0;
  } catch (error) {
    return stop.exitCode ?? reportError(error);
  }
}

/** The archive at `/` and `/NAME`, for GET and HEAD (serveZip answers other methods); 404 elsewhere. */
async function answer(
  request: Request,
  plan: ZipPlan,
  name: string,
  stop: AbortSignal,
): Promise<Response> {
  const path = new URL(request.url).pathname;
  if (path !== "/" && decodedPath(path) !== `/${name}`) {
    return new Response(`Not found: the archive is at /${name}\n`, {
      status: 404,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  }
  const response = await serveZip(request, plan, { filename: name });
  if (response.body === null) return response;
  const what = `${request.method} ${path}${
    request.headers.has("range") ? ` (${request.headers.get("range")})` : ""
  }`;
  return new Response(
    watched(response.body, stop, (error) => {
      // Printed even with --quiet: a client got less than it was promised.
      writeLine(`zipstream: cut the response to ${what}: ${messageOf(error)}`);
    }),
    response,
  );
}

/** The path as the client meant it: clients percent-encode names in their own ways. */
function decodedPath(path: string): string | undefined {
  try {
    return decodeURIComponent(path);
  } catch {
    return undefined;
  }
}

/**
 * `Deno.serve`, failing with one line naming the address when it cannot
 * listen there.
 *
 * @throws {CliError} naming the host and port, and why
 */
function listen(
  options: Deno.ServeTcpOptions,
  handler: Deno.ServeHandler,
): Deno.HttpServer {
  try {
    return Deno.serve(options, handler);
  } catch (error) {
    throw new CliError(
      `Cannot listen on ${options.hostname}:${options.port}: ${reason(error)}`,
      { cause: error },
    );
  }
}

/**
 * The body as it is, except that it fails when the server stops (so that a
 * download in progress does not hold the shutdown) and tells `onError` why
 * it failed, since the server itself only drops the connection.
 */
function watched(
  body: ReadableStream<Uint8Array>,
  stop: AbortSignal,
  onError: (error: unknown) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let onStop: (() => void) | undefined;
  const release = () => {
    if (onStop !== undefined) stop.removeEventListener("abort", onStop);
  };
  return new ReadableStream({
    start(controller) {
      onStop = () => {
        controller.error(stop.reason);
        reader.cancel(stop.reason).catch(() => {});
      };
      stop.addEventListener("abort", onStop, { once: true });
    },
    async pull(controller) {
      let read: ReadableStreamReadResult<Uint8Array>;
      try {
        read = await reader.read();
      } catch (error) {
        release();
        if (!stop.aborted) onError(error);
        throw error;
      }
      if (read.done) {
        release();
        controller.close();
      } else {
        controller.enqueue(read.value);
      }
    },
    cancel(reason) {
      release();
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/**
 * SIGINT and SIGTERM: once the server listens, the first stops it (cutting
 * downloads in progress) and sets the exit code, 128 + the signal's
 * number, and a second exits at once; before, while the archive is planned,
 * the first exits at once, since nothing is served yet.
 */
class StopSignals implements Disposable {
  readonly #controller = new AbortController();
  #exitCode: number | undefined;
  #serving = false;
  #listeners: [Deno.Signal, () => void][] = [];

  constructor() {
    for (const [signal, exitCode] of Object.entries(SIGNALS)) {
      const listener = () => {
        const what = signal === "SIGINT" ? "interrupted" : "terminated";
        if (!this.#serving) {
          writeLine(`zipstream: ${what} before serving anything`);
          Deno.exit(exitCode);
        }
        if (this.#exitCode !== undefined) Deno.exit(exitCode);
        this.#exitCode = exitCode;
        writeLine(
          `zipstream: ${what}; stopping the server, cutting downloads in progress; signal again to exit at once`,
        );
        this.#controller.abort(new Error(`Stopped by ${signal}`));
      };
      try {
        Deno.addSignalListener(signal as Deno.Signal, listener);
        this.#listeners.push([signal as Deno.Signal, listener]);
      } catch {
        // Windows has no SIGTERM; Ctrl-C still works there.
      }
    }
  }

  /** Aborted by the first signal. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** 130 or 143 once a signal came. */
  get exitCode(): number | undefined {
    return this.#exitCode;
  }

  /** The server listens: a signal now stops it rather than the process. */
  serving(): void {
    this.#serving = true;
  }

  [Symbol.dispose](): void {
    for (const [signal, listener] of this.#listeners) {
      Deno.removeSignalListener(signal, listener);
    }
    this.#listeners = [];
  }
}

function writeStdout(text: string): void {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) {
    written += Deno.stdout.writeSync(bytes.subarray(written));
  }
}
