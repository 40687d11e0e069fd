/**
 * `zipstream -e`: where the password comes from (a file, the environment,
 * the terminal asked twice without echo), what 7-Zip makes of the archive,
 * and that the password shows nowhere: not in the output, the verbose
 * lines, errors, the journal of an upload, nor the checkpoint of a
 * resumable one, which resumes encrypted with the first run's salt key.
 */

import assert from "node:assert/strict";
import { withTempDir } from "../_readers.ts";
import {
  downloadObject,
  LOCAL_S3_ENV,
  pendingUploads,
  s3Endpoint,
  withBucket,
} from "../s3/_local_s3.ts";
import { FaultProxy, isUploadPartAfter } from "../s3/_fault_proxy.ts";
import { pseudoRandom } from "../_data.ts";
import {
  cliCommand,
  makeTree,
  runCli,
  signalAndWait,
  type TreeNode,
  waitUntil,
  withChild,
} from "./_cli.ts";
import { extractAll } from "../zip/_aes_readers.ts";

const PASSWORD = "Tr0ub4dor&3 ünïcode";
const PTY_PROMPT = new URL("./_pty_prompt.py", import.meta.url).pathname;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const TREE: TreeNode[] = [
  { kind: "dir", path: "site/assets" },
  { kind: "file", path: "site/index.html", data: "<h1>Hello</h1>\n" },
  {
    kind: "file",
    path: "site/assets/app.js",
    data: "console.log('hi');\n".repeat(500),
  },
];
const FILES = new Map([
  ["site/index.html", encoder.encode("<h1>Hello</h1>\n")],
  ["site/assets/app.js", encoder.encode("console.log('hi');\n".repeat(500))],
]);

/** Asserts the archive at `path` holds the tree's files under `password`. */
async function assertOpensWith(path: string, password: string): Promise<void> {
  const files = await extractAll("7z", path, password);
  assert.deepEqual([...files.keys()].sort(), [...FILES.keys()].sort());
  for (const [name, data] of FILES) assert.deepEqual(files.get(name), data);
}

/** Asserts that `text` nowhere holds the password. */
function assertNoPassword(text: string | Uint8Array, where: string): void {
  const decoded = typeof text === "string" ? text : decoder.decode(text);
  assert.ok(!decoded.includes(PASSWORD), `the password shows in ${where}`);
}

Deno.test("zipstream -e takes the password from ZIPSTREAM_PASSWORD, and 7-Zip opens the archive with it, never seeing it printed", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    const result = await runCli(["-e", "-v", "site", "-o", "site.zip"], {
      cwd: dir,
      env: { ZIPSTREAM_PASSWORD: PASSWORD },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /adding: site\/index\.html/);
    assertNoPassword(result.stderr, "standard error");
    assertNoPassword(result.stdout, "standard output");
    await assertOpensWith(`${dir}/site.zip`, PASSWORD);
    await assert.rejects(extractAll("7z", `${dir}/site.zip`, "wrong"));
  });
});

Deno.test("zipstream --password-file takes the file's first line, without its line break, and encrypts", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    await Deno.writeTextFile(`${dir}/pass.txt`, `${PASSWORD}\r\nnot this\n`);
    const result = await runCli(
      ["--password-file", "pass.txt", "site", "-o", "-"],
      { cwd: dir },
    );
    assert.equal(result.code, 0, result.stderr);
    assertNoPassword(result.stderr, "standard error");
    assertNoPassword(result.stdout, "the archive");
    await Deno.writeFile(`${dir}/site.zip`, result.stdout);
    await assertOpensWith(`${dir}/site.zip`, PASSWORD);
  });
});

Deno.test("zipstream -e refuses to run without a password, naming the ways to give one, and writes nothing", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    const cases: [string[], Record<string, string>, string, number][] = [
      [
        ["-e", "site", "-o", "site.zip"],
        {},
        "zipstream: Cannot ask for the password: standard input is not a terminal; give --password-file FILE or set ZIPSTREAM_PASSWORD\n",
        1,
      ],
      [
        ["--password-file", "missing.txt", "site", "-o", "site.zip"],
        {},
        'zipstream: Cannot read the password file "missing.txt": no such file or directory\n',
        1,
      ],
      [
        ["--password-file", "empty.txt", "site", "-o", "site.zip"],
        {},
        'zipstream: Cannot encrypt with the password file "empty.txt": expected the password on its first line but the line is empty\n',
        1,
      ],
    ];
    await Deno.writeTextFile(`${dir}/empty.txt`, "\nsecond line\n");
    for (const [args, env, message, code] of cases) {
      const result = await runCli(args, { cwd: dir, env });
      assert.equal(result.code, code, result.stderr);
      assert.ok(
        result.stderr.startsWith(message.split("\n")[0]!),
        result.stderr,
      );
      assert.ok(result.stderr.includes(message.trimEnd()), result.stderr);
      await assert.rejects(
        Deno.stat(`${dir}/site.zip`),
        Deno.errors.NotFound,
      );
    }
  });
});

