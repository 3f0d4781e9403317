// The asc transform ferrite-wasm builds use (asconfig.json "transform"): json-as's, made
// deterministic. json-as reads JSON_* environment variables as build settings, so a variable
// left set in a user's shell would change the module (JSON_CACHE=true adds a 1 MiB string
// arena to every instance, JSON_MODE=SIMD needs the simd feature, JSON_WRITE writes files).
// They are pinned while json-as loads and runs. It also undoes json-as marking any file named
// assembly/index.ts as a library, which silently drops that entry file's exports.
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

/** json-as build settings, whatever the environment says (undefined: unset). */
const PINNED = {
  JSON_CACHE: "false",
  JSON_MODE: "SWAR",
  JSON_STRICT: "false",
  JSON_DEBUG: "0",
  JSON_WRITE: undefined,
  JSON_USE_FAST_PATH: "1",
  JSON_FAST_PATH_THROW: undefined,
  JSON_STAGES: undefined,
};

function pin() {
  const saved = {};
  for (const [name, value] of Object.entries(PINNED)) {
    saved[name] = process.env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  return saved;
}

function restore(saved) {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

// json-as computes its settings once, when its module is first evaluated: pin around that.
const require = createRequire(import.meta.url);
const saved = pin();
let JsonTransform;
try {
  JsonTransform = (await import(pathToFileURL(require.resolve("json-as/transform")).href)).default;
} finally {
  restore(saved);
}

/** SourceKind.UserEntry in the AssemblyScript compiler. */
const USER_ENTRY = 1;

export default class FerriteJsonTransform extends JsonTransform {
  afterInitialize(program) {
    const saved = pin(); // JSON_MODE is read here, on every build
    try {
      return super.afterInitialize(program);
    } finally {
      restore(saved);
    }
  }

  async afterParse(parser) {
    const entries = parser.sources.filter((source) => source.sourceKind === USER_ENTRY);
    await super.afterParse(parser);
    for (const source of entries) source.sourceKind = USER_ENTRY;
  }
}
