/**
 * The queue's Redis unreachable, or gone while a build waits: `zipstream
 * --queue` and `zipstream worker` say so in one line and end, instead of
 * reconnecting for ever and printing every failed attempt. A build whose
 * Redis went away still ends on Ctrl-C, says that its jobs could not be
 * taken off the queue, and leaves nothing in S3.
 *
 * Each test runs a Redis of its own, which it kills; the other tests'
 * Redis is not touched.
 */

import assert from "node:assert/strict";
import { withTempDir } from "../_readers.ts";
import { s3Endpoint, withBucket } from "../s3/_local_s3.ts";
import { CliProcess, keysUnder } from "./_queue_run.ts";

/** A port on which nothing listens. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Whether a Redis answers PING on `port`. */
async function answersPing(port: number): Promise<boolean> {
  try {
    const connection = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await connection.write(new TextEncoder().encode("PING\r\n"));
      const buffer = new Uint8Array(16);
      const read = await connection.read(buffer);
      return new TextDecoder().decode(buffer.subarray(0, read ?? 0))
        .startsWith("+PONG");
    } finally {
      connection.close();
    }
  } catch {
    return false;
  }
}

/** A Redis server of a test's own. */
interface OwnRedis {
  url: string;
  /** Stops it by its PID and waits for it to end. */
  kill: () => Promise<void>;
}

/** Runs `test` with a Redis server of its own, stopped by its PID at the end. */
async function withOwnRedis(
  test: (redis: OwnRedis) => Promise<void>,
): Promise<void> {
  await withTempDir(async (dir) => {
    const port = freePort();
    const server = new Deno.Command("redis-server", {
      args: [
        "--bind",
        "127.0.0.1",
        "--port",
        String(port),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    let ended = false;
    const kill = async () => {
      if (ended) return;
      ended = true;
      server.kill("SIGKILL");
      await server.status;
    };
    try {
      for (let i = 0; !await answersPing(port); i++) {
        if (i === 200) {
          throw new Error(`redis-server did not answer on ${port}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await test({ url: `redis://127.0.0.1:${port}`, kill });
    } finally {
      await kill();
    }
  });
}

/**
 * The process's exit status, once it has ended by itself; it is killed
 * and the test fails if it has not after `seconds`.
 */
async function endsWithin(
  process: CliProcess,
  seconds: number,
): Promise<Deno.CommandStatus> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), seconds * 1000);
  });
  const status = await Promise.race([process.exited(), late]);
  clearTimeout(timer);
  if (status === "late") {
    process.kill();
    await process.exited();
    throw new Error(
      `expected the command to end within ${seconds} s but it still ran; it printed:\n${
        process.lines.join("\n")
      }`,
    );
  }
  return status;
}

/**
 * Kills the Redis `process` uses, and checks that it says so, and says
 * each thing once over the next 5 s, while BullMQ retries every second or
 * two.
 */
async function killAndHearOnce(
  redis: OwnRedis,
  process: CliProcess,
): Promise<void> {
  await redis.kill();
  await process.waitFor(/BullMQ keeps reconnecting/);
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const said = process.lines.filter((line) =>
    line.includes(`the queue's Redis at ${redis.url}`)
  );
  assert.deepEqual(said, [...new Set(said)], said.join("\n"));
}

Deno.test("zipstream --queue and zipstream worker say in one line that the queue's Redis cannot be reached, and end", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.txt`, "a");
    const port = freePort();
    const url = `redis://127.0.0.1:${port}`;
    const reason =
      `Cannot reach the queue's Redis at ${url}: connect ECONNREFUSED 127.0.0.1:${port}; start redis-server there, or name another with --queue`;
    const build = new CliProcess([
      "--queue",
      url,
      `${dir}/a.txt`,
      "-o",
      "s3://any-bucket/a.zip",
      "--endpoint",
      s3Endpoint(),
    ]);
    assert.equal((await endsWithin(build, 60)).code, 1);
    assert.deepEqual(build.lines, [`zipstream: ${reason}`]);
    const worker = new CliProcess([
      "worker",
      "--queue",
      url,
      "--endpoint",
      s3Endpoint(),
    ]);
    assert.equal((await endsWithin(worker, 60)).code, 1);
    assert.deepEqual(worker.lines, [`zipstream worker: ${reason}`]);
  });
});

Deno.test("zipstream --queue whose Redis goes away says so once, and on Ctrl-C says its jobs could not be taken off the queue and leaves nothing in S3", async () => {
  await withOwnRedis(async (redis) => {
    await withBucket(async (client, bucket) => {
      await withTempDir(async (dir) => {
        for (const name of ["a.log", "b.log"]) {
          await Deno.writeTextFile(`${dir}/${name}`, `${name}\n`.repeat(9000));
        }
        const build = new CliProcess([
          "--queue",
          redis.url,
          "--segment-size",
          "50KiB",
          `${dir}/a.log`,
          `${dir}/b.log`,
          "-o",
          `s3://${bucket}/out.zip`,
          "--endpoint",
          s3Endpoint(),
        ]);
        try {
          // No worker runs: the build waits for its two segments.
          await build.waitFor(/2 segments of build \w+ queued/);
          await killAndHearOnce(redis, build);
          build.child.kill("SIGINT");
          const status = await endsWithin(build, 60);
          assert.equal(status.code, 130, build.lines.join("\n"));
          assert.deepEqual(build.lines.slice(-2), [
            "zipstream: interrupted; taking the build's jobs off the queue and removing its segments; press Ctrl-C again to exit at once",
            `zipstream: Interrupted by SIGINT; nothing was stored: the segments' jobs could not be taken off the queue, as its Redis did not answer in 10 s (a worker that takes one later writes its segment, which zipstream cleanup s3://${bucket}/out.zip.zipstream-segments/ removes) and the segments written were removed`,
          ]);
          assert.deepEqual(await keysUnder(client, bucket, "out.zip"), []);
        } finally {
          build.kill();
        }
      });
    });
  });
});

Deno.test("zipstream worker whose Redis goes away says so once, and ends on SIGTERM", async () => {
  await withOwnRedis(async (redis) => {
    const worker = new CliProcess([
      "worker",
      "--queue",
      redis.url,
      "--endpoint",
      s3Endpoint(),
    ]);
    try {
      await worker.waitFor(/waiting for segments on /);
      await killAndHearOnce(redis, worker);
      worker.child.kill("SIGTERM");
      assert.equal((await endsWithin(worker, 60)).code, 143);
    } finally {
      worker.kill();
    }
  });
});
