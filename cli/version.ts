// lakec's version, read from its package.json at run time (from cli/ in the sources and from
// dist/cli/ once built), so `--version` and the JSON output's tag cannot drift from the package.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

function findVersion(): string {
  for (let dir = import.meta.dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === "lakec" && pkg.version) return pkg.version;
  }
  return "0.0.0-unknown";
}

export const VERSION = findVersion();
