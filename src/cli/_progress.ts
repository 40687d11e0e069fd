/**
 * What the CLI shows while it works: a bar on a terminal, plain lines in a
 * log, and the one-line summary at the end.
 *
 * @module
 */

// cli-progress is maintained, widely used and runs unchanged under Deno's
// node:process (it only needs a tty stream); it owns redraw throttling,
// cursor hiding and line clearing, so only the line is ours
// (_progress_line.ts fits it to the terminal).
// @ts-types="@types/cli-progress"
import cliProgress from "cli-progress";
import process from "node:process";
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatRate,
} from "./_format.ts";
import {
  drawBar,
  fitProgressLine,
  type ProgressFields,
} from "./_progress_line.ts";
import { RateEstimator } from "./_rate_estimator.ts";

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
  /**
   * What an earlier run already did, when this one resumes its upload
   * (`--resume`): it counts as done from the start, so the bar starts where
   * the earlier run stopped.
   */
  resumed?: ResumedWork | undefined;
}

/** The part of the work an earlier run did. */
export interface ResumedWork {
  /** Input bytes of the entries whose data is not read again. */
  bytesIn: number;
  /** Those entries: the first this many of the archive. */
  entries: number;
  /** Archive bytes already uploaded: where this run's archive starts. */
  bytesOut: number;
}

const TICK_MS = 200;
const LINE_INTERVAL_MS = 2000;
// The speed shown follows changes within seconds; the ETA, which
// extrapolates over minutes or hours, is smoothed much longer (the
// estimator's defaults).
const SPEED_HALF_LIFE_MS = 3000;
/** How long a retry is shown in the entry name's place. */
const RETRY_SHOWN_MS = 10_000;
/** Columns assumed when the terminal does not say (and `COLUMNS` is not set). */
const DEFAULT_COLUMNS = 80;
// Measured roughly: one more small file costs about as long as reading 64 KiB.
const ENTRY_COST = 64 * 1024;
const NO_RESUME: ResumedWork = { bytesIn: 0, entries: 0, bytesOut: 0 };

