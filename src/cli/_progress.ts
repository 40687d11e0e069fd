/**
 * What the CLI shows while it works: a bar on a terminal, plain lines in a
 * log, and the one-line summary at the end.
 *
 * @module
 */

// cli-progress is maintained, widely used and runs unchanged under Deno's
// node:process (it only needs a tty stream); it owns redraw throttling,
// cursor hiding and line clearing, so only the fields are ours.
// @ts-types="@types/cli-progress"
import cliProgress from "cli-progress";
import process from "node:process";
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatRate,
} from "./_format.ts";

/** How progress is shown: a redrawn bar, periodic lines, or not at all. */
export type ProgressStyle = "bar" | "lines" | "off";

/** The totals known before the first byte is read. */
export interface ProgressTotals {
  /** Input bytes (from `stat`), or undefined when standard input is read. */
  bytes: number | undefined;
  /** Entries the archive will hold. */
  entries: number;
  /** Whether archive bytes are uploaded (then shown as "sent"), as for S3 targets. */
  uploads?: boolean;
}

const TICK_MS = 200;
const LINE_INTERVAL_MS = 2000;
const RATE_WINDOW_MS = 5000;
const CURRENT_WIDTH = 40;
// Measured roughly: one more small file costs about as long as reading 64 KiB.
const ENTRY_COST = 64 * 1024;

/** Tracks the work done and shows it on standard error. */
export class Progress {
  #style: ProgressStyle;
  #totals: ProgressTotals;
  #started = performance.now();
  #bytesIn = 0;
  #bytesOut = 0;
  #bytesSent = 0;
  #entriesDone = 0;
  #current = "";
  #samples: { time: number; bytes: number; work: number }[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastLine = 0;
  #bar: cliProgress.SingleBar | undefined;

  constructor(style: ProgressStyle, totals: ProgressTotals) {
    this.#style = style;
    this.#totals = totals;
    if (style === "off") return;
    if (style === "bar") {
      const known = totals.bytes !== undefined;
      const sent = totals.uploads === true ? " | {sent} sent" : "";
      this.#bar = new cliProgress.SingleBar({
        stream: process.stderr,
        format: known
          ? `{bar} {percentage}% | {done} of {total_bytes} | {rate} | ETA {eta_text}${sent} | {entries} | {current}`
          : `{done} | {rate}${sent} | {entries} | {current}`,
        barsize: 24,
        hideCursor: true,
        // Without this the bar wraps on narrow terminals and each redraw adds a line.
        linewrap: false,
      }, cliProgress.Presets.shades_classic);
      this.#bar.start(totals.bytes ?? 0, 0, this.#payload());
    }
    const timer = setInterval(() => this.#tick(), TICK_MS);
    // A progress timer must never be what keeps the process alive.
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /** Input bytes read so far. */
  get bytesIn(): number {
    return this.#bytesIn;
  }

  /** Archive bytes produced so far. */
  get bytesOut(): number {
    return this.#bytesOut;
  }

  /** Entries finished so far. */
  get entriesDone(): number {
    return this.#entriesDone;
  }

  /** Milliseconds since the progress started. */
  get elapsed(): number {
    return performance.now() - this.#started;
  }

  /** The archive started on the entry named `name`. */
  entryStarted(name: string): void {
    this.#current = name;
  }

  /** The archive finished an entry. */
  entryFinished(): void {
    this.#entriesDone++;
  }

  /** `count` more input bytes were read. */
  bytesRead(count: number): void {
    this.#bytesIn += count;
  }

  /** `count` more archive bytes were produced. */
  bytesWritten(count: number): void {
    this.#bytesOut += count;
  }

  /** The upload has accepted `total` archive bytes so far. */
  bytesUploaded(total: number): void {
    this.#bytesSent = total;
  }

  /** Stops redrawing; the bar, if any, is left showing its last state. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#bar !== undefined) {
      this.#bar.update(this.#bytesIn, this.#payload());
      this.#bar.stop();
      this.#bar = undefined;
    }
  }

  #tick(): void {
    const now = performance.now();
    this.#samples.push({ time: now, bytes: this.#bytesIn, work: this.#work() });
    while (
      this.#samples.length > 2 &&
      (this.#samples[0]?.time ?? now) < now - RATE_WINDOW_MS
    ) this.#samples.shift();
    if (this.#bar !== undefined) {
      this.#bar.update(this.#bytesIn, this.#payload());
    } else if (
      this.#style === "lines" && now - this.#lastLine >= LINE_INTERVAL_MS
    ) {
      this.#lastLine = now;
      writeLine(this.#plainLine());
    }
  }

  /** Bytes read per second, over the last few seconds. */
  #rate(): number {
    return this.#perSecond("bytes");
  }

  #perSecond(field: "bytes" | "work"): number {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    if (first !== undefined && last !== undefined && last.time > first.time) {
      return (last[field] - first[field]) / ((last.time - first.time) / 1000);
    }
    const seconds = this.elapsed / 1000;
    const done = field === "bytes" ? this.#bytesIn : this.#work();
    return seconds > 0 ? done / seconds : 0;
  }

  /**
   * Work done in byte equivalents. Each entry costs as much as reading
   * ENTRY_COST bytes, so that the ETA of 70,000 tiny files is not computed
   * from their few bytes alone, nor that of one huge file from its one entry.
   */
  #work(): number {
    return this.#bytesIn + this.#entriesDone * ENTRY_COST;
  }

  #eta(): string {
    const rate = this.#perSecond("work");
    if (this.#totals.bytes === undefined || rate <= 0) return "-";
    const total = this.#totals.bytes + this.#totals.entries * ENTRY_COST;
    const left = Math.max(0, total - this.#work());
    // Whole seconds: an ETA in milliseconds only flickers.
    return left === 0 ? "0 s" : formatDuration(Math.ceil(left / rate) * 1000);
  }

  #entries(): string {
    return `${formatCount(this.#entriesDone)}/${
      formatCount(this.#totals.entries)
    } entries`;
  }

  #payload(): Record<string, string> {
    return {
      done: formatBytes(this.#bytesIn),
      total_bytes: formatBytes(this.#totals.bytes ?? 0),
      rate: formatRate(this.#rate()),
      eta_text: this.#eta(),
      entries: this.#entries(),
      current: shorten(this.#current, CURRENT_WIDTH),
      sent: formatBytes(this.#bytesSent),
    };
  }

  #plainLine(): string {
    const total = this.#totals.bytes;
    const amount = total === undefined
      ? `${formatBytes(this.#bytesIn)}`
      : `${percent(this.#bytesIn, total)} ${formatBytes(this.#bytesIn)} of ${
        formatBytes(total)
      }`;
    const sent = this.#totals.uploads === true
      ? `, ${formatBytes(this.#bytesSent)} sent`
      : "";
    return `zipstream: ${amount}, ${
      formatRate(this.#rate())
    }, ETA ${this.#eta()}${sent}, ${this.#entries()}, ${this.#current}`;
  }
}

function percent(part: number, whole: number): string {
  return whole === 0 ? "100%" : `${Math.floor((part / whole) * 100)}%`;
}

/** Keeps the end of a long name, where the file name is. */
function shorten(name: string, width: number): string {
  return name.length <= width
    ? name
    : `…${name.slice(name.length - width + 1)}`;
}

/** Writes a line to standard error synchronously, so it is never lost at exit. */
export function writeLine(line: string): void {
  const bytes = new TextEncoder().encode(`${line}\n`);
  let written = 0;
  while (written < bytes.length) {
    written += Deno.stderr.writeSync(bytes.subarray(written));
  }
}
