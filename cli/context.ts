// What every command gets: where to print, where it runs, and how to report its exit code.
// Commands never call process.exit: main() owns exit codes (0 ok, 1 pipeline errors or stale
// output, 2 usage or internal error), which keeps every command testable in-process.
import type { Command } from "commander";

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  readonly cwd: string;
}

export interface CliContext {
  readonly io: CliIO;
  /** Records the command's exit code; the worst code wins when called more than once. */
  exit(code: 0 | 1 | 2): void;
}

/** Each command file exports one of these; main.ts lists them. */
export type RegisterCommand = (program: Command, ctx: CliContext) => void;

/** A user mistake that is not about a pipeline's content (a missing file, a bad flag value). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * A condition the user can fix that stopped the command (a bad option value, a lake in use, a
 * file name lakec cannot carry): one line, exit 1, never "internal error".
 */
export class UserError extends Error {
  override readonly name = "UserError";
}

/** The lake folder every command uses unless given `--lake`. */
export const DEFAULT_LAKE = ".lake";
