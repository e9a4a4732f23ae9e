import { pino, type Logger } from 'pino';
import { isoTime } from './iso-time.ts';
import { pinoPretty } from './lazy.ts';
import { printable } from './printable.ts';

/**
 * The root logger: JSON lines by default (for log shippers), human-readable with format "pretty". The time is
 * pino's isoTime, written by isoTime() (no local time-zone lookup per line).
 */
export function createLogger(opts: { level: string; format: 'json' | 'pretty' }, destination?: NodeJS.WritableStream): Logger {
  const base = { level: opts.level, base: { app: 'healer' }, timestamp: () => `,"time":"${isoTime(Date.now())}"` };
  if (opts.format === 'pretty') {
    // pino-pretty prints the message as written, and messages carry container names and label text:
    // control characters are escaped there (fields are JSON, escaped already).
    const messageFormat = (log: Record<string, unknown>, key: string): string => {
      const msg = log[key];
      return printable(typeof msg === 'string' ? msg : JSON.stringify(msg) ?? '');
    };
    return pino(base, pinoPretty()({ colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,app', destination: destination ?? 1, messageFormat }));
  }
  return destination ? pino(base, destination) : pino(base);
}
