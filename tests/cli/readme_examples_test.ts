/**
 * Runs every example in README.md as written: the TypeScript blocks as
 * programs in a Deno project set up as the README's Install section says
 * (its `deno.json` block, with `"links"` to this clone), the shell block line
 * by line with `zipstream` as the CLI, and compares the `--help` block with
 * the command's own help. The npm package runs the same blocks in Node and
 * Bun (tests/npm/readme_examples_test.ts), with the same checks
 * (tests/_readme_examples.ts).
 */
import assert from "node:assert/strict";
import { basename, dirname, resolve } from "node:path";
import {
  assertOpensEverywhere,
  readWithPython,
  withTempDir,
} from "../_readers.ts";
import { blocks, blocksOf, README } from "../_readme.ts";
import {
  download,
  LIBRARY_EXAMPLES,
  putReports,
  REPORTS,
  type RunExample,
  withReadmeBucket,
} from "../_readme_examples.ts";
import { LOCAL_S3_ENV, s3Endpoint } from "../s3/_local_s3.ts";
import { CLI_PATH, makeTree, runCli } from "./_cli.ts";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const CONFIG_PATH = `${ROOT}/deno.json`;

/**
 * A Deno project as the README's Install section sets one up: its
 * `deno.json` block, written as it is, in a folder whose `"links"` entry
 * reaches this clone (the README puts the clone next to the project, so the
 * project gets a sibling that is a link to the clone, named as the README's
 * link names it).
 */
async function readmeDenoProject(dir: string): Promise<string> {
  const json = blocksOf("json")[0];
  assert.ok(json !== undefined, "README shows a deno.json for Deno projects");
  const config = JSON.parse(json) as { links?: string[] };
  const link = config.links?.[0];
  assert.ok(link !== undefined, "the README's deno.json links the clone");
  const project = `${dir}/app`;
  await Deno.mkdir(project);
  await Deno.writeTextFile(`${project}/deno.json`, json);
  const clone = resolve(project, link);
  assert.equal(dirname(clone), dir, `expected "links" to name a sibling`);
  await Deno.symlink(ROOT, `${dir}/${basename(clone)}`);
  return project;
}

/** Runs a README block from inside `project`, in `cwd`. */
function denoRunner(project: string): RunExample {
  let count = 0;
  return async (code, cwd, env) => {
    const path = `${project}/example_${++count}.ts`;
    await Deno.writeTextFile(path, code);
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", `${project}/deno.json`, path],
      cwd,
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, `the example failed:\n${stderr}`);
    return new TextDecoder().decode(output.stdout);
  };
}

