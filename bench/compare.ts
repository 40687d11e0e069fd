/**
 * zipstream side by side with every peer: runs the workloads of issue 5, each
 * library in a process of its own (so peak RSS is its own), several times,
 * and prints one markdown table of medians, with the ratio to zipstream taken
 * within each run before the median.
 *
 *     deno task bench:compare                 # full sizes (minutes)
 *     deno task bench:compare --quick         # smoke sizes (under a minute)
 *     deno task bench:compare --workloads W1,W3 --peers zipstream,archiver
 *     deno task bench:compare --no-verify --runs 5 --json results.json
 *     deno task bench:compare --micro --workloads none   # CRC-32 and deflate MB/s
 *
 * W5 (uploads) runs when the local S3 server is up, i.e. under
 * `bash scripts/with_s3_server.sh deno task bench:compare`.
 *
 * Every flag can also come from the environment as `ZIPSTREAM_BENCH_<FLAG>`
 * (`--w1-size` is `ZIPSTREAM_BENCH_W1_SIZE`; `ZIPSTREAM_BENCH_QUICK=1`).
 * Sizes accept `KiB`, `MiB` and `GiB` suffixes.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  logText,
  RANDOM_POOL_LENGTH,
  randomBytes,
  TEXT_POOL_LENGTH,
} from "./_inputs.ts";
import type { WorkerResult } from "./_compare_worker.ts";

const BENCH_DIR = new URL(".", import.meta.url).pathname;
/** zipstream with `workers: 0`: its deflate on one core, where it differs at all. */
const ONE_THREAD = "zipstream-1-thread";
/** zipstream with `copyChunks: false`: what copying stored chunks costs (W1 only). */
const NO_COPY = "zipstream-no-copy";
const ALL_PEERS = [
  "zipstream",
  ONE_THREAD,
  NO_COPY,
  "zipstream-portable",
  "client-zip",
  "fflate",
  "zip.js",
  "archiver",
  "yazl",
  "python-zipfile",
];
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

const FLAGS = {
  quick: { type: "boolean" },
  runs: { type: "string" },
  workloads: { type: "string" },
  peers: { type: "string" },
  "w1-size": { type: "string" },
  "w2-size": { type: "string" },
  "w2-levels": { type: "string" },
  "w2-entries": { type: "string" },
  "w3-entries": { type: "string" },
  "w3-entry-size": { type: "string" },
  "w3-method": { type: "string" },
  "w4-sizes": { type: "string" },
  "w4-peers": { type: "string" },
  "w5-size": { type: "string" },
  chunk: { type: "string" },
  timeout: { type: "string" },
  "no-verify": { type: "boolean" },
  json: { type: "string" },
  micro: { type: "boolean" },
} as const;

/** Reads a flag, falling back to `ZIPSTREAM_BENCH_<FLAG>`. */
function option(
  values: Record<string, string | boolean | undefined>,
  name: keyof typeof FLAGS,
): string | undefined {
  const value = values[name];
  if (value !== undefined) return String(value);
  return Deno.env.get(
    `ZIPSTREAM_BENCH_${name.toUpperCase().replaceAll("-", "_")}`,
  );
}

function parseSize(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(KiB|MiB|GiB|)$/.exec(text.trim());
  if (!match) {
    throw new RangeError(
      `Cannot read --${flag}: expected a byte count such as 1024, 64MiB or 1GiB, received "${text}"`,
    );
  }
  const unit = { "": 1, KiB: 1024, MiB: MIB, GiB: GIB }[match[2] as string]!;
  return Math.round(Number(match[1]) * unit);
}

