// Redis glob patterns (KEYS, SCAN MATCH, CONFIG GET): * ? [abc] [^a] [a-z] and \ escapes.
// Works on latin1 strings, so it is exact for binary keys. Star backtracking is linear-ish,
// unlike the naive recursion that a hostile pattern can make exponential.

export function globMatch(pattern: string, s: string): boolean {
  let p = 0;
  let i = 0;
  let starP = -1;
  let starI = 0;
  while (i < s.length) {
    if (p < pattern.length) {
      if (pattern[p] === "*") {
        while (pattern[p] === "*") p++;
        if (p === pattern.length) return true;
        starP = p;
        starI = i;
        continue;
      }
      const next = matchOne(pattern, p, s[i]);
      if (next >= 0) {
        p = next;
        i++;
        continue;
      }
    }
    if (starP < 0) return false;
    p = starP;
    i = ++starI;
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}

/** Matches one character at pattern position p; returns the position after it, or -1. */
function matchOne(pattern: string, p: number, ch: string): number {
  const c = pattern[p];
  if (c === "?") return p + 1;
  if (c === "\\" && p + 1 < pattern.length) return pattern[p + 1] === ch ? p + 2 : -1;
  if (c !== "[") return c === ch ? p + 1 : -1;
  p++;
  const negate = pattern[p] === "^";
  if (negate) p++;
  let matched = false;
  while (p < pattern.length && pattern[p] !== "]") {
    if (pattern[p] === "\\" && p + 1 < pattern.length) {
      p++;
      if (pattern[p] === ch) matched = true;
    } else if (p + 2 < pattern.length && pattern[p + 1] === "-") {
      let lo = pattern.charCodeAt(p);
      let hi = pattern.charCodeAt(p + 2);
      if (lo > hi) [lo, hi] = [hi, lo];
      const code = ch.charCodeAt(0);
      if (code >= lo && code <= hi) matched = true;
      p += 2;
    } else if (pattern[p] === ch) {
      matched = true;
    }
    p++;
  }
  return matched !== negate ? p + 1 : -1;
}

/** A pattern checked often (a user's or a function's key patterns): the common shapes, a literal and
 * a literal followed by one `*`, become a compare or startsWith; anything else uses globMatch. */
export function compileGlob(pattern: string): (s: string) => boolean {
  const special = /[*?[\\]/;
  if (!special.test(pattern)) return (s) => s === pattern;
  const prefix = pattern.slice(0, -1);
  if (pattern.endsWith("*") && !special.test(prefix)) return prefix === "" ? () => true : (s) => s.startsWith(prefix);
  return (s) => globMatch(pattern, s);
}