/** Runs `zipstream ARGS` with stdin and stderr on a terminal, answering prompts. */
async function runAnswering(
  args: string[],
  answers: [string, string][],
  cwd: string,
): Promise<{ code: number; screen: string }> {
  const output = await new Deno.Command("python3", {
    args: [
      PTY_PROMPT,
      JSON.stringify(answers),
      Deno.execPath(),
      ...cliCommand(args),
    ],
    cwd,
    env: { NO_COLOR: "1", TERM: "xterm" },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return { code: output.code, screen: decoder.decode(output.stdout) };
}

Deno.test("zipstream -e asks for the password twice on a terminal without echoing it", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    const { code, screen } = await runAnswering(
      ["-e", "site", "-o", "site.zip", "-q"],
      [["Password: ", PASSWORD], ["Verify password: ", PASSWORD]],
      dir,
    );
    assert.equal(code, 0, screen);
    assert.match(screen, /Password: [\r\n]+Verify password: /);
    assertNoPassword(screen, "the terminal");
    await assertOpensWith(`${dir}/site.zip`, PASSWORD);
  });
});

Deno.test("zipstream -e takes both lines pasted at once, ended by CR or CR LF", async () => {
  for (const end of ["\r", "\r\n"]) {
    await withTempDir(async (dir) => {
      await makeTree(dir, TREE);
      // One write holds both lines; the helper ends it with a CR of its own,
      // which comes after the command has read its two lines.
      const { code, screen } = await runAnswering(
        ["-e", "site", "-o", "site.zip", "-q"],
        [["Password: ", `${PASSWORD}${end}${PASSWORD}`]],
        dir,
      );
      assert.equal(code, 0, `${JSON.stringify(end)}: ${screen}`);
      assert.match(screen, /Password: [\r\n]+Verify password: /);
      assertNoPassword(screen, "the terminal");
      await assertOpensWith(`${dir}/site.zip`, PASSWORD);
    });
  }
});

Deno.test("zipstream -e stops when the two passwords typed differ, and writes nothing", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    const { code, screen } = await runAnswering(
      ["-e", "site", "-o", "site.zip"],
      [["Password: ", PASSWORD], ["Verify password: ", `${PASSWORD}x`]],
      dir,
    );
    assert.equal(code, 1, screen);
    assert.match(
      screen,
      /zipstream: The passwords typed differ: expected the same password twice; nothing was written/,
    );
    assertNoPassword(screen, "the terminal");
    await assert.rejects(Deno.stat(`${dir}/site.zip`), Deno.errors.NotFound);
  });
});

Deno.test("an encrypted upload's journal record holds no password", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (_client, bucket) => {
    await withTempDir(async (dir) => {
      const child = new Deno.Command(Deno.execPath(), {
        args: cliCommand([
          "-e",
          "-",
          "--store",
          "-o",
          `s3://${bucket}/secret.zip`,
          "--endpoint",
          endpoint,
          "--part-size",
          "5MiB",
          "--no-progress",
        ]),
        cwd: dir,
        env: {
          ...LOCAL_S3_ENV,
          ZIPSTREAM_STATE_DIR: `${dir}/state`,
          ZIPSTREAM_PASSWORD: PASSWORD,
        },
        stdin: "piped",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      await withChild(child, async () => {
        const stderr = new Response(child.stderr).text();
        const writer = child.stdin.getWriter();
        await writer.write(new Uint8Array(12 << 20));
        const stateFiles = async () => {
          const texts: string[] = [];
          for await (const entry of Deno.readDir(`${dir}/state/uploads`)) {
            texts.push(
              await Deno.readTextFile(`${dir}/state/uploads/${entry.name}`),
            );
          }
          return texts;
        };
        await waitUntil(
          "the journal records the upload",
          async () => (await stateFiles().catch(() => [])).length > 0,
        );
        for (const text of await stateFiles()) {
          assert.match(text, /secret\.zip/);
          assertNoPassword(text, "the journal");
        }
        const status = await signalAndWait(child, "SIGINT");
        await writer.close().catch(() => {});
        assert.equal(status.code, 130);
        assertNoPassword(await stderr, "standard error");
      });
    });
  });
});

