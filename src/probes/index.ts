import type { Dispatcher } from 'undici';
import { Agent } from '../undici.ts';
import type { ProbeKind } from '../config/probe-spec.ts';
import type { Engine } from '../docker/engine.ts';
import { execProber } from './exec.ts';
import { httpProber } from './http.ts';
import { tcpProber } from './tcp.ts';
import type { Prober } from './types.ts';

/** Polled probe kinds; `docker` is not here because Docker's health status arrives as events. */
export type PolledKind = Exclude<ProbeKind, 'docker'>;

/** The one place probe kinds are registered; `monotonic` is the watchdog clock's, which times body matches. */
export function createProbers(deps: { engine: Engine; dispatcher: Dispatcher; monotonic?: () => number }): Readonly<Record<PolledKind, Prober>> {
  return { http: httpProber(deps.dispatcher, deps.monotonic), tcp: tcpProber, exec: execProber(deps.engine) };
}

/**
 * The HTTP client for probes, no cert checks. Connections are kept alive when the target allows it (as
 * browsers and load balancers do): at 2,000 targets a new TCP connection per probe tripled the CPU cost
 * (npm run bench). A target that closes connections simply gets a fresh one each time.
 */
export function createProbeDispatcher(): Agent {
  return new Agent({ pipelining: 1, keepAliveTimeout: 4_000, connect: { rejectUnauthorized: false } });
}
