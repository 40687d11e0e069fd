/**
 * The `zipstream` command against Info-ZIP `zip -r -6` on a realistic tree
 * (issue 13): about 4,650 files and 153 MiB of source-like text, JSON, logs,
 * already-compressed binaries and other binaries, generated from a fixed
 * seed into a temporary folder. Each run times every command once, in an
 * order rotated from run to run, with `/usr/bin/time` (wall, user + system
 * CPU, peak RSS), and the first run checks every archive with `unzip -t`.
 *
 * ```sh
 * deno run -A bench/tree_vs_zip.ts [--runs 3] [--workers default,0,1,2] [--keep DIR]
 * ```
 *
 * `--workers` lists the `zipstream` variants: `default` runs without the
 * flag, a number passes `--workers N`. `--keep DIR` generates the tree into
 * DIR (or reuses it there) and leaves it.
 *
 * @module
 */

import { parseArgs } from "node:util";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "3" },
    workers: { type: "string", default: "default,0,1,2" },
    keep: { type: "string" },
  },
});
const RUNS = Number(flags.runs);
const VARIANTS = flags.workers.split(",").map((v) => v.trim());
const ROOT = new URL("../", import.meta.url).pathname;
const KiB = 1024;
const MiB = 1024 * KiB;

/** mulberry32: small, seeded, the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = random(13);
const pick = <T>(list: readonly T[]): T =>
  list[Math.floor(rand() * list.length)]!;
const int = (low: number, high: number) =>
  low + Math.floor(rand() * (high - low + 1));
/** A log-normal size around `median`, clamped to [low, high]. */
function size(
  median: number,
  spread: number,
  low: number,
  high: number,
): number {
  const normal = Math.sqrt(-2 * Math.log(rand() || 1e-9)) *
    Math.cos(2 * Math.PI * rand());
  return Math.max(
    low,
    Math.min(high, Math.round(median * Math.exp(spread * normal))),
  );
}

const encoder = new TextEncoder();
const WORDS = Array.from({ length: 600 }, () => {
  const letters = "abcdefghijklmnopqrstuvwxyz";
  let word = "";
  for (let i = int(2, 10); i > 0; i--) word += letters[int(0, 25)];
  return word;
});
const KEYWORDS = [
  "const",
  "let",
  "function",
  "return",
  "if",
  "else",
  "for",
  "import",
  "export",
  "await",
  "async",
  "class",
  "new",
  "this",
  "throw",
  "while",
];

/** Text of `length` bytes made of `line()` lines. */
function textPool(length: number, line: () => string): Uint8Array {
  const parts: string[] = [];
  let total = 0;
  while (total < length) {
    const text = line() + "\n";
    parts.push(text);
    total += text.length;
  }
  return encoder.encode(parts.join("")).subarray(0, length);
}

function sourceLine(): string {
  const indent = "  ".repeat(int(0, 4));
  switch (int(0, 5)) {
    case 0:
      return `${indent}${pick(KEYWORDS)} ${pick(WORDS)}${pick(WORDS)} = ${
        pick(WORDS)
      }(${pick(WORDS)}, ${int(0, 999)});`;
    case 1:
      return `${indent}// ${
        Array.from({ length: int(3, 12) }, () => pick(WORDS)).join(" ")
      }`;
    case 2:
      return `${indent}if (${pick(WORDS)}.${pick(WORDS)} === ${pick(WORDS)}) {`;
    case 3:
      return `${indent}}`;
    case 4:
      return `${indent}${pick(KEYWORDS)} ${pick(WORDS)}.${pick(WORDS)}("${
        pick(WORDS)
      } ${pick(WORDS)}");`;
    default:
      return "";
  }
}

function jsonLine(): string {
  return `  {"id": ${int(1, 1e7)}, "${pick(WORDS)}": "${pick(WORDS)} ${
    pick(WORDS)
  }", "count": ${int(0, 5000)}, "ratio": ${rand().toFixed(6)}, "tags": ["${
    pick(WORDS)
  }", "${pick(WORDS)}"], "ok": ${rand() < 0.5}},`;
}

