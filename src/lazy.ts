import { createRequire } from 'node:module';
import type * as CronParser from 'cron-parser';
import type PinoPretty from 'pino-pretty';

/**
 * Dependencies most hosts never use, loaded the first time they are needed rather than at start-up:
 * cron-parser (with luxon, ~5 MB resident, and ~9 MB more once it formats a date through ICU) only for
 * cron `schedule`s, pino-pretty (~2.5 MB) only for `log.format: pretty`. Both are CommonJS, so a
 * synchronous require keeps config validation and logger creation synchronous. In the shipped bundle
 * (scripts/bundle.ts) these require() calls are bundled: the code is in the file, run on first use.
 */
const require = createRequire(import.meta.url);

let cronParser: typeof CronParser.CronExpressionParser | undefined;
export function cron(): typeof CronParser.CronExpressionParser {
  cronParser ??= (require('cron-parser') as typeof CronParser).CronExpressionParser;
  return cronParser;
}

export function pinoPretty(): typeof PinoPretty {
  return require('pino-pretty') as typeof PinoPretty;
}
