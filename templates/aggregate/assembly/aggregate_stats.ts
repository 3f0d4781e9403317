// aggregate_stats: sum, count and average of the numbers stored at the keys given as arguments.
//   WASM.CALL aggregate_stats price:1 price:2 price:3   ->  {"sum":60.5,"count":3,"avg":20.166666666666668}
// A key that is missing, or whose value is not a number, is skipped (and not counted).
import { args, keys, output } from "ferrite-wasm/sdk";

@json
class Stats {
  sum: f64 = 0;
  count: i32 = 0;
  avg: f64 = 0;
}

export function aggregate_stats(ptr: i32, len: i32): i32 {
  const stats = new Stats();
  const n = args.count();
  for (let i = 0; i < n; i++) {
    const value = keys.get(args.string(i)!);
    if (value === null || !isNumber(value)) continue;
    stats.sum += parseFloat(value);
    stats.count++;
  }
  stats.avg = stats.count > 0 ? stats.sum / <f64>stats.count : 0;
  output.json<Stats>(stats);
  return 0;
}

/** A decimal number as a whole: optional sign, digits with an optional fraction, optional exponent. */
function isNumber(text: string): bool {
  const s = text.trim();
  let i = 0;
  if (i < s.length && (s.charCodeAt(i) == 43 || s.charCodeAt(i) == 45)) i++; // + -
  let digits = 0;
  while (i < s.length && isDigit(s.charCodeAt(i))) { i++; digits++; }
  if (i < s.length && s.charCodeAt(i) == 46) { // .
    i++;
    while (i < s.length && isDigit(s.charCodeAt(i))) { i++; digits++; }
  }
  if (digits == 0) return false;
  if (i < s.length && (s.charCodeAt(i) | 32) == 101) { // e E
    i++;
    if (i < s.length && (s.charCodeAt(i) == 43 || s.charCodeAt(i) == 45)) i++;
    let exp = 0;
    while (i < s.length && isDigit(s.charCodeAt(i))) { i++; exp++; }
    if (exp == 0) return false;
  }
  return i == s.length;
}

function isDigit(c: i32): bool {
  return c >= 48 && c <= 57;
}
