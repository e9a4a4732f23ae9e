import type { Action } from './state-machine.ts';
import { isoTime } from '../iso-time.ts';

/** The log line for a decision: level, message, and the fields a reader (or a log query) needs. */
export function describeAction(a: Action): { level: 'info' | 'warn' | 'error'; msg: string; fields: Record<string, unknown> } | undefined {
  switch (a.type) {
    case 'notify':
      switch (a.event) {
        case 'recovered':
          return { level: 'info', msg: 'container recovered', fields: { event: a.event, recoveryMs: a.recoveryMs } };
        case 'ready':
          return { level: 'info', msg: 'container ready', fields: { event: a.event } };
        case 'died':
          if (a.exitCode === 0 && a.oom !== true) return { level: 'info', msg: 'container exited cleanly (code 0); not alerted', fields: { event: a.event, exitCode: 0, reason: a.reason } };
          return { level: 'warn', msg: 'container died', fields: { event: a.event, exitCode: a.exitCode, oom: a.oom, reason: a.reason } };
        case 'crashloop':
          return { level: 'error', msg: 'crash loop', fields: { event: a.event, reason: a.reason } };
        case 'held':
          return { level: 'warn', msg: 'restart held by a failing dependency', fields: { event: a.event, reason: a.reason } };
        case 'restart_failed':
          return { level: 'error', msg: a.failed === 'stop' ? 'quarantine stop failed' : 'restart failed', fields: { event: a.event, reason: a.reason } };
        default:
          return { level: 'warn', msg: `container ${a.event.replace('_', ' ')}`, fields: { event: a.event, reason: a.reason } };
      }
    case 'withheld':
      return { level: 'warn', msg: `${a.why}: would ${a.would} the container`, fields: { would: a.would, why: a.why, reason: a.reason } };
    case 'wake':
      return { level: 'info', msg: 'backing off before the next restart', fields: { until: isoTime(a.at), reason: a.reason } };
    case 'restart':
    case 'start':
    case 'stop':
    case 'replace':
      return { level: 'warn', msg: `decided to ${a.type}`, fields: { decision: a.type, reason: a.reason } };
  }
}
