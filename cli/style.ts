// Colour on a terminal, by the conventions users set once for every tool, in Node's own order:
// FORCE_COLOR turns it on (0 or false: off) and takes precedence, NO_COLOR (https://no-color.org)
// turns it off, and otherwise a stream gets colour only when it is a terminal that is not
// TERM=dumb. A command's --no-color wins over all of them.
import { styleText } from "node:util";

export type Style = "red" | "green" | "yellow" | "cyan" | "magenta" | "bold" | "dim";

/** Paints text, or returns it unchanged when colour is off. */
export type Paint = (style: Style | readonly Style[], text: string) => string;

export const plain: Paint = (_style, text) => text;

const coloured: Paint = (style, text) =>
  // Newer Node versions check the stream themselves unless told not to; the decision is made here.
  text === "" ? text : styleText(style as Parameters<typeof styleText>[0], text, { validateStream: false });

export function paintFor(on: boolean): Paint {
  return on ? coloured : plain;
}

/** Whether output to a stream with this `isTTY` should be coloured, given the environment. */
export function wantsColour(isTTY: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env["FORCE_COLOR"];
  if (force !== undefined) return !["0", "false"].includes(force.toLowerCase());
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  return isTTY === true && env["TERM"] !== "dumb";
}

/** Colours a unified diff the way git does: headers bold, hunks cyan, removals red, additions green. */
export function paintDiff(diff: string, paint: Paint): string {
  if (paint === plain) return diff;
  return diff
    .split("\n")
    .map((l) =>
      /^(---|\+\+\+) /.test(l)
        ? paint("bold", l)
        : l.startsWith("@@")
          ? paint("cyan", l)
          : l.startsWith("-")
            ? paint("red", l)
            : l.startsWith("+")
              ? paint("green", l)
              : l,
    )
    .join("\n");
}