Deno.test("README opens with exactly the demo and test commands", () => {
  const first = blocks()[0];
  assert.equal(first?.lang, "sh");
  assert.deepEqual(
    first.code.trimEnd().split("\n").map((line) => line.replace(/\s+#.*$/, "")),
    ["npx -y deno@2 task demo", "npx -y deno@2 task test"],
  );
  const config = JSON.parse(Deno.readTextFileSync(CONFIG_PATH));
  assert.ok(config.tasks.demo, "deno.json has a demo task");
  assert.ok(config.tasks.test, "deno.json has a test task");
});

Deno.test("README has the library examples, the install blocks and one shell example", () => {
  assert.equal(blocksOf("ts").length, LIBRARY_EXAMPLES.length);
  assert.equal(blocksOf("sh").length, 3);
});

Deno.test("README's library examples run in a Deno project set up as its Install section says", async (t) => {
  await withTempDir(async (dir) => {
    const run = denoRunner(await readmeDenoProject(dir));
    const codes = blocksOf("ts");
    for (const [i, example] of LIBRARY_EXAMPLES.entries()) {
      await t.step(example.title, () => example.check(codes[i]!, run));
    }
  });
});

Deno.test("README example: the zipstream command lines all work as shown", async () => {
  const endpoint = s3Endpoint();
  await withReadmeBucket(async (client) => {
    await putReports(client);
    await withTempDir(async (dir) => {
      await makeTree(dir, [
        { kind: "dir", path: "src" },
        { kind: "file", path: "src/main.ts", data: "console.log(1);\n" },
        { kind: "file", path: "README.md", data: "# Site\n" },
        { kind: "dir", path: "project/node_modules/pkg" },
        { kind: "file", path: "project/app.ts", data: "export {};\n" },
        { kind: "file", path: "project/debug.log", data: "noise\n" },
        { kind: "file", path: "project/node_modules/pkg/index.js", data: "" },
        { kind: "dir", path: "photos" },
        { kind: "file", path: "photos/cat.jpg", data: "not really a cat" },
        { kind: "file", path: "access.log", data: "GET / 200\n".repeat(100) },
      ]);
      const script = blocksOf("sh")[2]!;
      const zipstream =
        `zipstream() { "${Deno.execPath()}" run -A --config "${CONFIG_PATH}" "${CLI_PATH}" --no-progress "$@"; }`;
      const output = await new Deno.Command("bash", {
        args: ["-c", `set -euo pipefail\n${zipstream}\n${script}`],
        cwd: dir,
        env: { ...LOCAL_S3_ENV, AWS_ENDPOINT_URL: endpoint },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 0, stderr);
      assert.equal(
        new TextDecoder().decode(output.stdout),
        "photos/\nphotos/cat.jpg\n",
      );
      assert.deepEqual(
        (await readWithPython(`${dir}/site.zip`)).entries.map((e) => e.name),
        ["src/", "src/main.ts", "README.md"],
      );
      assert.deepEqual(
        (await readWithPython(`${dir}/project.zip`)).entries.map((e) => e.name),
        ["project/", "project/app.ts"],
      );
      await download(client, "logs/access.zip", `${dir}/access.zip`);
      await assertOpensEverywhere(`${dir}/access.zip`, [
        { name: "access.log", data: "GET / 200\n".repeat(100) },
      ]);
      await download(client, "exports/project.zip", `${dir}/exports.zip`);
      await assertOpensEverywhere(`${dir}/exports.zip`, [
        { name: "project/app.ts", data: "export {};\n" },
      ]);
      assert.deepEqual(
        (await readWithPython(`${dir}/sources.zip`)).entries.map((e) => e.name)
          .sort(),
        ["app.ts", "main.ts"],
      );
      await download(client, "exports/2026.zip", `${dir}/2026.zip`);
      await assertOpensEverywhere(
        `${dir}/2026.zip`,
        REPORTS.map(({ key, data }) => ({
          name: key.slice("reports/".length),
          data,
        })),
      );
    });
  });
});

Deno.test("README shows the same --help text as zipstream --help", async () => {
  const result = await runCli(["--help"]);
  const help = new TextDecoder().decode(result.stdout);
  assert.ok(
    blocksOf("text").includes(help),
    "README.md has a text block equal to the output of zipstream --help",
  );
});

Deno.test("README's ways to run the command work: deno task zipstream, and deno install", async () => {
  const root = new URL("../../", import.meta.url).pathname;
  const task = await new Deno.Command(Deno.execPath(), {
    args: ["task", "zipstream", "--version"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(task.code, 0, new TextDecoder().decode(task.stderr));
  assert.match(
    new TextDecoder().decode(task.stdout),
    /^zipstream \d+\.\d+\.\d+\n$/,
  );

  const install = /`(deno install -g -A -n zipstream [^`]+)`/.exec(README);
  assert.ok(install !== null, "README shows a deno install command");
  await withTempDir(async (dir) => {
    const args = install[1]!.split(" ").slice(1);
    const installed = await new Deno.Command(Deno.execPath(), {
      args: [...args.slice(0, 2), "--root", dir, ...args.slice(2)],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(installed.code, 0, new TextDecoder().decode(installed.stderr));
    const run = await new Deno.Command(`${dir}/bin/zipstream`, {
      args: ["--version"],
      cwd: dir,
      stdout: "piped",
    }).output();
    assert.equal(run.code, 0);
    assert.match(
      new TextDecoder().decode(run.stdout),
      /^zipstream \d+\.\d+\.\d+\n$/,
    );
  });
});
