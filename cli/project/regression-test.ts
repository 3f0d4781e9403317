// `ferrite-wasm replay --save PATH`: a failed call kept as a vitest test of the project. It replays
// the call (its arguments, what it read, the time, random and http answers it got) on the function
// as built now, so it fails while the function still fails that call and passes once it is fixed.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { FailedCallJSON } from "../../runtime-sim/index.js";
import { CliError } from "../shared/errors.js";
import { loadManifest } from "./manifest.js";

export async function saveRegressionTest(file: string, record: FailedCallJSON, from: string): Promise<string> {
  const manifest = loadManifest(path.dirname(path.resolve(file)));
  if (!manifest.functions.some((f) => f.name === record.function)) {
    throw new CliError(
      "ERR_USAGE",
      `'${record.function}' is not a function of ${path.relative(process.cwd(), manifest.path) || manifest.path}`,
      "save the test inside the project that builds this function",
    );
  }
  if (!/\.test\.[cm]?[jt]s$/.test(file)) {
    throw new CliError("ERR_USAGE", `${file} would not be run as a test`, "name it *.test.ts, e.g. test/regressions/share-failure.test.ts");
  }
  const target = path.resolve(file);
  let root = path.relative(path.dirname(target), manifest.root).split(path.sep).join("/");
  root = root === "" ? "./" : `${root}/`;
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, testSource(record, root, from));
  return target;
}

function testSource(record: FailedCallJSON, root: string, from: string): string {
  const errorLines = (record.error.reply ?? record.error.message).split("\n").map((l) => `//   ${l}`).join("\n");
  const title = `${record.function} handles the call that failed on the server (${record.id ?? record.time})`;
  return `// Saved by \`ferrite-wasm replay ${record.function}${record.id ? ` ${record.id}` : ""} --save\` from a call that failed on
// ${from} at ${record.time} (version ${record.version ?? "?"}, sha256 ${record.sha256.slice(0, 12)}…) with:
${errorLines}
// It replays that call on the function as built now: the same arguments, the keys it read
// seeded into the store, and the time, random and http answers it got. It fails while the
// function still fails this call, and passes once the function handles it.
import { expect, test } from "vitest";
import { loadProject } from "ferrite-wasm/project";
import { replayFailedCall, type FailedCallJSON } from "ferrite-wasm/testing";

const failed: FailedCallJSON = ${JSON.stringify(record, null, 2)};

test(${JSON.stringify(title)}, async () => {
  const project = await loadProject(new URL(${JSON.stringify(root)}, import.meta.url), { functions: [failed.function] });
  const result = replayFailedCall(project.rt, failed);
  expect(result.error?.reply ?? null, "the replayed call still fails").toBeNull();
});
`;
}