function formatSize(bytes: number): string {
  if (bytes >= GIB && bytes % GIB === 0) return `${bytes / GIB} GiB`;
  if (bytes >= MIB && bytes % MIB === 0) return `${bytes / MIB} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** One archive shape measured for several libraries. */
interface Variant {
  workload: string;
  label: string;
  args: string[];
  /** Arguments for the small archive `unzip -t` checks; none skips it. */
  verifyArgs?: string[];
  peers: string[];
  /** The library the others are compared with. */
  reference: string;
  /** Report entries per second instead of MB/s. */
  perEntry: boolean;
  entries: number;
}

interface Measurement {
  result?: WorkerResult;
  error?: string;
}

const values = parseArgs({ args: Deno.args, options: FLAGS }).values as Record<
  string,
  string | boolean | undefined
>;
const quick = ["1", "true"].includes(option(values, "quick") ?? "");
const runs = Number(option(values, "runs") ?? (quick ? "1" : "3"));
const s3Endpoint = Deno.env.get("ZIPSTREAM_S3_ENDPOINT");
const workloads = (option(values, "workloads") ??
  (s3Endpoint ? "W1,W2,W3,W4,W5" : "W1,W2,W3,W4")).split(",");
const peers = (option(values, "peers") ?? ALL_PEERS.join(",")).split(",");
const w1Size = parseSize(
  option(values, "w1-size") ?? (quick ? "64MiB" : "1GiB"),
  "w1-size",
);
const w2Size = parseSize(
  option(values, "w2-size") ?? (quick ? "16MiB" : "512MiB"),
  "w2-size",
);
const w2Levels = (option(values, "w2-levels") ?? "6,1").split(",").map(Number);
// Several counts (e.g. "1,8") measure one big entry and entries in parallel.
const w2Entries = (option(values, "w2-entries") ?? "1").split(",").map(Number);
const w3Entries = Number(
  option(values, "w3-entries") ?? (quick ? "20000" : "100000"),
);
const w3Method = option(values, "w3-method") ?? "store";
if (w3Method !== "store" && w3Method !== "deflate") {
  throw new Error(
    `--w3-method: expected store or deflate but received ${w3Method}`,
  );
}
const w3EntrySize = parseSize(
  option(values, "w3-entry-size") ?? "1KiB",
  "w3-entry-size",
);
const w4Sizes = (option(values, "w4-sizes") ??
  (quick ? "64MiB,256MiB" : "1GiB,4GiB,16GiB")).split(",").map((s) =>
    parseSize(s, "w4-sizes")
  );
const w4Peers = (option(values, "w4-peers") ?? "zipstream,archiver").split(",");
const w5Size = parseSize(
  option(values, "w5-size") ?? (quick ? "32MiB" : "256MiB"),
  "w5-size",
);
const chunk = parseSize(option(values, "chunk") ?? "64KiB", "chunk");
const timeoutSeconds = Number(option(values, "timeout") ?? "900");
const verify = !["1", "true"].includes(option(values, "no-verify") ?? "");
const jsonPath = option(values, "json");
const micro = ["1", "true"].includes(option(values, "micro") ?? "");

for (const peer of [...peers, ...w4Peers]) {
  if (!ALL_PEERS.includes(peer)) {
    throw new TypeError(
      `Cannot compare with "${peer}": expected one of ${ALL_PEERS.join(", ")}`,
    );
  }
}

const variants: Variant[] = [];
if (workloads.includes("W1")) {
  variants.push({
    workload: "W1",
    label: `1 × ${formatSize(w1Size)} incompressible, store`,
    args: [
      "--pool=random",
      "--shape=stream",
      "--entries=1",
      `--entry-size=${w1Size}`,
      "--method=store",
      "--declare-size",
    ],
    verifyArgs: [
      "--pool=random",
      "--shape=stream",
      "--entries=1",
      `--entry-size=${MIB}`,
      "--method=store",
      "--declare-size",
    ],
    peers: peers.filter((peer) => peer !== ONE_THREAD),
    reference: "zipstream",
    perEntry: false,
    entries: 1,
  });
}
if (workloads.includes("W2")) {
  for (const count of w2Entries) {
    for (const level of w2Levels) {
      const each = Math.floor(w2Size / count);
      const w2 = (size: number) => [
        "--pool=text",
        "--shape=stream",
        `--entries=${count}`,
        `--entry-size=${size}`,
        "--method=deflate",
        `--level=${level}`,
      ];
      variants.push({
        workload: "W2",
        label: `${count} × ${formatSize(each)} log text, deflate L${level}`,
        args: w2(each),
        verifyArgs: w2(MIB),
        peers: peers.filter((peer) =>
          peer !== "client-zip" && peer !== NO_COPY
        ),
        reference: "zipstream",
        perEntry: false,
        entries: count,
      });
    }
  }
}
if (workloads.includes("W3")) {
  const w3 = [
    // Deflate gets text it can shrink; stored bytes need not be.
    w3Method === "deflate" ? "--pool=text" : "--pool=random",
    "--shape=buffer",
    `--entries=${w3Entries}`,
    `--entry-size=${w3EntrySize}`,
    `--method=${w3Method}`,
    "--level=6",
  ];
  variants.push({
    workload: "W3",
    label: `${w3Entries.toLocaleString("en")} × ${
      formatSize(w3EntrySize)
    } in memory, ${w3Method === "deflate" ? "deflate L6" : "store"}`,
    args: w3,
    // The entry count is what breaks readers, so the check keeps it.
    verifyArgs: w3,
    peers: peers.filter((peer) => peer !== ONE_THREAD && peer !== NO_COPY),
    reference: "zipstream",
    perEntry: true,
    entries: w3Entries,
  });
}
if (workloads.includes("W4")) {
  for (const size of w4Sizes) {
    variants.push({
      workload: "W4",
      label: `1 × ${formatSize(size)} stream of unknown size, store`,
      args: [
        "--pool=random",
        "--shape=stream",
        "--entries=1",
        `--entry-size=${size}`,
        "--method=store",
      ],
      peers: w4Peers,
      reference: "zipstream",
      perEntry: false,
      entries: 1,
    });
  }
}
if (workloads.includes("W5")) {
  const w5 = (size: number) => [
    "--pool=random",
    "--shape=stream",
    "--entries=1",
    `--entry-size=${size}`,
    "--method=store",
    "--declare-size",
  ];
  variants.push({
    workload: "W5",
    label: `zip() of 1 × ${formatSize(w5Size)} into local S3, defaults`,
    args: w5(w5Size),
    verifyArgs: w5(MIB),
    peers: ["s3:zipstream", "s3:lib-storage"],
    reference: "s3:zipstream",
    perEntry: false,
    entries: 1,
  });
}

// W5 writes into one bucket for the session, deleted at the end.
const s3 = workloads.includes("W5")
  ? await import("./_s3_target.ts")
  : undefined;
const bucket = s3 ? await s3.createBucket() : undefined;
if (s3 && bucket) Deno.env.set(s3.BUCKET_VARIABLE, bucket);

const workDir = Deno.makeTempDirSync({ prefix: "zipstream_bench_" });
Deno.writeFileSync(`${workDir}/random.bin`, randomBytes(RANDOM_POOL_LENGTH));
Deno.writeFileSync(`${workDir}/text.bin`, logText(TEXT_POOL_LENGTH));

function log(message: string): void {
  console.error(message);
}

/** Runs one library on one job in a fresh process. */
async function measure(
  peer: string,
  args: string[],
  out?: string,
): Promise<Measurement> {
  const common = [...args, `--chunk=${chunk}`, `--pools-dir=${workDir}`];
  const command = peer === "python-zipfile" || peer === "python-input"
    ? new Deno.Command("bash", {
      args: [
        "-c",
        `set -o pipefail; python3 "$0" "$@" | cat > ${
          out ? `"${out}"` : "/dev/null"
        }`,
        `${BENCH_DIR}_zipfile_worker.py`,
        `--peer=${peer === "python-input" ? "input" : "zipfile"}`,
        ...common,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    })
    : new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-lock",
        `${BENCH_DIR}_compare_worker.ts`,
        `--peer=${peer}`,
        ...common,
        ...(out ? [`--out=${out}`] : []),
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    });
  try {
    const { code, stdout, stderr } = await command.output();
    const text = new TextDecoder().decode(
      peer.startsWith("python") ? stderr : stdout,
    );
    const line = text.trim().split("\n").findLast((l) => l.startsWith("{"));
    if (code !== 0 || !line) {
      const why = new TextDecoder().decode(stderr).trim().split("\n")
        .filter((l) => l.trim()).slice(0, 3).join(" / ");
      return { error: `exit ${code}: ${why.slice(0, 200)}` };
    }
    return { result: JSON.parse(line) as WorkerResult };
  } catch (error) {
    const name = error instanceof Error ? error.name : "";
    return {
      error: name === "TimeoutError" || name === "AbortError"
        ? `timed out after ${timeoutSeconds} s`
        : String(error),
    };
  }
}

/**
 * The entry count the end records declare. Info-ZIP scans the central
 * directory and forgives a wrong count; other readers (and tools that
 * preallocate) trust it, so it is checked on its own. The archives written
 * here have no comment, so the end record is the last 22 bytes.
 */
function declaredEntries(path: string): number {
  const file = Deno.openSync(path);
  try {
    const size = file.statSync().size;
    const read = (offset: number, length: number) => {
      const bytes = new Uint8Array(length);
      file.seekSync(offset, Deno.SeekMode.Start);
      for (let at = 0; at < length;) {
        const n = file.readSync(bytes.subarray(at));
        if (n === null) break;
        at += n;
      }
      return new DataView(bytes.buffer);
    };
    const end = read(size - 22, 22);
    if (end.getUint32(0, true) !== 0x06054b50) return -1;
    const count = end.getUint16(10, true);
    if (count !== 0xffff) return count;
    const locator = read(size - 22 - 20, 20);
    if (locator.getUint32(0, true) !== 0x07064b50) return count;
    const zip64End = read(Number(locator.getBigUint64(8, true)), 56);
    return Number(zip64End.getBigUint64(32, true));
  } finally {
    file.close();
  }
}

/** Tests one archive with Info-ZIP, and checks it holds `entries` members. */
async function unzipTest(path: string, entries: number): Promise<string> {
  const test = await new Deno.Command("unzip", {
    args: ["-tq", path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const said = new TextDecoder().decode(test.stdout) +
    new TextDecoder().decode(test.stderr);
  if (test.code !== 0) {
    const first = said.trim().split("\n").filter((l) => l.trim())[0] ?? "";
    return `FAIL (exit ${test.code}: ${first.trim().slice(0, 80)})`;
  }
  const declared = declaredEntries(path);
  if (declared !== entries) {
    return `FAIL (end record declares ${declared} entries, archive has ${entries})`;
  }
  const list = await new Deno.Command("unzip", {
    args: ["-Z1", path],
    stdout: "piped",
    stderr: "null",
  }).output();
  const listed = new TextDecoder().decode(list.stdout).split("\n")
    .filter((l) => l).length;
  if (listed !== entries) {
    return `FAIL (${listed} of ${entries} entries listed)`;
  }
  return "ok";
}

/** Levels share a check; entry counts do not (they take other code paths). */
const verdictKey = (variant: Variant, peer: string) =>
  `${variant.workload}|${variant.entries}|${peer}`;
const verdicts = new Map<string, string>();
if (verify) {
  for (const variant of variants) {
    if (!variant.verifyArgs) continue;
    for (const peer of variant.peers) {
      const key = verdictKey(variant, peer);
      if (verdicts.has(key)) continue;
      const path = `${workDir}/verify.zip`;
      // Exists even when the library fails before writing, for the cleanup.
      Deno.writeFileSync(path, new Uint8Array(0));
      log(`verify ${variant.workload} ${peer}`);
      const { error } = await measure(peer, variant.verifyArgs, path);
      verdicts.set(
        key,
        error ? `FAIL (${error})` : await unzipTest(path, variant.entries),
      );
      Deno.removeSync(path);
    }
  }
}

const floorPeer = (peer: string) =>
  peer === "python-zipfile" ? "python-input" : "input";

/** results[variant index][peer][run] */
const results: Map<string, Measurement[]>[] = variants.map(() => new Map());
for (let run = 0; run < runs; run++) {
  for (const [index, variant] of variants.entries()) {
    const floors = [...new Set(variant.peers.map(floorPeer))];
    const order = [...floors, ...variant.peers];
    // Rotate the order from run to run so no library always runs first.
    const shift = run % variant.peers.length;
    const rotated = [
      ...floors,
      ...variant.peers.slice(shift),
      ...variant.peers.slice(0, shift),
    ];
    for (const peer of run === 0 ? order : rotated) {
      log(
        `run ${run + 1}/${runs} ${variant.workload} ${variant.label}: ${peer}`,
      );
      const measurement = await measure(peer, variant.args);
      if (measurement.error) log(`  ${measurement.error}`);
      const list = results[index]!.get(peer) ?? [];
      list.push(measurement);
      results[index]!.set(peer, list);
    }
  }
}
Deno.removeSync(workDir, { recursive: true });
if (s3 && bucket) await s3.deleteBucket(bucket);

function median(numbers: number[]): number {
  const sorted = numbers.toSorted((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[middle]!
    : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function speed(variant: Variant, result: WorkerResult): number {
  return variant.perEntry
    ? variant.entries / result.seconds
    : result.bytesIn / result.seconds / 1e6;
}

const rows: string[] = [
  "| workload | library | throughput | zipstream ÷ library | archive bytes | peak RSS MiB | RSS − input floor MiB | unzip -t |",
  "|---|---|--:|--:|--:|--:|--:|---|",
];
const mib = (bytes: number) => (bytes / MIB).toFixed(1);
for (const [index, variant] of variants.entries()) {
  const byPeer = results[index]!;
  const ours = byPeer.get(variant.reference);
  const floors = new Map<string, number>();
  for (const floor of ["input", "python-input"]) {
    const ok = (byPeer.get(floor) ?? []).flatMap((m) =>
      m.result ? [m.result.peakRss] : []
    );
    if (ok.length) floors.set(floor, median(ok));
  }
  const names = [
    ...variant.peers,
    ...[...new Set(variant.peers.map(floorPeer))],
  ];
  for (const peer of names) {
    const list = byPeer.get(peer) ?? [];
    const ok = list.flatMap((m) => (m.result ? [m.result] : []));
    const workload = `${variant.workload} ${variant.label}`;
    const name = peer === "input" || peer === "python-input"
      ? `(${peer}: read only)`
      : peer;
    if (ok.length === 0) {
      const error = list.find((m) => m.error)?.error ?? "not run";
      rows.push(
        `| ${workload} | ${name} | error: ${
          error.replaceAll("|", "/")
        } | | | | | ${verdicts.get(verdictKey(variant, peer)) ?? ""} |`,
      );
      continue;
    }
    const throughput = median(ok.map((r) => speed(variant, r)));
    const ratios = list.flatMap((m, run) => {
      const mine = ours?.[run]?.result;
      return m.result && mine
        ? [speed(variant, mine) / speed(variant, m.result)]
        : [];
    });
    const rss = median(ok.map((r) => r.peakRss));
    const floor = floors.get(floorPeer(peer));
    const isFloor = peer === "input" || peer === "python-input";
    rows.push(
      [
        "",
        workload,
        name,
        // Python's read-only pass slices memoryviews without touching them.
        peer === "python-input"
          ? "—"
          : variant.perEntry
          ? `${Math.round(throughput).toLocaleString("en")} entries/s`
          : `${throughput.toFixed(0)} MB/s`,
        isFloor || ratios.length === 0 ? "—" : `${median(ratios).toFixed(2)}×`,
        isFloor ? "—" : median(ok.map((r) => r.bytesOut)).toLocaleString("en"),
        mib(rss),
        isFloor || floor === undefined ? "—" : mib(rss - floor),
        verdicts.get(verdictKey(variant, peer)) ?? "",
        "",
      ].join(" | ").trim(),
    );
  }
}

const cpu = /model name\s*:\s*(.*)/.exec(
  Deno.readTextFileSync("/proc/cpuinfo"),
)?.[1];
console.log(
  `Machine: ${navigator.hardwareConcurrency} cores, ${cpu}, ${
    (Deno.systemMemoryInfo().total / GIB).toFixed(1)
  } GiB RAM; Deno ${Deno.version.deno}; ${runs} run(s), medians; ${
    formatSize(chunk)
  } input chunks; MB = 10^6 bytes.\n`,
);
if (variants.length > 0) console.log(rows.join("\n"));
if (jsonPath) {
  Deno.writeTextFileSync(
    jsonPath,
    JSON.stringify(
      variants.map((variant, index) => ({
        ...variant,
        verdicts: Object.fromEntries(
          variant.peers.map((
            p,
          ) => [p, verdicts.get(verdictKey(variant, p))]),
        ),
        results: Object.fromEntries(results[index]!),
      })),
      null,
      2,
    ),
  );
}

interface BenchReport {
  benches: {
    group: string;
    name: string;
    results: { ok?: { min: number; avg: number } }[];
  }[];
}

/**
 * The CRC-32 and deflate micro benchmarks, as MB/s: `deno bench` reports
 * time per call, and each group name says how many bytes a call processes.
 */
async function microTable(): Promise<string> {
  const { stdout, code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "bench",
      "-A",
      "--no-lock",
      "--json",
      `${BENCH_DIR}crc32_bench.ts`,
      `${BENCH_DIR}deflate_bench.ts`,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (code !== 0) {
    throw new Error(
      `Cannot run the micro benchmarks: deno bench exited with ${code}: ${
        new TextDecoder().decode(stderr).slice(0, 500)
      }`,
    );
  }
  const report = JSON.parse(new TextDecoder().decode(stdout)) as BenchReport;
  const lines = [
    "| group | engine | MB/s (fastest call) | MB/s (mean) |",
    "|---|---|--:|--:|",
  ];
  for (const bench of report.benches) {
    const size = /of (\d+) (B|KiB|MiB)/.exec(bench.group);
    const ok = bench.results[0]?.ok;
    if (!size || !ok) continue;
    const bytes = parseSize(
      `${size[1]}${size[2] === "B" ? "" : size[2]}`,
      "micro",
    );
    const rate = (ns: number) => (bytes / ns * 1e3).toFixed(0);
    lines.push(
      `| ${bench.group} | ${bench.name} | ${rate(ok.min)} | ${rate(ok.avg)} |`,
    );
  }
  return lines.join("\n");
}

if (micro) {
  log("micro benchmarks (deno bench)");
  console.log(`\n${await microTable()}`);
}
