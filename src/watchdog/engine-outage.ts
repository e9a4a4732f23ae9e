import type { Logger } from 'pino';
import type { AlertSink } from './actor.ts';
import { hostAlert } from './alert-input.ts';
import type { Clock } from './clock.ts';
import type { HistorySink } from './history.ts';

/** Where an engine outage and its end are said: alerts, the log, the status page's history. */
export interface OutageDeps {
  readonly alerter: AlertSink;
  readonly log: Logger;
  readonly history: HistorySink;
  readonly clock: Clock;
}

/** The event stream broke (`wasReachable`: the engine answered until now). */
export function engineLost(d: OutageDeps, err: Error, wasReachable: boolean): void {
  // Said once per outage (and alerted); every further failed reconnect attempt only at debug.
  if (wasReachable) {
    d.alerter.emit(hostAlert('docker_unreachable', `the event stream broke: ${err.message}; no action until the engine is back`));
    d.log.error({ err: err.message }, 'docker engine unreachable; no action until it is back');
    d.history.transition({ at: d.clock.now(), container: '', event: 'engine_unreachable', reason: err.message });
  } else d.log.debug({ err: err.message }, 'docker engine still unreachable');
}

/** Reconnected after an outage and resynchronised, with `watched` containers: alerted and in the history. */
export function engineBack(d: OutageDeps, watched: number): void {
  d.alerter.emit(hostAlert('docker_reconnected', `reconnected and resynchronised: ${watched} containers watched`));
  d.history.transition({ at: d.clock.now(), container: '', event: 'engine_reconnected', reason: `${watched} containers watched` });
}
