/**
 * The values of single options: sizes, counts, time budgets, choices, and
 * parseArgs' own errors, each refused with a message naming the option.
 *
 * @module
 */

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { messageOf } from "../_errors.ts";
import { MAX_PART_SIZE, MIN_PART_SIZE } from "../s3/_part_size_plan.ts";
import { MAX_ATTEMPTS } from "../s3/_option_checks.ts";
import { UsageError } from "./_cli_error.ts";
import { parseSize } from "./_size.ts";

/** `--part-size SIZE`, within S3's limits. */
export function parsePartSize(text: string): number {
  const size = parseSize(text);
  if (size === undefined) {
    throw new UsageError(
      `Invalid --part-size "${text}": expected a size such as 8MiB, 16M or 5242880`,
    );
  }
  if (size < MIN_PART_SIZE || size > MAX_PART_SIZE) {
    throw new UsageError(
      `Invalid --part-size "${text}": expected from ${
        MIN_PART_SIZE / 1024 ** 2
      }MiB to ${
        MAX_PART_SIZE / 1024 ** 3
      }GiB (S3's limits) but got ${size} bytes`,
    );
  }
  return size;
}

/** `--segment-size SIZE`: input bytes per segment of a queued build. */
export function parseSegmentSize(text: string): number {
  const size = parseSize(text);
  if (size === undefined || size < 1) {
    throw new UsageError(
      `Invalid --segment-size "${text}": expected a size such as 256MiB or 1G`,
    );
  }
  return size;
}

/** `--retries N`: attempts per request, the first included. */
export function parseRetries(text: string): number {
  return parseWholeNumber("--retries", text, 1, MAX_ATTEMPTS);
}

/** One of `choices`, or `undefined` when the flag was not given. */
export function oneOf<T extends string>(
  flag: string,
  text: string | undefined,
  choices: readonly T[],
): T | undefined {
  if (text === undefined || (choices as readonly string[]).includes(text)) {
    return text as T | undefined;
  }
  throw new UsageError(
    `Invalid ${flag} "${text}": expected one of ${choices.join(", ")}`,
  );
}

/** A time budget in seconds (`--retry-max-time 90`, `2.5`), as milliseconds. */
export function parseSeconds(flag: string, text: string): number {
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || seconds <= 0) {
    throw new UsageError(
      `Invalid ${flag} "${text}": expected a number of seconds greater than 0, such as 30 or 2.5`,
    );
  }
  return Math.round(seconds * 1000);
}

/** A whole number from `min` to `max`, or a usage error naming `flag`. */
export function parseWholeNumber(
  flag: string,
  text: string,
  min: number,
  max: number,
): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(
      `Invalid ${flag} "${text}": expected a whole number from ${min} to ${max}`,
    );
  }
  return value;
}

/**
 * Parses a command's arguments strictly, with positionals and tokens (to
 * tell which option came when), turning parseArgs' refusals into usage
 * errors.
 */
export function parseCommandLine<Options extends ParseArgsOptionsConfig>(
  args: readonly string[],
  options: Options,
) {
  try {
    return parseArgs({
      args: [...args],
      options,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
}

/** parseArgs' own messages suggest Node-specific workarounds; this says it plainly. */
export function describeParseError(error: unknown): string {
  const message = messageOf(error);
  const unknown = /^Unknown option '([^']*)'/.exec(message);
  if (unknown !== null) return `Unknown option "${unknown[1]}"`;
  const missing = /^Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(
    message,
  );
  if (missing !== null) return `Option ${missing[1]} needs a value`;
  const extra = /^Option '(?:-\w, )?(--[\w-]+)' does not take an argument/
    .exec(message);
  if (extra !== null) return `Option ${extra[1]} does not take a value`;
  return message;
}

/** Refuses `-o a -o b`: the first would be ignored without a word. */
export function checkGivenOnce(
  tokens: readonly { kind: string; name?: string; value?: string }[],
  singleValued: readonly string[],
): void {
  const seen = new Map<string, string>();
  for (const token of tokens) {
    if (token.kind !== "option" || token.name === undefined) continue;
    if (!singleValued.includes(token.name)) continue;
    const raw = token.value ?? "";
    const previous = seen.get(token.name);
    if (previous !== undefined) {
      throw new UsageError(
        `Option --${token.name} given twice ("${previous}", then "${raw}"): expected it once`,
      );
    }
    seen.set(token.name, raw);
  }
}
