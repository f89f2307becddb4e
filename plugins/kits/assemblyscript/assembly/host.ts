// Host functions an agentshape plugin may use: the agentshape.log import and
// WASI randomness. Nothing else is imported (ABI v1 refuses other imports).

// @ts-ignore: decorator
@external("agentshape", "log")
declare function hostLog(level: i32, ptr: usize, len: i32): void;

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "random_get")
declare function wasiRandomGet(buf: usize, len: usize): u16;

/** Log levels understood by agentshape.log. */
export enum Level {
  Debug = 0,
  Info = 1,
  Warn = 2,
  Error = 3,
}

/** Sends message to the host's log at level, tagged with the plugin's name. */
export function log(level: Level, message: string): void {
  const buf = String.UTF8.encode(message);
  hostLog(<i32>level, changetype<usize>(buf), buf.byteLength);
}

/** Logs at debug level. */
export function debug(message: string): void { log(Level.Debug, message); }
/** Logs at info level. */
export function info(message: string): void { log(Level.Info, message); }
/** Logs at warn level. */
export function warn(message: string): void { log(Level.Warn, message); }
/** Logs at error level. */
export function error(message: string): void { log(Level.Error, message); }

/**
 * Returns n random bytes from the host (WASI random_get). In the host's
 * deterministic mode they come from a seeded generator, so tests repeat.
 * Use this instead of Math.random, which would import env.seed.
 */
export function randomBytes(n: i32): Uint8Array {
  const out = new Uint8Array(n);
  if (n > 0) {
    const errno = wasiRandomGet(out.dataStart, <usize>n);
    if (errno != 0) abort("random_get failed with WASI errno " + errno.toString());
  }
  return out;
}

const HEXDIGITS = "0123456789abcdef";

/** Returns a random RFC 4122 version 4 UUID in its canonical text form. */
export function randomUUID(): string {
  const b = randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  let s = "";
  for (let i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += "-";
    s += HEXDIGITS.charAt(b[i] >> 4);
    s += HEXDIGITS.charAt(b[i] & 15);
  }
  return s;
}

/**
 * The kit's abort handler. The build routes AssemblyScript's abort here
 * (asc --use abort=...), so a failed assertion or a bad cast is logged at
 * error level and then traps, instead of importing env.abort.
 */
export function abortHandler(message: string | null = null, fileName: string | null = null, line: u32 = 0, column: u32 = 0): void {
  let text = "abort: " + (message === null ? "(no message)" : message);
  if (fileName !== null) text += " at " + fileName + ":" + line.toString() + ":" + column.toString();
  log(Level.Error, text);
  unreachable();
}
