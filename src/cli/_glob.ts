/**
 * The `--exclude GLOB` matcher.
 *
 * @module
 */

/**
 * Translates a shell glob into a regular expression over archive names:
 * `*` and `?` stay within one path segment, `**` crosses segments, `[...]`
 * is a character class (`[!...]` negated), and `\` escapes the next character.
 */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] as string;
    if (char === "*") {
      if (glob[i + 1] === "*") {
        i++;
        // "**/" also matches no directory at all, as in gitignore.
        if (glob[i + 1] === "/") {
          i++;
          source += "(?:.*/)?";
        } else {
          source += ".*";
        }
      } else {
        source += "[^/]*";
      }
    } else if (char === "?") {
      source += "[^/]";
    } else if (char === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end === -1) {
        source += "\\[";
        continue;
      }
      let body = glob.slice(i + 1, end);
      const negated = body.startsWith("!") || body.startsWith("^");
      if (negated) body = body.slice(1);
      source += `[${negated ? "^" : ""}${body.replaceAll("\\", "\\\\")}]`;
      i = end;
    } else if (char === "\\" && i + 1 < glob.length) {
      i++;
      source += escapeRegExp(glob[i] as string);
    } else {
      source += escapeRegExp(char);
    }
  }
  return new RegExp(`^${source}$`, "u");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * Decides which archive names `--exclude` removes. A glob without `/` matches
 * any single path segment (so `node_modules` or `*.log` work at every depth,
 * like `.gitignore`); a glob with `/` matches the whole name.
 */
export class Excluder {
  #whole: RegExp[] = [];
  #segment: RegExp[] = [];

  constructor(globs: readonly string[]) {
    for (const glob of globs) {
      const trimmed = glob.replace(/\/+$/, "");
      if (trimmed.includes("/")) {
        this.#whole.push(globToRegExp(trimmed.replace(/^\.\//, "")));
      } else {
        this.#segment.push(globToRegExp(trimmed));
      }
    }
  }

  /** Whether the entry named `name` (a directory's without its trailing `/`) is excluded. */
  excludes(name: string): boolean {
    if (this.#whole.some((pattern) => pattern.test(name))) return true;
    if (this.#segment.length === 0) return false;
    const base = name.slice(name.lastIndexOf("/") + 1);
    return this.#segment.some((pattern) => pattern.test(base));
  }
}

/**
 * Decides which archive names `--include` keeps: with no glob, every name;
 * otherwise the names a glob matches, by the same rules as {@linkcode Excluder}.
 */
export class Includer {
  #globs: Excluder;
  #all: boolean;

  constructor(globs: readonly string[]) {
    this.#globs = new Excluder(globs);
    this.#all = globs.length === 0;
  }

  /** Whether the entry named `name` (a directory's without its trailing `/`) is kept. */
  includes(name: string): boolean {
    return this.#all || this.#globs.excludes(name);
  }
}
