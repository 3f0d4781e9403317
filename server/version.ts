// The package version (the runtime finds it: from the source tree, the package and the bundle alike).
import { toolkitVersion } from "../runtime-sim/host.js";

export const serverVersion = toolkitVersion;

/** What INFO reports as redis_version: clients that gate features on it expect Redis 7 semantics. */
export const REDIS_COMPAT_VERSION = "7.2.0";
