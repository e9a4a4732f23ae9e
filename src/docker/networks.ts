import type Docker from 'dockerode';
import type { NetworkKind } from './types.ts';

/** After a failed or refused read, how long misses go without asking again (no polling: only a miss asks). */
export const NETWORKS_RETRY_MS = 60_000;

/** The part of an inspect's `NetworkSettings.Networks` entry this needs. */
type Endpoint = { NetworkID?: string; IPAddress?: string } | undefined;

/**
 * The driver and scope of the networks containers are on (`GET /networks`), which a container's inspect
 * data does not carry, so an empty probe host is never an overlay or macvlan address healer cannot reach
 * (address.ts). Bounded calls: learned all at once, cached by network id, read again only when an inspect
 * names an id it has not seen (a network made later); an id still missing from a read made after it was
 * seen (a network removed since) asks no more. Discovering 2,000 containers makes one call. A refused
 * call (403: a socket proxy without NETWORKS=1) or a failed one leaves the kinds unknown (the choice as
 * before the kinds were known), is said once through `onRefused`, and is asked again only on a miss
 * after NETWORKS_RETRY_MS.
 */
export class NetworkKinds {
  private byId = new Map<string, NetworkKind>();
  private byName = new Map<string, NetworkKind>();
  /** Ids looked for and missing from the last read made after they were seen (bounded: cleared each read). */
  private readonly absent = new Set<string>();
  private reading: Promise<boolean> | undefined;
  private retryAt = 0;
  /** Why the engine would not say (a refused call), for `healer check`; undefined while it answers. */
  refused: string | undefined;

  private readonly docker: Docker;
  private readonly now: () => number;
  private readonly readMs: number;
  /** Told once when the call is first refused (for the log); set by whoever logs. */
  onRefused: ((why: string) => void) | undefined;

  constructor(docker: Docker, now: () => number, readMs: number) {
    this.docker = docker;
    this.now = now;
    this.readMs = readMs;
  }

  /** The kinds of a container's networks with an address, by network name; those not learned are left out. */
  async of(networks: Readonly<Record<string, Endpoint>> | undefined): Promise<Record<string, NetworkKind>> {
    const wanted = Object.entries(networks ?? {}).filter(([, n]) => (n?.IPAddress ?? '') !== '');
    if (wanted.length === 0) return {};
    const key = ([name, n]: [string, Endpoint]): string => n?.NetworkID || name;
    const missing = (): string[] => wanted.map(key).filter((k) => this.find(k, k) === undefined && !this.absent.has(k));
    if (missing().length > 0 && this.now() >= this.retryAt) {
      // A read under way may have listed the networks before this one was made: after it, one fresh
      // read (shared by every miss seen meanwhile); what that one does not list either is gone.
      if (this.reading) await this.reading;
      if (missing().length > 0 && this.now() >= this.retryAt && (await (this.reading ??= this.read()))) {
        const still = missing();
        if (this.absent.size + still.length > 1_000) this.absent.clear();
        for (const k of still) this.absent.add(k);
      }
    }
    const out: Record<string, NetworkKind> = {};
    for (const [name, n] of wanted) {
      const kind = this.find(n?.NetworkID || name, name);
      if (kind) out[name] = kind;
    }
    return out;
  }

  /** By id; by name when the engine gives none or gives the name as the id (Podman's compat API). */
  private find(id: string, name: string): NetworkKind | undefined {
    return this.byId.get(id) ?? this.byName.get(id) ?? this.byName.get(name);
  }

  /** One read of every network; false when it failed. */
  private async read(): Promise<boolean> {
    try {
      const list = (await this.docker.listNetworks({ abortSignal: AbortSignal.timeout(this.readMs) } as object)) as { Id?: string; Name?: string; Driver?: string; Scope?: string }[];
      const byId = new Map<string, NetworkKind>();
      const byName = new Map<string, NetworkKind>();
      for (const n of list) {
        const kind = { driver: n.Driver ?? '', scope: n.Scope ?? '' };
        if (n.Id) byId.set(n.Id, kind);
        if (n.Name) byName.set(n.Name, kind);
      }
      this.byId = byId;
      this.byName = byName;
      this.absent.clear();
      this.refused = undefined;
      return true;
    } catch (err) {
      this.retryAt = this.now() + NETWORKS_RETRY_MS;
      if ((err as { statusCode?: number }).statusCode === 403) {
        const first = this.refused === undefined;
        this.refused = 'GET /networks was refused (a socket proxy must allow NETWORKS=1): healer cannot tell bridge from overlay or macvlan networks, so an empty probe host takes the first network by name as before, which may be one healer cannot reach';
        if (first) this.onRefused?.(this.refused);
      }
      return false;
    } finally {
      this.reading = undefined;
    }
  }
}
