/**
 * The npm package's `zipstream` command: a Node launcher that runs the CLI
 * under Deno, found from the optional `deno` dependency. Run with a PATH that
 * holds Node, npx and a shell but no Deno, so that only the package can
 * supply one.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { assertOpensEverywhere, withTempDir } from "../_readers.ts";
import { nodeProject, packPackage, run } from "./_package.ts";

/** What the launcher prints when it finds no Deno. */
const NO_DENO =
  "zipstream: the zipstream command runs on Deno, but no Deno was found: expected the optional dependency `deno` (npm install deno) or a deno on PATH (https://docs.deno.com/runtime/getting_started/installation/)\n";

/** The real path of `command` on this machine's PATH. */
async function which(command: string): Promise<string> {
  const { code, stdout } = await new Deno.Command("sh", {
    args: ["-c", `command -v ${command}`],
    stdout: "piped",
  }).output();
  assert.equal(code, 0, `expected ${command} on PATH`);
  return await Deno.realPath(new TextDecoder().decode(stdout).trim());
}

/** A folder with node, npx and sh and nothing else, to be the whole PATH. */
async function pathWithoutDeno(dir: string): Promise<string> {
  await Deno.mkdir(dir);
  for (const command of ["node", "npx", "sh"]) {
    await Deno.symlink(await which(command), `${dir}/${command}`);
  }
  return dir;
}

/** The npm registries Deno downloaded packages from into `denoDir`. */
async function npmCacheOf(denoDir: string): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(`${denoDir}/npm`))).map((
      entry,
    ) => entry.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

Deno.test("the npm package's zipstream command runs the CLI on the optional deno package, and names what to install without one", async (t) => {
  await withTempDir(async (dir) => {
    const tarball = await packPackage();
    const env = {
      PATH: await pathWithoutDeno(`${dir}/path`),
      HOME: Deno.env.get("HOME") ?? dir,
      // The CLI's journal of uploads, kept apart from the user's.
      ZIPSTREAM_STATE_DIR: `${dir}/state`,
      // A cache of Deno's own, to see that it downloads no npm package.
      DENO_DIR: `${dir}/deno-dir`,
    };
    const npx = (cwd: string, args: string[]) =>
      run("npx", ["--no-install", "zipstream", ...args], {
        cwd,
        env,
        clearEnv: true,
      });

    await t.step(
      "npx zipstream writes an archive every reader opens",
      async () => {
        const project = await nodeProject(`${dir}/with-deno`, tarball);
        await Deno.mkdir(`${project}/docs`);
        const notes = "zipped by the npm package\n".repeat(1000);
        await Deno.writeTextFile(`${project}/docs/notes.txt`, notes);
        const result = await npx(project, [
          "docs",
          "-o",
          "out.zip",
          "--no-progress",
        ]);
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stderr, /^zipstream: 2 entries, .* -> out\.zip\n$/);
        assert.deepEqual(
          await npmCacheOf(env.DENO_DIR),
          [],
          "pako, cli-progress and the AWS SDK come from node_modules",
        );
        await assertOpensEverywhere(`${project}/out.zip`, [
          { name: "docs/" },
          { name: "docs/notes.txt", data: notes },
        ]);
      },
    );

    await t.step(
      "zipstream ignores a deno.json and writes no deno.lock where it runs",
      async () => {
        // A folder's Deno config is the user's project, not the command's: one
        // that would send pako elsewhere and turn node_modules off must not apply.
        const cwd = `${dir}/with-deno/docs`;
        await Deno.writeTextFile(
          `${cwd}/deno.json`,
          JSON.stringify({
            nodeModulesDir: "none",
            imports: { pako: "./missing.js" },
          }),
        );
        const result = await npx(cwd, ["notes.txt", "-o", "-", "--quiet"]);
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(
          [...Deno.readDirSync(cwd)].map((entry) => entry.name).sort(),
          ["deno.json", "notes.txt"],
        );
      },
    );

    await t.step(
      "SIGTERM to the launcher reaches the CLI, which removes its incomplete file and exits with 143",
      async () => {
        const project = `${dir}/with-deno`;
        const child = new Deno.Command(
          `${project}/node_modules/.bin/zipstream`,
          {
            args: ["-", "-o", "stdin.zip", "--no-progress"],
            cwd: project,
            env,
            clearEnv: true,
            stdin: "piped",
            stdout: "null",
            stderr: "piped",
          },
        ).spawn();
        const stderrText = new Response(child.stderr).text();
        const writer = child.stdin.getWriter();
        let exited = false;
        child.status.then(() => exited = true);
        try {
          // Standard input stays open: the archive cannot end before the signal.
          await writer.write(new TextEncoder().encode("part of a stream\n"));
          while (!existsSync(`${project}/stdin.zip`)) {
            assert.ok(!exited, "expected zipstream to wait for more input");
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        } catch (error) {
          // The end of its input ends the run, so no process outlives the test.
          await writer.close().catch(() => {});
          await child.status;
          throw error;
        }
        child.kill("SIGTERM");
        const status = await child.status;
        // Only now: had the signal not reached Deno, the end of its input
        // lets it finish, so that it cannot outlive the test.
        await writer.close().catch(() => {});
        const stderr = await stderrText;
        assert.equal(status.code, 143, stderr);
        // The first line depends on whether the file was created yet when
        // the signal came; the last says what was verified.
        assert.match(
          stderr,
          /\nzipstream: Interrupted by SIGTERM; removed the incomplete stdin\.zip\n$/,
        );
        assert.equal(existsSync(`${project}/stdin.zip`), false);
      },
    );

    await t.step("npx zipstream passes the CLI's exit code on", async () => {
      const result = await npx(`${dir}/with-deno`, ["--no-such-option"]);
      assert.equal(result.code, 2, result.stderr);
    });

    await t.step(
      "npx zipstream without Deno fails and names what to install",
      async () => {
        const project = await nodeProject(`${dir}/without-deno`, tarball, {
          omitOptional: true,
        });
        const result = await npx(project, ["docs", "-o", "out.zip"]);
        assert.equal(result.code, 1);
        assert.equal(result.stderr, NO_DENO);
        assert.equal(result.stdout, "");
      },
    );
  });
});
