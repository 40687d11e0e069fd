/**
 * Running `zipstream --queue` and `zipstream worker` processes in the
 * queue's tests, on the local Redis and S3 servers.
 *
 * @module
 */

import {
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from "@aws-sdk/client-s3";
import { LOCAL_S3_ENV } from "../s3/_local_s3.ts";
import { cliCommand, signalAndWait } from "./_cli.ts";

/** The Redis server scripts/with_s3_server.sh started. */
export function redisUrl(): string {
  const url = Deno.env.get("ZIPSTREAM_REDIS_URL");
  if (url === undefined) {
    throw new Error(
      "ZIPSTREAM_REDIS_URL is not set: run the tests with scripts/with_s3_server.sh, which starts Redis",
    );
  }
  return url;
}

/** A running `zipstream`, its standard error collected line by line. */
export class CliProcess {
  readonly child: Deno.ChildProcess;
  readonly lines: string[] = [];
  readonly #done: Promise<void>;

  constructor(args: string[]) {
    const child = new Deno.Command(Deno.execPath(), {
      args: cliCommand(args),
      env: LOCAL_S3_ENV,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.child = child;
    this.#done = (async () => {
      const lines = child.stderr.pipeThrough(new TextDecoderStream());
      let rest = "";
      for await (const text of lines) {
        const parts = (rest + text).split("\n");
        rest = parts.pop()!;
        this.lines.push(...parts);
      }
    })();
  }

  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.lines.some((line) => pattern.test(line))) {
      if (Date.now() > until) {
        throw new Error(
          `expected a worker line matching ${pattern} but it printed:\n${
            this.lines.join("\n")
          }`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async stop(signal: Deno.Signal): Promise<Deno.CommandStatus> {
    const status = await signalAndWait(this.child, signal);
    await this.#done;
    return status;
  }

  async exited(): Promise<Deno.CommandStatus> {
    const status = await this.child.status;
    await this.#done;
    return status;
  }

  kill(): void {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already ended.
    }
  }
}

/** `zipstream worker` on the queue and the local S3 server. */
export function startWorker(queue: string, endpoint: string): CliProcess {
  return new CliProcess([
    "worker",
    "--queue",
    queue,
    "--endpoint",
    endpoint,
    "--lock-time",
    "3",
    "--workers",
    "0",
  ]);
}

export async function keysUnder(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<string[]> {
  const objects = await client.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }),
  );
  const uploads = await client.send(
    new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }),
  );
  return [
    ...(objects.Contents ?? []).map((object) => object.Key ?? ""),
    ...(uploads.Uploads ?? []).map((upload) => `upload of ${upload.Key}`),
  ];
}
