/** What the Watchdog is built from: injected, so tests give fakes (clock, engine, Swarm view, resolver). */
import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/load.ts';
import type { SelfNetwork } from '../docker/address.ts';
import type { Engine } from '../docker/engine.ts';
import type { SwarmView } from '../docker/swarm-view.ts';
import type { PolledKind } from '../probes/index.ts';
import type { Lookup } from '../probes/pin.ts';
import type { Prober } from '../probes/types.ts';
import type { AlertSink } from './actor.ts';
import type { Clock } from './clock.ts';
import type { Observer } from './watch-types.ts';
import type { HistorySink } from './history.ts';
import type { StateFile } from './state-file.ts';

export interface WatchdogDeps {
  readonly engine: Engine;
  readonly loaded: LoadedConfig;
  readonly log: Logger;
  readonly clock: Clock;
  readonly probers: Readonly<Record<PolledKind, Prober>>;
  readonly self: { readonly ids: readonly string[]; readonly hostname: string };
  /** Where healer's own container is on the network, for resolving an empty probe host. */
  readonly selfNetwork?: SelfNetwork;
  readonly state: StateFile;
  readonly alerter: AlertSink;
  /** Where transitions and probe results are recorded for the status page; none by default. */
  readonly history?: HistorySink;
  /** Histograms for the metrics; per-container totals are read from the watches. */
  readonly observer?: Observer;
  /** The Swarm manager's view for `swarm.crashloops: cluster` (tests give a recording); the engine's by default. */
  readonly swarm?: Pick<SwarmView, 'leadership' | 'services' | 'tasks'>;
  /** The resolver for label probe hosts that are names (tests give their own); the system's by default. */
  readonly lookup?: Lookup;
}
