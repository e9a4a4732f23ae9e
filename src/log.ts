import { pino, type Logger } from 'pino';
import { pinoPretty } from './lazy.ts';

/** The root logger: JSON lines by default (for log shippers), human-readable with format "pretty". */
export function createLogger(opts: { level: string; format: 'json' | 'pretty' }, destination?: NodeJS.WritableStream): Logger {
  const base = { level: opts.level, base: { app: 'healer' }, timestamp: pino.stdTimeFunctions.isoTime };
  if (opts.format === 'pretty') {
    return pino(base, pinoPretty()({ colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,app', destination: destination ?? 1 }));
  }
  return destination ? pino(base, destination) : pino(base);
}
