import type { Readable } from 'node:stream';

/** Reads a stream to its end, keeping at most `max` bytes, rejecting when the signal aborts. */
export function readBounded(stream: Readable, signal: AbortSignal, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onAbort = (): void => {
      stream.destroy();
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (c: Buffer) => {
      if (size < max) chunks.push(c.subarray(0, max - size));
      size += c.length;
    });
    stream.once('error', (e) => {
      signal.removeEventListener('abort', onAbort);
      reject(e);
    });
    stream.once('end', () => {
      signal.removeEventListener('abort', onAbort);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** Docker multiplexes stdout/stderr of containers without a TTY in 8-byte-header frames; TTY output is raw. */
export function demux(buf: Buffer): string {
  const framed = buf.length >= 8 && buf[0] !== undefined && buf[0] <= 2 && buf[1] === 0 && buf[2] === 0 && buf[3] === 0;
  if (!framed) return buf.toString('utf8');
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const size = buf.readUInt32BE(at + 4);
    parts.push(buf.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

/**
 * Reads a container's log output to its end, keeping only its last `max` bytes: a log's tail of a few
 * lines can still be huge (an app that logs one line of megabytes), and alerts want the newest lines.
 * Multiplexed frames (no TTY) are taken apart as they come, so what is kept is output, not frames.
 * `cut`: older output was left out (the first line kept may be a part of one).
 */
export function readTail(stream: Readable, signal: AbortSignal, max: number): Promise<{ text: string; cut: boolean }> {
  return new Promise((resolve, reject) => {
    const kept: Buffer[] = [];
    let size = 0;
    let cut = false;
    let framed: boolean | undefined;
    let head = Buffer.alloc(0); // the start of the output (to tell framing) or of a frame's header
    let left = 0; // bytes of the current frame's payload still to come
    const keep = (b: Buffer): void => {
      if (b.length === 0) return;
      kept.push(b);
      size += b.length;
      for (let first = kept[0]; first && size - first.length >= max; first = kept[0]) {
        kept.shift();
        size -= first.length;
        cut = true;
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
      const tail = all.length > max ? all.subarray(all.length - max) : all;
      resolve({ text: tail.toString('utf8'), cut: cut || all.length > max });
    });
  });
}
