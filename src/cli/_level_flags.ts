/**
 * The deflate level as zip(1) takes it: `-0` … `-9`, `--level N` and
 * `--store` (the same as `-0`), the last one given winning.
 *
 * @module
 */

import { MAX_LEVEL } from "../zip/_resolved_entry.ts";
import { UsageError } from "./_cli_error.ts";
import { parseWholeNumber } from "./_option_values.ts";

/** The level flags' digits, each a short boolean option of its own. */
export const LEVEL_FLAGS = [
  "0",
  "1",
  "2",
  "3",
  "4",
  "5",
  "6",
  "7",
  "8",
  "9",
] as const;

/** `-0` … `-9` as `parseArgs` options, named by their digit. */
export const LEVEL_OPTIONS = Object.fromEntries(
  LEVEL_FLAGS.map((digit) => [digit, { type: "boolean", short: digit }]),
) as Record<
  (typeof LEVEL_FLAGS)[number],
  { type: "boolean"; short: (typeof LEVEL_FLAGS)[number] }
>;

/** An option token of `parseArgs`, as far as the level flags need it. */
export interface LevelToken {
  kind: string;
  name?: string;
  rawName?: string;
  index: number;
  value?: string | undefined;
}

/**
 * The deflate level the tokens ask for, 6 when none does. The last
 * compression flag wins, as with zip(1): `-9 --store` stores.
 *
 * @param tokens The tokens of `parseArgs` with `tokens: true`.
 * @param args The arguments they were parsed from, to quote a bad one.
 * @throws {UsageError} A level out of range, a long `--5`, or `-10`.
 */
export function levelOf(
  tokens: readonly LevelToken[],
  args: readonly string[],
): number {
  const isLevelFlag = (name: string | undefined) =>
    (LEVEL_FLAGS as readonly (string | undefined)[]).includes(name);
  let level = 6;
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    if (token.name === "store") level = 0;
    else if (token.name === "level") {
      level = parseWholeNumber("--level", token.value ?? "", 0, MAX_LEVEL);
    } else if (isLevelFlag(token.name)) {
      if (token.rawName !== `-${token.name}`) {
        throw new UsageError(`Unknown option "${token.rawName}"`);
      }
      // parseArgs reads -10 as -1 -0, which would silently store.
      if (
        tokens.some((other) =>
          other !== token && other.kind === "option" &&
          other.index === token.index && isLevelFlag(other.name)
        )
      ) {
        throw new UsageError(
          `Invalid option "${
            args[token.index]
          }": expected one deflate level from -0 to -9`,
        );
      }
      level = Number(token.name);
    }
  }
  return level;
}