function logLine(): string {
  const time = new Date(Date.UTC(2026, 10, 1) + int(0, 86400000)).toISOString();
  return `${time} ${
    pick(["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"])
  } [${pick(WORDS)}-${int(1, 32)}] ${pick(WORDS)} ${pick(WORDS)} request=${
    int(1, 1e9).toString(16)
  } took=${int(0, 4000)}ms status=${pick([200, 200, 200, 204, 304, 404, 500])}`;
}

/** Incompressible bytes: what images, archives and media hold. */
function randomPool(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  const words = new Uint32Array(bytes.buffer);
  for (let i = 0; i < words.length; i++) words[i] = (rand() * 4294967296) >>> 0;
  return bytes;
}

/** Executable-like bytes: code-like random stretches, zero runs, tables. */
function binaryPool(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let at = 0;
  while (at < length) {
    const run = Math.min(length - at, int(64, 4096));
    switch (int(0, 3)) {
      case 0: // zeros (padding, .bss)
        break;
      case 1: // a small table of repeated records
        for (let i = 0; i < run; i++) bytes[at + i] = (i % 16) < 4 ? i >> 4 : 0;
        break;
      default: // opcodes: bytes from a skewed alphabet
        for (let i = 0; i < run; i++) {
          bytes[at + i] = Math.floor(rand() * rand() * 256);
        }
    }
    at += run;
  }
  return bytes;
}

interface Kind {
  count: number;
  extension: string;
  pool: Uint8Array;
  size: () => number;
}

async function generateTree(
  dir: string,
): Promise<{ files: number; bytes: number }> {
  const kinds: Kind[] = [
    {
      count: 2600,
      extension: "ts",
      pool: textPool(8 * MiB, sourceLine),
      size: () => size(8 * KiB, 1.1, 40, 400 * KiB),
    },
    {
      count: 900,
      extension: "json",
      pool: textPool(8 * MiB, jsonLine),
      size: () => size(12 * KiB, 1.3, 20, 2 * MiB),
    },
    {
      count: 150,
      extension: "log",
      pool: textPool(8 * MiB, logLine),
      size: () => size(120 * KiB, 1.4, 200, 6 * MiB),
    },
    {
      count: 600,
      extension: "png",
      pool: randomPool(8 * MiB),
      size: () => size(30 * KiB, 1.2, 100, 4 * MiB),
    },
    {
      count: 400,
      extension: "so",
      pool: binaryPool(8 * MiB),
      size: () => size(30 * KiB, 1.3, 100, 4 * MiB),
    },
  ];
  const folders = Array.from(
    { length: 240 },
    (_, i) =>
      `${pick(WORDS)}${i % 7 === 0 ? "" : `/${pick(WORDS)}`}${
        i % 3 === 0 ? `/${pick(WORDS)}` : ""
      }`,
  );
  let files = 0;
  let bytes = 0;
  for (const folder of folders) {
    await Deno.mkdir(`${dir}/${folder}`, { recursive: true });
  }
  for (const kind of kinds) {
    for (let i = 0; i < kind.count; i++) {
      const length = Math.min(kind.size(), kind.pool.length);
      const offset = int(0, kind.pool.length - length);
      const path = `${dir}/${pick(folders)}/${
        pick(WORDS)
      }_${files}.${kind.extension}`;
      await Deno.writeFile(path, kind.pool.subarray(offset, offset + length));
      files++;
      bytes += length;
    }
  }
  return { files, bytes };
}

interface Measurement {
  wall: number;
  cpu: number;
  rssMiB: number;
  size: number;
}

async function measure(
  name: string,
  argv: string[],
  cwd: string,
  output: string,
): Promise<Measurement> {
  await Deno.remove(output).catch(() => {});
  const timing = `${output}.time`;
  const { code, stderr } = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%e %U %S %M", "-o", timing, ...argv],
    cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `${name} failed (${code}): ${new TextDecoder().decode(stderr)}`,
    );
  }
  const [wall, user, system, rssKiB] = (await Deno.readTextFile(timing)).trim()
    .split(/\s+/).map(Number);
  return {
    wall: wall!,
    cpu: user! + system!,
    rssMiB: rssKiB! / 1024,
    size: (await Deno.stat(output)).size,
  };
}

