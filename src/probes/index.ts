import { Agent, type Dispatcher } from 'undici';
import type { ProbeKind } from '../config/probe-spec.ts';
import type { Engine } from '../docker/engine.ts';
import { execProber } from './exec.ts';
import { httpProber } from './http.ts';
import { tcpProber } from './tcp.ts';
import type { Prober } from './types.ts';

/** Polled probe kinds; `docker` is not here because Docker's health status arrives as events. */
export type PolledKind = Exclude<ProbeKind, 'docker'>;

/** The one place probe kinds are registered. */
export function createProbers(deps: { engine: Engine; dispatcher: Dispatcher }): Readonly<Record<PolledKind, Prober>> {
  return { http: httpProber(deps.dispatcher), tcp: tcpProber, exec: execProber(deps.engine) };
}

/** The HTTP client for probes: no keep-alive (a probe should see a fresh connection), no cert checks. */
export function createProbeDispatcher(): Agent {
  return new Agent({ pipelining: 0, connect: { rejectUnauthorized: false } });
}
