/** What healer needs to know of a container, read from `docker inspect`. */
export interface ContainerInfo {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly running: boolean;
  /** Frozen by `docker pause` (backups, `docker commit`): running, but no probe can pass. */
  readonly paused: boolean;
  /** The engine is restarting it under its own restart policy. */
  readonly restarting: boolean;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly exitCode: number;
  readonly oomKilled: boolean;
  readonly restartCount: number;
  /** The engine's restart policy: no, always, unless-stopped, on-failure. */
  readonly restartPolicy: string;
  /**
   * on-failure:N's N (HostConfig.RestartPolicy.MaximumRetryCount, the same on Docker and Podman): the
   * engine restarts a crash while restartCount < N, then leaves the container down. 0 or absent: no limit.
   */
  readonly restartRetries?: number | undefined;
  /**
   * The engine has decided whether its restart policy brings an exit back by the time it reports the exit
   * (Docker: handleContainerExit sets Restarting, or leaves it exited, before its `die` event), so an
   * inspect read after the exit that finds it down and not restarting means the policy leaves it down
   * (restart-policy.ts engineGaveUp). False for Podman (its restart comes from the cleanup process after
   * `died`) and while the engine is not yet known: then only on-failure:N's count tells.
   */
  readonly decidesRestartAtExit?: boolean | undefined;
  /** Started with `--rm` (HostConfig.AutoRemove): the engine removes it as it exits, so it can never be started again. */
  readonly autoRemove?: boolean | undefined;
  readonly health: 'starting' | 'healthy' | 'unhealthy' | undefined;
  readonly hasHealthcheck: boolean;
  /** Its HEALTHCHECK's interval, timeout and retries (engine defaults filled in); undefined without one. */
  readonly healthcheck?: HealthcheckTiming | undefined;
  /** Its last health checks as the engine logged them (State.Health.Log); undefined when not given. */
  readonly healthLog?: readonly HealthRun[] | undefined;
  /** The signal `docker stop` sends this container first (Config.StopSignal); undefined: SIGTERM. */
  readonly stopSignal: string | undefined;
  /**
   * How long `docker stop` (no `-t`) waits for it to exit before SIGKILL, in ms: its Config.StopTimeout
   * (`--stop-timeout`, compose's `stop_grace_period`; Podman always reports one, 10 s by default), the
   * engine's 10 s when unset, Infinity for a negative one (the engine waits for ever). A stop under way
   * lasts that long.
   */
  readonly stopTimeoutMs?: number | undefined;
  /** `host`, `bridge`, a network name, `container:<id>`, `none`. */
  readonly networkMode: string;
  /** Network name → IPv4 address (empty string when none). */
  readonly networks: Readonly<Record<string, string>>;
  /** The host ports it publishes (docker/ports.ts); read for healer's own container (the listener rule). */
  readonly published?: readonly PublishedPort[] | undefined;
  /**
   * Network name → its driver and scope, for the networks with an address (networks.ts): what tells a
   * bridge healer reaches from the host from an overlay or macvlan it cannot. Undefined or partial when
   * the engine would not say; a network left out is chosen as before the kinds were known.
   */
  readonly networkKinds?: Readonly<Record<string, NetworkKind>> | undefined;
  /** Compose project, or the stack a Swarm task belongs to. */
  readonly project: string | undefined;
  /** Compose service, or the Swarm service of a task. */
  readonly service: string | undefined;
  /**
   * Set when an orchestrator owns this container (a Swarm task): it replaces the container itself, so
   * healer must never restart or start it. Undefined for plain containers.
   */
  readonly task?: TaskInfo | undefined;
}

/**
 * A host port (or range) a container publishes, the same for every engine. A connection to the host at
 * `hostIp` (`''`: any of its addresses) on a port from `hostPort` to `lastHostPort` reaches the
 * container's `containerPort`.
 */
export interface PublishedPort {
  readonly containerPort: number;
  /** tcp, udp, sctp. */
  readonly protocol: string;
  readonly hostIp: string;
  readonly hostPort: number;
  readonly lastHostPort: number;
}

/** A HEALTHCHECK's timing in ms, the engine's defaults filled in (health.ts). */
export interface HealthcheckTiming {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Failures in a row that make the container `unhealthy`. */
  readonly retries: number;
}

/** One health check the engine ran: when (engine time, ms) and whether it passed. */
export interface HealthRun {
  readonly start: number;
  readonly end: number;
  readonly ok: boolean;
}

/** A network's driver (`bridge`, `overlay`, `macvlan`, `ipvlan`, a plugin's) and scope (`local`, `swarm`), as `GET /networks` says. */
export interface NetworkKind {
  readonly driver: string;
  readonly scope: string;
}

/** Who owns a task container, in orchestrator-neutral terms. */
export interface TaskInfo {
  readonly taskId: string;
  readonly service: string;
  /** Replica number of a replicated service; undefined for a global one (one task per node). */
  readonly slot: number | undefined;
  readonly node: string;
}

/** A container event from the engine's stream, reduced to what the watchdog acts on. */
export interface ContainerEvent {
  readonly id: string;
  readonly name: string;
  /** start, die, stop, kill, destroy, restart, oom, health_status, pause, unpause, ... */
  readonly action: string;
  /** For health_status: healthy | unhealthy | starting. */
  readonly health: string | undefined;
  readonly exitCode: number | undefined;
  /** For kill: the signal sent, as the engine names it (`15`, `SIGTERM`, `HUP`, ...). */
  readonly signal: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
  /** Engine time in milliseconds. */
  readonly time: number;
}

/** An orchestrated service's own labels and the labels its containers get (which are what healer reads). */
export interface ServiceLabels {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly containerLabels: Readonly<Record<string, string>>;
}