async function unzipTest(path: string): Promise<string> {
  const { code } = await new Deno.Command("unzip", {
    args: ["-tqq", path],
    stdout: "null",
    stderr: "null",
  }).output();
  return code === 0 ? "ok" : `FAILED (${code})`;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[middle]!
    : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const work = await Deno.makeTempDir({ prefix: "zipstream-tree-" });
const parent = flags.keep ?? work;
const tree = `${parent}/tree`;
let shape: { files: number; bytes: number };
try {
  await Deno.stat(tree);
  shape = { files: 0, bytes: 0 };
  for await (const _ of walkFiles(tree)) shape.files++;
  console.log(`reusing ${tree}`);
} catch {
  const started = performance.now();
  shape = await generateTree(tree);
  console.log(
    `generated ${tree} in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s`,
  );
}

async function* walkFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) yield* walkFiles(`${dir}/${entry.name}`);
    else yield entry.name;
  }
}

const commands: { name: string; argv: (output: string) => string[] }[] = [
  {
    name: "zip -r -6",
    argv: (output) => ["zip", "-r", "-6", "-q", output, "tree"],
  },
  ...VARIANTS.map((variant) => ({
    name: variant === "default"
      ? "zipstream"
      : `zipstream --workers ${variant}`,
    argv: (output: string) => [
      "deno",
      "run",
      "-A",
      `${ROOT}src/cli/mod.ts`,
      "tree",
      "-o",
      output,
      "--quiet",
      ...(variant === "default" ? [] : ["--workers", variant]),
    ],
  })),
];
const results = new Map<string, Measurement[]>(
  commands.map((c) => [c.name, []]),
);
const checks = new Map<string, string>();
const load = () => Deno.loadavg().map((v) => v.toFixed(2)).join(" ");
console.log(
  `${new Date().toISOString()}: ${shape.files} files${
    shape.bytes ? `, ${(shape.bytes / MiB).toFixed(1)} MiB` : ""
  }; ${RUNS} runs; load ${load()}`,
);
for (let run = 0; run < RUNS; run++) {
  for (let i = 0; i < commands.length; i++) {
    const command = commands[(i + run) % commands.length]!;
    const output = `${work}/${command.name.replaceAll(/[^a-z0-9]+/g, "_")}.zip`;
    const result = await measure(
      command.name,
      command.argv(output),
      parent,
      output,
    );
    results.get(command.name)!.push(result);
    if (run === 0) checks.set(command.name, await unzipTest(output));
    console.log(
      `run ${run + 1}: ${command.name.padEnd(24)} ${
        result.wall.toFixed(2)
      } s wall, ${result.cpu.toFixed(2)} CPU-s, ${
        result.rssMiB.toFixed(1)
      } MiB, ${result.size} bytes`,
    );
  }
}
const zips = results.get("zip -r -6")!;
console.log(
  `\nload at the end: ${load()}; medians over ${RUNS} runs; ratios are medians of per-run ratios against zip's run\n`,
);
console.log(
  "| command | wall s | CPU s | peak RSS MiB | archive bytes | speed ÷ zip | RSS ÷ zip | size ÷ zip | unzip -t |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
for (const { name } of commands) {
  const mine = results.get(name)!;
  const ratio = (f: (m: Measurement, z: Measurement) => number) =>
    median(mine.map((m, i) => f(m, zips[i]!))).toFixed(2);
  console.log(
    `| ${name} | ${median(mine.map((m) => m.wall)).toFixed(2)} | ${
      median(mine.map((m) => m.cpu)).toFixed(2)
    } | ${median(mine.map((m) => m.rssMiB)).toFixed(1)} | ${
      median(mine.map((m) => m.size)).toLocaleString("en")
    } | ${ratio((m, z) => z.wall / m.wall)}× | ${
      ratio((m, z) => m.rssMiB / z.rssMiB)
    }× | ${
      (median(mine.map((m) => m.size)) / median(zips.map((z) => z.size)))
        .toFixed(4)
    }× | ${checks.get(name)} |`,
  );
}
await Deno.remove(work, { recursive: true });
