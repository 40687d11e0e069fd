/**
 * The password of `-e` / `--encrypt`: from `--password-file FILE`, else the
 * `ZIPSTREAM_PASSWORD` environment variable, else asked twice on the
 * terminal without echo. It is handed to `zip()` and nowhere else: never
 * printed, logged, or written to a checkpoint or the journal.
 *
 * @module
 */

import { CliError } from "./_cli_error.ts";
import { reason } from "./_walk.ts";

/** The environment variable that holds the password for `-e`. */
const PASSWORD_ENV = "ZIPSTREAM_PASSWORD";

const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const ENTER = new Set([LINE_FEED, CARRIAGE_RETURN]);
const BACKSPACE = new Set([0x08, 0x7f]);
const CTRL_C = 0x03;
const CTRL_D = 0x04;
const NEXT_LINE = /\r?\n/;

/** Where the password may come from. */
export interface PasswordSources {
  /** `--password-file FILE`. */
  passwordFile: string | undefined;
  /** Standard input carries data (`-`) or paths (`-@`): it cannot answer a prompt. */
  stdinTaken: boolean;
}

/**
 * The password to encrypt with.
 *
 * @throws {CliError} naming the source that failed: an unreadable or empty
 * file, or no source at all when standard input is not a terminal; the two
 * passwords typed differ.
 */
export async function readPassword(sources: PasswordSources): Promise<string> {
  const { passwordFile } = sources;
  if (passwordFile !== undefined) {
    let text: string;
    try {
      text = await Deno.readTextFile(passwordFile);
    } catch (error) {
      throw new CliError(
        `Cannot read the password file "${passwordFile}": ${reason(error)}`,
        { cause: error },
      );
    }
    // The first line, without its line ending, as `zip -P` users expect of
    // a file written by `echo`.
    const password = text.split(NEXT_LINE, 1)[0] ?? "";
    if (password === "") {
      throw new CliError(
        `Cannot encrypt with the password file "${passwordFile}": expected the password on its first line but the line is empty`,
      );
    }
    return password;
  }
  const fromEnv = Deno.env.get(PASSWORD_ENV);
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  if (sources.stdinTaken || !Deno.stdin.isTerminal()) {
    throw new CliError(
      `Cannot ask for the password: standard input is ${
        sources.stdinTaken ? "read for - or -@" : "not a terminal"
      }; give --password-file FILE or set ${PASSWORD_ENV}`,
    );
  }
  const terminal = new HiddenLines();
  const first = await terminal.read("Password: ");
  if (first === "") {
    throw new CliError("Cannot encrypt with an empty password: expected one");
  }
  const again = await terminal.read("Verify password: ");
  if (again !== first) {
    throw new CliError(
      "The passwords typed differ: expected the same password twice; nothing was written",
    );
  }
  return first;
}

/**
 * Lines read from the terminal in raw mode, so nothing typed is echoed; the
 * prompt and the final line break go to standard error, which stays on the
 * terminal when the archive goes to standard output. Bytes that came after
 * a line's end (both lines pasted at once) are kept for the next line.
 */
class HiddenLines {
  #ahead: number[] = [];
  /** The last line ended with a carriage return: a line feed next ends nothing. */
  #afterReturn = false;

  async read(text: string): Promise<string> {
    const encoder = new TextEncoder();
    const typed: number[] = [];
    const buffer = new Uint8Array(64);
    // Raw before the prompt shows: what is typed once it shows is not echoed.
    Deno.stdin.setRaw(true);
    try {
      await Deno.stderr.write(encoder.encode(text));
      for (;;) {
        const bytes = this.#ahead.length > 0
          ? this.#ahead.splice(0)
          : await this.#readSome(buffer);
        if (bytes === null) break;
        for (const [at, byte] of bytes.entries()) {
          const afterReturn = this.#afterReturn;
          this.#afterReturn = false;
          if (byte === LINE_FEED && afterReturn && typed.length === 0) continue;
          if (ENTER.has(byte)) {
            this.#afterReturn = byte === CARRIAGE_RETURN;
            this.#ahead = [...bytes.slice(at + 1)];
            return decodeTyped(typed);
          }
          if (byte === CTRL_C) {
            throw new CliError("Interrupted while reading the password", {
              exitCode: 130,
            });
          }
          // End of input on an empty line: the empty password, which is refused.
          if (byte === CTRL_D && typed.length === 0) return "";
          if (BACKSPACE.has(byte)) {
            // A UTF-8 character may take several bytes: drop its continuations too.
            while ((typed.at(-1)! & 0xc0) === 0x80) typed.pop();
            typed.pop();
          } else typed.push(byte);
        }
      }
      return decodeTyped(typed);
    } finally {
      Deno.stdin.setRaw(false);
      await Deno.stderr.write(encoder.encode("\n"));
    }
  }

  async #readSome(buffer: Uint8Array): Promise<number[] | null> {
    const count = await Deno.stdin.read(buffer);
    return count === null ? null : [...buffer.subarray(0, count)];
  }
}

function decodeTyped(typed: number[]): string {
  return new TextDecoder().decode(Uint8Array.from(typed));
}
