#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm ci` through `prepare`).
// The AWS SDK warns on every command that Node 20 support ends; lakec pins SDK releases that
// still support it (package.json), so the warning is noise for users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
// A reader that stops early (`lakec query … | head`) closes the pipe: that is not an error, so
// stop quietly with 0 instead of crashing on EPIPE with a stack trace.
process.stdout.on("error", (e) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});
const { main } = await import("../dist/cli/main.js");

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    console.error(`lakec: internal error: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  },
);
