// Time and randomness from the host, so a module never imports Date.now or env.seed.
// Date.now() would still become an `env.Date.now` import the host refuses: use now().

import { ferrite_now, ferrite_random } from "./bindings";

/** Milliseconds since the Unix epoch, from the host's clock (capability "time"). */
export function now(): i64 {
  return ferrite_now();
}

/** Uniform in [0, 1), from the host (capability "random"). */
export function random(): f64 {
  return ferrite_random();
}

/** Target of `--use seed=...`: Math.random is seeded from the host (capability "random"). */
export function ferriteSeed(): f64 {
  return ferrite_random();
}
