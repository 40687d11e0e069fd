/**
 * The shape of every usage-error test: the command line, exit code 2, the
 * exact message and the hint, and nothing written.
 *
 * @module
 */

import assert from "node:assert/strict";
import { withTempDir } from "../_readers.ts";
import { runCli } from "./_cli.ts";

/** Declares one test per `[args, message]`: `zipstream ARGS` exits 2 printing `message`. */
export function testUsageErrors(
  cases: readonly (readonly [string[], string])[],
): void {
  for (const [args, message] of cases) {
    Deno.test(`zipstream ${args.join(" ")} exits 2 with "${message}"`, async () => {
      await withTempDir(async (dir) => {
        const result = await runCli(args, { cwd: dir });
        assert.equal(result.code, 2);
        assert.equal(
          result.stderr,
          `zipstream: ${message}\nTry 'zipstream --help' for more information\n`,
        );
        assert.deepEqual([...Deno.readDirSync(dir)], []);
      });
    });
  }
}
