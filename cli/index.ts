// The ferrite-wasm command line: registers the commands, one file each in cli/commands/.
// To add one: export a factory returning a commander Command from its file, and list it below.
import { buildCommand } from "./commands/build.js";
import { callCommand } from "./commands/call.js";
import { checkCommand } from "./commands/check.js";
import { newCommand } from "./commands/new.js";
import { testCommand } from "./commands/test.js";
import { rollbackCommand } from "./commands/rollback.js";
import { versionsCommand } from "./commands/versions.js";
import { devCommand } from "./commands/dev.js";
import { serveCommand } from "./commands/serve.js";
import { deployCommand } from "./commands/deploy.js";
import { listCommand } from "./commands/list.js";
import { infoCommand } from "./commands/info.js";
import { statsCommand } from "./commands/stats.js";
import { updateCommand } from "./commands/update.js";
import { reloadCommand } from "./commands/reload.js";
import { unloadCommand } from "./commands/unload.js";
import { logsCommand } from "./commands/logs.js";
import { replayCommand } from "./commands/replay.js";
import { main, type CommandFactory } from "./program.js";
import { flushOutput } from "./shared/print.js";

/** Every command, in the order --help lists them. */
const COMMANDS: readonly CommandFactory[] = [newCommand, buildCommand, checkCommand, callCommand, testCommand,
  serveCommand, deployCommand, listCommand, infoCommand, statsCommand, updateCommand, reloadCommand, unloadCommand, versionsCommand, rollbackCommand, logsCommand, replayCommand, devCommand];

const code = await main(COMMANDS);
// process.exit drops what a pipe has not taken yet: a long reply or JSON document would be cut.
await flushOutput();
process.exit(code);