Deno.test("zipstream -e --resume continues a killed upload with the first run's salt key, refuses another password, and never writes the password", async () => {
  const endpoint = s3Endpoint();
  const files = Array.from(
    { length: 4 },
    (_, i) => pseudoRandom(6 * 1024 * 1024 + 777, i + 1),
  );
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      await makeTree(dir, [
        { kind: "dir", path: "data" },
        ...files.map((data, i) => ({
          kind: "file" as const,
          path: `data/${i}.bin`,
          data,
        })),
      ]);
      const env = {
        ...LOCAL_S3_ENV,
        ZIPSTREAM_STATE_DIR: `${dir}/state`,
        ZIPSTREAM_PASSWORD: PASSWORD,
      };
      const proxy = FaultProxy.start(endpoint);
      const args = (password = PASSWORD) => ({
        args: [
          "-e",
          "--store",
          "data",
          "-o",
          `s3://${bucket}/secret.zip`,
          "--endpoint",
          proxy.endpoint,
          "--part-size",
          "5MiB",
          "--resume",
          "up.resume",
          "--no-progress",
        ],
        env: { ...env, ZIPSTREAM_PASSWORD: password },
      });
      try {
        // Two parts go through; the third stalls until the run is killed.
        proxy.inject(
          isUploadPartAfter(2),
          { kind: "stall" },
          1000,
        );
        const first = args();
        const child = new Deno.Command(Deno.execPath(), {
          args: cliCommand(first.args),
          cwd: dir,
          env: first.env,
          stdin: "null",
          stdout: "null",
          stderr: "piped",
        }).spawn();
        await withChild(child, async () => {
          const stderr = new Response(child.stderr).text();
          await waitUntil("the checkpoint records two parts", async () => {
            try {
              const stored = JSON.parse(
                await Deno.readTextFile(`${dir}/up.resume`),
              );
              return stored.upload.parts.length === 2;
            } catch {
              return false;
            }
          });
          const status = await signalAndWait(child, "SIGKILL");
          assert.equal(status.signal, "SIGKILL", await stderr);
        });
        proxy.rules.length = 0;
        const checkpoint = await Deno.readTextFile(`${dir}/up.resume`);
        assertNoPassword(checkpoint, "the checkpoint");
        assertNoPassword(
          await Deno.readTextFile(`${dir}/up.resume.entries`),
          "the checkpoint's entries",
        );
        assert.match(
          checkpoint,
          /"encryption":\{"saltKey":"[0-9a-f]{64}","check":"[0-9a-f]{32}"\}/,
        );

        const wrong = args(`${PASSWORD}?`);
        const refused = await runCli(wrong.args, { cwd: dir, env: wrong.env });
        assert.equal(refused.code, 1, refused.stderr);
        assert.match(
          refused.stderr,
          /^zipstream: Cannot resume from up\.resume: expected the password its upload was started with, but this one differs; give that password, or discard its upload with zipstream --abort-resume up\.resume\n/,
        );
        assertNoPassword(refused.stderr, "standard error");
        assert.equal(
          (await pendingUploads(client, bucket, "secret.zip")).length,
          1,
        );

        const again = args();
        const logged = proxy.log.length;
        const resumed = await runCli(again.args, { cwd: dir, env: again.env });
        assert.equal(resumed.code, 0, resumed.stderr);
        // It continued the upload: no new one, and parts 1 and 2 not sent again.
        const parts = proxy.log.slice(logged)
          .filter((entry) => entry.method === "PUT")
          .map((entry) =>
            Number(new URLSearchParams(entry.query).get("partNumber"))
          );
        assert.ok(
          !proxy.log.slice(logged).some((entry) =>
            entry.method === "POST" && entry.query.includes("uploads")
          ),
          "the resumed run creates no new upload",
        );
        assert.ok(
          parts.length > 0 && parts.every((part) => part > 2),
          `${parts}`,
        );
        assertNoPassword(resumed.stderr, "standard error");
        await assert.rejects(
          Deno.stat(`${dir}/up.resume`),
          Deno.errors.NotFound,
        );
        await downloadObject(client, bucket, "secret.zip", `${dir}/secret.zip`);
        const extracted = await extractAll("7z", `${dir}/secret.zip`, PASSWORD);
        assert.equal(extracted.size, files.length);
        files.forEach((data, i) =>
          assert.deepEqual(
            extracted.get(`data/${i}.bin`),
            data,
            `data/${i}.bin`,
          )
        );
      } finally {
        await proxy.close();
      }
    });
  });
});
