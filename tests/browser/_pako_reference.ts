/**
 * Deno's build of the sample archive with pako, the engine browsers use: the
 * bytes the page's archive must equal.
 *
 * Deno has a native zlib, whose output differs from pako's, and the library
 * picks its engine once, when `_deflate_engine.ts` loads, from
 * `globalThis.process?.getBuiltinModule`. Run as a script, this file
 * removes `process` before loading the library (hence the dynamic imports),
 * so the library picks pako through its own choice, as in a browser, with
 * no internal hook. It then zips the sample from the same sources the page
 * bundle holds, in this thread (`workers: 0`, so the page's two workers are
 * checked against the plain path), and prints the report as JSON.
 *
 * @module
 */

import type { ArchiveReport } from "./_archive_report.ts";
import { deadline } from "./_deadline.ts";

const SCRIPT = new URL(import.meta.url);
const CONFIG = new URL("../../deno.json", import.meta.url);

/** Runs this file in a Deno subprocess and returns its report. */
export async function denoPakoReport(): Promise<ArchiveReport> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", `--config=${CONFIG.pathname}`, SCRIPT.href],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output();
  let result: Deno.CommandOutput;
  try {
    result = await deadline(output, 600_000, "Deno's pako build of the sample");
  } catch (error) {
    child.kill("SIGKILL");
    await output;
    throw error;
  }
  const decoder = new TextDecoder();
  if (!result.success) {
    throw new Error(
      `Deno's pako build of the sample failed with exit code ${result.code}:\n${
        decoder.decode(result.stderr)
      }`,
    );
  }
  return JSON.parse(decoder.decode(result.stdout)) as ArchiveReport;
}

async function main(): Promise<void> {
  delete (globalThis as { process?: unknown }).process;
  const { defaultEngine } = await import("../../src/zip/_deflate_engine.ts");
  if (defaultEngine.name !== "pako") {
    throw new Error(
      `Cannot build the reference: expected the pako engine without process but the library picked ${defaultEngine.name}`,
    );
  }
  const { zipSample } = await import("./_sample_archive.ts");
  const { reportOf } = await import("./_archive_report.ts");
  console.log(JSON.stringify(await reportOf(zipSample({ workers: 0 }), [])));
}

if (import.meta.main) await main();
