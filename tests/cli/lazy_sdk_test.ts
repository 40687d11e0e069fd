import assert from "node:assert/strict";
import { CLI_PATH } from "./_cli.ts";

/** One module of `deno info --json`, as far as the walk needs it. */
interface InfoModule {
  specifier: string;
  dependencies?: {
    code?: { specifier: string };
    isDynamic?: boolean;
  }[];
}

Deno.test("zipstream's entry point loads the AWS SDK only through dynamic imports, for s3:// paths and targets", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", CLI_PATH],
    stdout: "piped",
  }).output();
  assert.equal(output.code, 0);
  const info = JSON.parse(new TextDecoder().decode(output.stdout));
  const modules = new Map<string, InfoModule>(
    info.modules.map((module: InfoModule) => [module.specifier, module]),
  );
  // What a run loads before its first dynamic import: the static code
  // imports (type-only imports are erased), from the entry point on.
  const loaded = new Set<string>([info.roots[0]]);
  const queue = [...loaded];
  for (let specifier = queue.shift(); specifier; specifier = queue.shift()) {
    for (const dependency of modules.get(specifier)?.dependencies ?? []) {
      const code = dependency.code?.specifier;
      if (code === undefined || dependency.isDynamic || loaded.has(code)) {
        continue;
      }
      loaded.add(code);
      queue.push(code);
    }
  }
  assert.ok(loaded.size > 20, `walked ${loaded.size} modules`);
  assert.deepEqual(
    [...loaded].filter((specifier) => specifier.includes("@aws-sdk/")),
    [],
  );
});