/** Tracks the work done and shows it on standard error. */
export class Progress {
  #style: ProgressStyle;
  #totals: ProgressTotals;
  #resumed: ResumedWork;
  #started = performance.now();
  #bytesIn = 0;
  #bytesOut = 0;
  #bytesSent: number;
  #entriesWritten = 0;
  #current = "";
  /** The last retry told of, shown instead of the entry for a while. */
  #retry: { text: string; at: number } | undefined;
  // The speed is shown from the first interval: a speed is a fact, not a forecast.
  #speed = new RateEstimator({
    halfLifeMs: SPEED_HALF_LIFE_MS,
    warmUpMs: 0,
  });
  #work = new RateEstimator();
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastLine = 0;
  #bar: cliProgress.SingleBar | undefined;

  constructor(style: ProgressStyle, totals: ProgressTotals) {
    this.#style = style;
    this.#totals = totals;
    this.#resumed = totals.resumed ?? NO_RESUME;
    this.#bytesSent = this.#resumed.bytesOut;
    this.#sample(this.#started);
    if (style === "off") return;
    if (style === "bar") {
      this.#bar = new cliProgress.SingleBar({
        stream: process.stderr,
        // The whole line is ours, fitted to the terminal at every redraw.
        format: () => fitProgressLine(this.#fields(), terminalColumns()),
        hideCursor: true,
        // Should a line still not fit (a character the terminal draws wider
        // than we count), the terminal clips it instead of adding a line.
        linewrap: false,
      });
      this.#bar.start(1, 0);
    }
    const timer = setInterval(() => this.#tick(), TICK_MS);
    // A progress timer must never be what keeps the process alive.
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /** Input bytes done, including those of a resumed run ({@linkcode ResumedWork}). */
  get bytesIn(): number {
    return this.#resumed.bytesIn + this.#bytesIn;
  }

  /** Archive bytes done, including those uploaded by a resumed run. */
  get bytesOut(): number {
    return this.#resumed.bytesOut + this.#bytesOut;
  }

  /** Entries written, including those of a resumed run. */
  get entriesDone(): number {
    // The archive reports the resumed entries as written again, most of
    // them unread, at the start of the run: until it has passed them, the
    // earlier run's count stands.
    return Math.max(this.#resumed.entries, this.#entriesWritten);
  }

  /** What an earlier run did, when this one resumed it. */
  get resumed(): ResumedWork | undefined {
    return this.#totals.resumed;
  }

  /** Milliseconds since the progress started. */
  get elapsed(): number {
    return performance.now() - this.#started;
  }

  /** The archive started reading the entry named `name`. */
  entryStarted(name: string): void {
    this.#current = name;
  }

  /** The archive has written an entry (`zip()`'s `onEntry`). */
  entryWritten(): void {
    this.#entriesWritten++;
  }

  /** `count` more input bytes were read. */
  bytesRead(count: number): void {
    this.#bytesIn += count;
  }

  /** `count` more archive bytes were produced. */
  bytesWritten(count: number): void {
    this.#bytesOut += count;
  }

  /** The upload has accepted `total` archive bytes so far (a resumed upload's included). */
  bytesUploaded(total: number): void {
    this.#bytesSent = total;
  }

  /**
   * An S3 request failed and is being retried: `text` takes the entry
   * name's place for {@linkcode RETRY_SHOWN_MS}, so that a bar that stopped
   * moving says why. Returns whether a line or bar shows it.
   */
  retrying(text: string): boolean {
    this.#retry = { text, at: performance.now() };
    return this.#style !== "off";
  }

  /** Stops redrawing; the bar, if any, is left showing its last state. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#bar !== undefined) {
      this.#sample(performance.now());
      this.#bar.stop();
      this.#bar = undefined;
    }
  }

  #tick(): void {
    const now = performance.now();
    this.#sample(now);
    // The bar redraws itself; plain lines are written here.
    if (this.#style === "lines" && now - this.#lastLine >= LINE_INTERVAL_MS) {
      this.#lastLine = now;
      writeLine(this.#plainLine());
    }
  }

  #sample(now: number): void {
    this.#speed.sample(now, this.#bytesIn);
    this.#work.sample(now, this.#workDone());
  }

  /**
   * Work done in byte equivalents. Each entry costs as much as reading
   * ENTRY_COST bytes, so that the ETA of 70,000 tiny files is not computed
   * from their few bytes alone, nor that of one huge file from its one entry.
   */
  #workDone(): number {
    return this.bytesIn + this.entriesDone * ENTRY_COST;
  }

  /** `ETA 1:02:26`, or `ETA --:--` until the rate is known; `undefined` without a total. */
  #eta(): string | undefined {
    if (this.#totals.bytes === undefined) return undefined;
    const total = this.#totals.bytes + this.#totals.entries * ENTRY_COST;
    const left = this.#work.timeLeft(total - this.#workDone());
    // Whole seconds: an ETA in milliseconds only flickers.
    return left === undefined
      ? "ETA --:--"
      : left === 0
      ? "ETA 0 s"
      : `ETA ${formatDuration(Math.ceil(left / 1000) * 1000)}`;
  }

  #fields(): ProgressFields {
    const total = this.#totals.bytes;
    const done = this.bytesIn;
    const fraction = total === undefined
      ? undefined
      : total === 0
      ? 1
      : Math.min(1, done / total);
    return {
      ...(fraction === undefined ? {} : {
        percent: `${Math.floor(fraction * 100)}%`,
        bar: drawBar(fraction),
      }),
      bytes: total === undefined
        ? formatBytes(done)
        : `${formatBytes(done)} of ${formatBytes(total)}`,
      rate: formatRate(this.#speed.perSecond() ?? 0),
      ...(fraction === undefined ? {} : { eta: this.#eta() }),
      ...(this.#totals.uploads === true
        ? { sent: `${formatBytes(this.#bytesSent)} sent` }
        : {}),
      entries: `${formatCount(this.entriesDone)}/${
        formatCount(this.#totals.entries)
      } entries`,
      name: this.#retry !== undefined &&
          performance.now() - this.#retry.at < RETRY_SHOWN_MS
        ? this.#retry.text
        : this.#current,
    };
  }

  #plainLine(): string {
    const fields = this.#fields();
    const amount = fields.percent === undefined
      ? fields.bytes
      : `${fields.percent} ${fields.bytes}`;
    return `zipstream: ${
      [
        amount,
        fields.rate,
        // A log keeps the field even when no total makes an ETA possible.
        fields.eta ?? "ETA --:--",
        fields.sent,
        fields.entries,
        fields.name,
      ].filter((field) => field !== undefined && field !== "").join(", ")
    }`;
  }
}

/** The terminal's width in cells, read again at every redraw so a resize is followed. */
function terminalColumns(): number {
  try {
    const { columns } = Deno.consoleSize();
    if (columns > 0) return columns;
  } catch {
    // Not a terminal after all.
  }
  try {
    const columns = Number(Deno.env.get("COLUMNS"));
    if (Number.isSafeInteger(columns) && columns > 0) return columns;
  } catch {
    // No permission to read the environment.
  }
  return DEFAULT_COLUMNS;
}

/** Writes a line to standard error synchronously, so it is never lost at exit. */
export function writeLine(line: string): void {
  const bytes = new TextEncoder().encode(`${line}\n`);
  let written = 0;
  while (written < bytes.length) {
    written += Deno.stderr.writeSync(bytes.subarray(written));
  }
}
