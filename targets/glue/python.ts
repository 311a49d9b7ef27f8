// Python literals for generated scripts; every string goes through pyStr (targets/text-escape.ts).
import { pyStr } from "../text-escape.js";

export { pyStr };

export type PyValue = string | number | boolean | null | readonly PyValue[] | { readonly [key: string]: PyValue };

/** Multi-line text as adjacent string literals in parentheses, one source line per text line. */
export function pyLines(text: string, indent = 0): string {
  const lines = text.split("\n");
  const pad = " ".repeat(indent + 4);
  const parts = lines.map((line, i) => `${pad}${pyStr(i < lines.length - 1 ? `${line}\n` : line)}`);
  return `(\n${parts.join("\n")}\n${" ".repeat(indent)})`;
}

/** A Python literal, indented like black would, one entry per line for readable diffs. */
export function pyLiteral(value: PyValue, indent = 0): string {
  const pad = " ".repeat(indent + 4);
  const end = " ".repeat(indent);
  if (value === null) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`cannot print ${value} as a Python literal`);
    return String(value);
  }
  if (typeof value === "string") return value.includes("\n") ? pyLines(value, indent) : pyStr(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[\n${value.map((v: PyValue) => `${pad}${pyLiteral(v, indent + 4)},\n`).join("")}${end}]`;
  }
  const entries = Object.entries(value as { readonly [key: string]: PyValue });
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([k, v]) => `${pad}${pyStr(k)}: ${pyLiteral(v, indent + 4)},\n`).join("")}${end}}`;
}
