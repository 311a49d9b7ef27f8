// The one machine-output contract: every command that takes `--format json` (or `--json`)
// prints one JSON document on stdout, tagged with the contract's version and lakec's, with the
// pipeline's diagnostics in it and the command's own result under `result`. Usage and internal
// errors in JSON mode are documents too (ok: false, error), so a script never parses nothing.
import { Option, type Command } from "commander";
import type { Diagnostic } from "../compiler/diagnostics.js";
import type { CliContext } from "./context.js";
import { VERSION } from "./version.js";

/** Bumped when a field changes meaning or goes away; new fields do not bump it. */
export const OUTPUT_SCHEMA = "lakec-output/1";

export interface JsonDocument {
  readonly command: string;
  readonly ok: boolean;
  readonly diagnostics: readonly Diagnostic[];
  readonly result?: unknown;
  readonly error?: { readonly kind: "usage" | "failure" | "internal"; readonly message: string };
}

const RAW = "\u0000lakec-raw-result\u0000";

/** The document as text; `rawResult` is JSON text put in as is (exact numbers from DuckDB). */
export function jsonDocument(doc: JsonDocument, rawResult?: string): string {
  const { command, ok, diagnostics, error, result } = doc;
  const body = {
    schema: OUTPUT_SCHEMA,
    lakec: VERSION,
    command,
    ok,
    diagnostics,
    ...(error && { error }),
    result: rawResult === undefined ? (result ?? null) : RAW,
  };
  const text = JSON.stringify(body, null, 2);
  if (rawResult === undefined) return `${text}\n`;
  // `result` is the last key, so its placeholder is the last occurrence of the escaped marker.
  const marker = JSON.stringify(RAW);
  const at = text.lastIndexOf(marker);
  return `${text.slice(0, at)}${rawResult}${text.slice(at + marker.length)}\n`;
}

export function printJson(ctx: CliContext, doc: JsonDocument, rawResult?: string): void {
  ctx.io.out(jsonDocument(doc, rawResult));
}

export interface FormatFlags {
  format: string;
  json?: boolean;
}

/** Adds `--format <choices>` (first choice is the default) and `--json`, its shorthand. */
export function addFormatOptions(cmd: Command, choices: readonly string[]): Command {
  return cmd
    .addOption(new Option("--format <format>", "output format").choices([...choices]).default(choices[0]))
    .addOption(new Option("--json", "same as --format json (one JSON document on stdout)"));
}

export function formatOf(opts: FormatFlags): string {
  return opts.json ? "json" : opts.format;
}

/** Whether a command line asks for JSON output (used before or without parsing it). */
export function argvWantsJson(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === "--json" || a === "--format=json" || (a === "--format" && argv[i + 1] === "json"));
}
