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
