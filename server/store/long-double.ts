// INCRBYFLOAT's arithmetic as Redis does it: the operands parsed as decimals, rounded to an x87
// long double (64-bit mantissa), added, rounded again, and printed with %.17Lf minus trailing zeros.
// Exact BigInt arithmetic on the binary values gives Redis's digits, not a double's (0.1 + 0.2 is 0.3).

/** A float as Redis's string2ld takes it: decimal or exponent form; no spaces, no hex. */
const FLOAT = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/;
const INF = /^[+-]?inf(inity)?$/i;

/** An exact decimal: m * 10^e. */
export interface Decimal {
  m: bigint;
  e: number;
}

/** Parses a float argument exactly; "inf" gives null's sibling `Infinity`, junk gives null. */
export function parseDecimal(text: string): Decimal | "inf" | null {
  if (INF.test(text)) return "inf";
  const m = FLOAT.exec(text);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) return null;
  const frac = m[3] ?? "";
  const exp = Number(m[4] ?? "0") - frac.length;
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > 5000) return null;
  const digits = BigInt((m[2] || "0") + frac);
  return { m: m[1] === "-" ? -digits : digits, e: exp };
}

/** An x87 long double (what Redis computes INCRBYFLOAT in): M * 2^E with a 64-bit M. */
interface LongDouble {
  m: bigint; // signed; |m| in [2^63, 2^64) or 0
  e: number;
}

const bitLength = (n: bigint): number => (n === 0n ? 0 : n.toString(2).length);

/** round-half-even(num / den), den > 0. */
function divRound(num: bigint, den: bigint): bigint {
  const neg = num < 0n;
  const a = neg ? -num : num;
  let q = a / den;
  const r2 = (a % den) * 2n;
  if (r2 > den || (r2 === den && q % 2n === 1n)) q += 1n;
  return neg ? -q : q;
}

/** The long double nearest to num / den. */
function toLongDouble(num: bigint, den: bigint): LongDouble {
  if (num === 0n) return { m: 0n, e: 0 };
  const abs = num < 0n ? -num : num;
  let e = bitLength(abs) - bitLength(den) - 64;
  for (;;) {
    const m = e >= 0 ? divRound(num, den << BigInt(e)) : divRound(num << BigInt(-e), den);
    const bits = bitLength(m < 0n ? -m : m);
    if (bits > 64) e++;
    else if (bits < 64) e--;
    else return { m, e };
  }
}

function decimalToLongDouble(d: Decimal): LongDouble {
  return d.e >= 0 ? toLongDouble(d.m * 10n ** BigInt(d.e), 1n) : toLongDouble(d.m, 10n ** BigInt(-d.e));
}

/** printf("%.17Lf") then Redis's trimming of trailing zeros (and "-0" to "0"). */
function printLongDouble(v: LongDouble): string {
  const scaled = v.e >= 0 ? v.m * 10n ** 17n * (1n << BigInt(v.e)) : divRound(v.m * 10n ** 17n, 1n << BigInt(-v.e));
  const neg = scaled < 0n;
  const digits = (neg ? -scaled : scaled).toString().padStart(18, "0");
  const int = digits.slice(0, -17);
  const frac = digits.slice(-17).replace(/0+$/, "");
  const text = (neg ? "-" : "") + int + (frac ? `.${frac}` : "");
  return text === "-0" ? "0" : text;
}

/** INCRBYFLOAT's sum as Redis computes and prints it; null when it is infinite. */
export function addDecimals(a: Decimal, b: Decimal): string | null {
  const x = decimalToLongDouble(a);
  const y = decimalToLongDouble(b);
  const e = Math.min(x.e, y.e);
  const sum = (x.m << BigInt(x.e - e)) + (y.m << BigInt(y.e - e));
  const v = e >= 0 ? toLongDouble(sum << BigInt(e), 1n) : toLongDouble(sum, 1n << BigInt(-e));
  if (v.m !== 0n && v.e + 64 > 16384) return null; // past LDBL_MAX
  return printLongDouble(v);
}

