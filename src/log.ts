import { pino, type Logger } from 'pino';
import { isoTime } from './iso-time.ts';
import { pinoPretty } from './lazy.ts';
import { printable, printableJson } from './printable.ts';

/**
 * The root logger: JSON lines by default (for log shippers), human-readable with format "pretty". The time is
 * pino's isoTime, written by isoTime() (no local time-zone lookup per line).
 */
export function createLogger(opts: { level: string; format: 'json' | 'pretty' }, destination?: NodeJS.WritableStream): Logger {
  const base = { level: opts.level, base: { app: 'healer' }, timestamp: () => `,"time":"${isoTime(Date.now())}"` };
  if (opts.format === 'pretty') {
    // pino-pretty prints the message as written, and messages carry container names and label text:
    // control characters are escaped there. Fields (a compose service label on every container's line)
    // it writes as JSON, which leaves DEL, C1 controls, U+2028/2029 and bidi overrides raw: the whole
    // line is passed through printableJson, so label text reaches the terminal escaped wherever it is.
    const messageFormat = (log: Record<string, unknown>, key: string): string => {
      const msg = log[key];
      return printable(typeof msg === 'string' ? msg : JSON.stringify(msg) ?? '');
    };
    const pretty = pinoPretty().prettyFactory({ colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,app', messageFormat });
    const out = destination ?? pino.destination({ dest: 1, sync: false });
    // pino's logger.flush() flushes a destination that has flush (SonicBoom on stdout).
    const stream = {
      write: (line: string) => out.write(printableJson(pretty(line))),
      flush: (cb?: (err?: Error) => void) => ('flush' in out && typeof out.flush === 'function' ? out.flush(cb) : cb?.()),
    };
    return pino(base, stream);
  }
  return destination ? pino(base, destination) : pino(base);
}
