// npm run bench: every benchmark, each printing its numbers beside a baseline measured in the same run.
await import("./call.js");
await import("./observability.js");
// Builds the validate template in three languages (cargo needs a minute on a cold target): --no-lang skips it.
if (!process.argv.includes("--no-lang")) await import("./lang.js");
if (process.argv.includes("--no-server")) process.exit(0);
await import("./load.js");
await import("./server.js").catch((e) => {
  if ((e as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND") return;
  throw e;
});
await import("./scale.js").catch((e) => {
  if ((e as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND") return;
  throw e;
});
await import("./acl.js");
