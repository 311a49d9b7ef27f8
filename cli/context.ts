// What every command gets: where to print, where it runs, and how to report its exit code.
// Commands never call process.exit: main() owns exit codes (0 ok, 1 pipeline errors or stale
// output, 2 usage or internal error), which keeps every command testable in-process. With
// --detailed-exitcode, 2 means "changes", so there main() reports usage and internal errors as 1.
import type { Command } from "commander";

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  readonly cwd: string;
  /** Whether each stream may be coloured (NO_COLOR, FORCE_COLOR, a terminal); default neither. */
  readonly colour?: { readonly out: boolean; readonly err: boolean };
  /** Whether stdout is a terminal: progress goes to stderr when it is not (default: not). */
  readonly outIsTTY?: boolean;
  /** All of standard input, for arguments given as `-` (default: the process's stdin). */
  readonly readStdin?: () => Promise<string>;
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

/** The help of every command's --env option. */
export const ENV_OPTION_HELP = "the environment of a pipeline with environments: (default: the one marked default: true, or the only one)";
export const LAKE_OPTION_HELP = `the local lake folder (default: ${DEFAULT_LAKE}, or ${DEFAULT_LAKE}/<env> for a pipeline with environments:)`;

/** `--lake` when given, else `.lake/<env>` for an environment (each has its own lake, state and saved plans), else `.lake`. */
export function lakeFolder(lake: string | undefined, environment: string | undefined): string {
  if (lake !== undefined) return lake;
  return environment === undefined ? DEFAULT_LAKE : `${DEFAULT_LAKE}/${environment}`;
}
