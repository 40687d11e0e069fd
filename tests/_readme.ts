/**
 * README.md's fenced code blocks, for the tests that run its examples as
 * written (in Deno, and from the npm package in Node and Bun).
 *
 * @module
 */

/** README.md's text, read once. */
export const README: string = await Deno.readTextFile(
  new URL("../README.md", import.meta.url),
);

/** One fenced block of README.md: its language tag and its text. */
export interface Block {
  lang: string;
  code: string;
}

/** Every fenced block of README.md, in order. */
export function blocks(): Block[] {
  return [...README.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({
    lang: match[1] ?? "",
    code: match[2] ?? "",
  }));
}

/** The text of README.md's blocks tagged `lang` (`ts`, `sh`, `text`), in order. */
export function blocksOf(lang: string): string[] {
  return blocks().filter((block) => block.lang === lang).map((block) =>
    block.code
  );
}
