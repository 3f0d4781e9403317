// Runs once before any test file: builds dist/ (the CLI bundle the CLI tests run) when its sources
// changed, so parallel test files never race to build it.
import { ensureCliBuilt } from "./cli/helpers/cli.js";

export default async function setup(): Promise<void> {
  await ensureCliBuilt();
}
