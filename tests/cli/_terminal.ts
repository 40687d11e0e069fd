/**
 * Runs the `zipstream` command with its standard error on a pseudo-terminal
 * of a chosen size, and reads back the progress frames it drew there.
 *
 * @module
 */

import { cliCommand } from "./_cli.ts";

const PTY_RUN = new URL("./_pty_run.py", import.meta.url).pathname;
const CELL_WIDTHS = new URL("./_cell_widths.py", import.meta.url).pathname;

/** Where and how to run the command on a terminal. */
export interface TerminalRunOptions {
  cwd: string;
  columns: number;
  /** Bytes per second at which its standard output is read; 0 for no limit. */
  outputRate?: number;
  /** Resizes the terminal to `columns` once `after` bytes of standard output were read. */
  resize?: { after: number; columns: number };
  env?: Record<string, string>;
}

/** Runs `zipstream ARGS` with standard error on a terminal; `screen` is all it drew there. */
export async function runOnTerminal(
  args: readonly string[],
  options: TerminalRunOptions,
): Promise<{ code: number; screen: string }> {
  const { outputRate = 0 } = options;
  const output = await new Deno.Command("python3", {
    args: [
      PTY_RUN,
      `${options.columns}`,
      "24",
      `${outputRate}`,
      options.resize === undefined
        ? "-"
        : `${options.resize.after}:${options.resize.columns}`,
      Deno.execPath(),
      ...cliCommand(args),
    ],
    cwd: options.cwd,
    env: { NO_COLOR: "1", TERM: "xterm", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return {
    code: output.code,
    screen: new TextDecoder().decode(output.stdout),
  };
}

/** What `_pty_run.py` puts on the screen where it resized the terminal. */
export const RESIZED = "\n[terminal resized]\n";

/**
 * The lines drawn on `screen`, one per redraw: the texts between carriage
 * returns, newlines and moves to the first column, without escape codes.
 */
export function drawnFrames(screen: string): string[] {
  return screen
    // deno-lint-ignore no-control-regex
    .split(/\r|\n|\x1b\[\d*G/)
    // deno-lint-ignore no-control-regex
    .map((frame) => frame.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, ""))
    .filter((frame) => frame !== "");
}

/** The cells each text takes on a terminal, by Python's Unicode tables. */
export async function cellWidths(texts: readonly string[]): Promise<number[]> {
  const child = new Deno.Command("python3", {
    args: [CELL_WIDTHS],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(texts)));
  await writer.close();
  const { code, stdout } = await child.output();
  if (code !== 0) throw new Error(`_cell_widths.py exited with ${code}`);
  return JSON.parse(new TextDecoder().decode(stdout));
}

/**
 * The fields a progress frame may show, in the order they are given up:
 * written out here rather than imported from src/cli/_progress_line.ts, so
 * that a change of the order there fails the test instead of passing it.
 */
export const FIELDS_BY_PRIORITY = [
  "percent",
  "bytes",
  "rate",
  "eta",
  "sent",
  "entries",
  "bar",
  "name",
] as const;

/** A field of a progress frame. */
export type FrameField = typeof FIELDS_BY_PRIORITY[number];

const SIZE = String.raw`\d+(?:\.\d+)? (?:B|KiB|MiB|GiB)`;
/** Each field's whole text; a field cut short matches none. */
const PATTERNS: readonly [FrameField, RegExp][] = [
  ["bar", /^[█░]{20}$/],
  ["percent", /^\d{1,3}%$/],
  ["bytes", new RegExp(`^${SIZE}(?: of ${SIZE})?$`)],
  ["rate", new RegExp(`^${SIZE}/s$`)],
  ["eta", /^ETA (?:--:--|\d+(?:\.\d)? m?s|\d+:\d\d(?::\d\d)?)$/],
  ["sent", new RegExp(`^${SIZE} sent$`)],
  ["entries", /^[\d,]+\/[\d,]+ entries$/],
];

/**
 * The fields of a progress frame, left to right, each with its text. A
 * text that is no field is taken for the entry's name, and is accepted only
 * at the end; anything else throws.
 */
export function frameFields(frame: string): [FrameField, string][] {
  const texts = frame.split(" | ");
  const first = /^([█░]+) (\d+%)$/.exec(texts[0] ?? "");
  if (first !== null) texts.splice(0, 1, first[1]!, first[2]!);
  return texts.map((text, index) => {
    const field = PATTERNS.find(([, pattern]) => pattern.test(text))?.[0];
    if (field !== undefined) return [field, text];
    if (index === texts.length - 1) return ["name", text];
    throw new Error(
      `Not a progress field: ${JSON.stringify(text)} in ${frame}`,
    );
  });
}
