// What a slow log entry keeps of a command, exactly as Redis's slowlog.c keeps it: at most 32
// arguments (the 32nd then says how many more there were), each string cut at 128 bytes with a note
// of how many more bytes it had. Copies: the originals are slices of a socket chunk.

export const SLOWLOG_ENTRY_MAX_ARGC = 32;
export const SLOWLOG_ENTRY_MAX_STRING = 128;

export function slowlogArgs(args: readonly Uint8Array[]): Buffer[] {
  const argc = args.length;
  const kept = Math.min(argc, SLOWLOG_ENTRY_MAX_ARGC);
  const out: Buffer[] = [];
  for (let j = 0; j < kept; j++) {
    if (kept !== argc && j === kept - 1) {
      out.push(Buffer.from(`... (${argc - kept + 1} more arguments)`));
      break;
    }
    const a = args[j];
    if (a.byteLength > SLOWLOG_ENTRY_MAX_STRING) {
      out.push(Buffer.concat([a.subarray(0, SLOWLOG_ENTRY_MAX_STRING), Buffer.from(`... (${a.byteLength - SLOWLOG_ENTRY_MAX_STRING} more bytes)`)]));
    } else out.push(Buffer.from(a));
  }
  return out;
}
