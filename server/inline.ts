// Inline commands ("PING\r\n", typed into telnet or nc): split like Redis's sdssplitargs, with
// "double quotes" (\n \r \t \b \a \\ \" \xHH escapes) and 'single quotes' (\' only).
// Works on a latin1 string so every byte survives; returns null on unbalanced quotes.

const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", b: "\b", a: "\x07" };
const isSpace = (c: string | undefined) => c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\v" || c === "\f";
const HEX = /^[0-9a-fA-F]{2}$/;

export function splitArgs(line: string): Buffer[] | null {
  const out: Buffer[] = [];
  let i = 0;
  for (;;) {
    while (isSpace(line[i])) i++;
    if (i >= line.length) return out;
    let cur = "";
    let inDq = false;
    let inSq = false;
    for (;;) {
      const c = line[i];
      if (inDq) {
        if (c === undefined) return null;
        if (c === "\\" && line[i + 1] === "x" && HEX.test(line.slice(i + 2, i + 4))) {
          cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === "\\" && line[i + 1] !== undefined) {
          i++;
          cur += ESCAPES[line[i]] ?? line[i];
        } else if (c === '"') {
          if (line[i + 1] !== undefined && !isSpace(line[i + 1])) return null; // closing quote must end the token
          inDq = false;
          i++;
          break;
        } else cur += c;
      } else if (inSq) {
        if (c === undefined) return null;
        if (c === "\\" && line[i + 1] === "'") {
          i++;
          cur += "'";
        } else if (c === "'") {
          if (line[i + 1] !== undefined && !isSpace(line[i + 1])) return null;
          inSq = false;
          i++;
          break;
        } else cur += c;
      } else {
        if (c === undefined || isSpace(c)) break;
        if (c === '"') inDq = true;
        else if (c === "'") inSq = true;
        else cur += c;
      }
      i++;
    }
    out.push(Buffer.from(cur, "latin1"));
  }
}
