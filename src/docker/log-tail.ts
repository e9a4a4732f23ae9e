import type { Readable } from 'node:stream';

/**
 * How much of the newest line's start is remembered while its end is kept: when that line alone is
 * longer than the whole tail kept (a crash dumped as one JSON line), its start ('fatal: ...') is what
 * tells the on-call why the container died, and its end alone would be dropped as a part of a line.
 */
const LINE_START_BYTES = 2048;

/** Characters of such a line's start given (alerts cut each line at 500: the '…' that says it is cut stays). */
const LINE_START_CHARS = 499;

/** What readTail kept. */
interface Tail {
  /** The last bytes of the output (at most `max`), decoded. */
  readonly text: string;
  /** The first line of `text` is a part of one (its start was left out); not set when it starts at a line's start. */
  readonly cut: boolean;
  /** The newest line's start, when all of `text` is that line's end (the line began before what is kept). */
  readonly newestStart: string | undefined;
}

/**
 * Reads a container's log output to its end, keeping only its last `max` bytes: a log's tail of a few
 * lines can still be huge (an app that logs one line of megabytes), and alerts want the newest lines.
 * Multiplexed frames (no TTY) are taken apart as they come, so what is kept is output, not frames.
 */
export function readTail(stream: Readable, signal: AbortSignal, max: number): Promise<Tail> {
  return new Promise((resolve, reject) => {
    const kept: Buffer[] = [];
    let size = 0;
    let dropped = false;
    let atLine = true; // what is kept starts at a line's start (the last byte dropped was a newline)
    let framed: boolean | undefined;
    let head = Buffer.alloc(0); // the start of the output (to tell framing) or of a frame's header
    let left = 0; // bytes of the current frame's payload still to come
    let lineStart = Buffer.alloc(0); // the start of the line in progress
    let newest = Buffer.alloc(0); // the start of the last line with anything in it
    const note = (b: Buffer): void => {
      for (let from = 0; ; ) {
        const nl = b.indexOf(0x0a, from);
        const end = nl < 0 ? b.length : nl;
        if (end > from && lineStart.length < LINE_START_BYTES) {
          lineStart = Buffer.concat([lineStart, b.subarray(from, Math.min(end, from + LINE_START_BYTES - lineStart.length))]);
        }
        if (lineStart.length > 0) newest = lineStart;
        if (nl < 0) return;
        lineStart = Buffer.alloc(0);
        from = nl + 1;
      }
    };
    const keep = (b: Buffer): void => {
      if (b.length === 0) return;
      note(b);
      kept.push(b);
      size += b.length;
      for (let first = kept[0]; first && size - first.length >= max; first = kept[0]) {
        kept.shift();
        size -= first.length;
        dropped = true;
        atLine = first[first.length - 1] === 0x0a;
      }
    };
    const take = (c: Buffer): void => {
      if (framed === undefined) {
        head = Buffer.concat([head, c]);
        if (head.length < 8) return;
        framed = head[0] !== undefined && head[0] <= 2 && head[1] === 0 && head[2] === 0 && head[3] === 0;
        c = head;
        head = Buffer.alloc(0);
      }
      if (!framed) return keep(c);
      let at = 0;
      while (at < c.length) {
        if (left > 0) {
          const n = Math.min(left, c.length - at);
          keep(c.subarray(at, at + n));
          left -= n;
          at += n;
          continue;
        }
        const need = 8 - head.length;
        head = Buffer.concat([head, c.subarray(at, at + need)]);
        at += need;
        if (head.length < 8) return;
        left = head.readUInt32BE(4);
        head = Buffer.alloc(0);
      }
    };
    const onAbort = (): void => {
      stream.destroy();
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (c: Buffer | string) => take(Buffer.isBuffer(c) ? c : Buffer.from(c)));
    stream.once('error', (e) => {
      signal.removeEventListener('abort', onAbort);
      reject(e);
    });
    stream.once('end', () => {
      signal.removeEventListener('abort', onAbort);
      if (framed === undefined) keep(head); // less than a header's worth of raw output
      const all = Buffer.concat(kept);
      const over = all.length - max;
      const tail = over > 0 ? all.subarray(over) : all;
      const cut = over > 0 ? all[over - 1] !== 0x0a : dropped && !atLine;
      const nl = tail.indexOf(0x0a);
      const oneLine = nl < 0 || nl === tail.length - 1;
      resolve({ text: tail.toString('utf8'), cut, newestStart: cut && oneLine ? newest.toString('utf8') : undefined });
    });
  });
}

/**
 * The last `tail` lines of a log read by readTail: a line cut at its start is left out, unless it is the
 * newest line, which is given by its start, marked cut with '…' (an alert never loses the crash's own line
 * for being long).
 */
export async function tailLines(read: Promise<Tail>, tail: number): Promise<string[]> {
  const { text, cut, newestStart } = await read;
  const lines = text.split('\n');
  if (cut) lines.shift(); // a part of a line
  const whole = lines.filter((l) => l !== '');
  if (newestStart !== undefined) whole.push(`${newestStart.slice(0, LINE_START_CHARS)}…`);
  return whole.slice(-tail);
}
