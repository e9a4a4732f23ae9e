/** Which engine healer talks to; shown at start, in /api/status and by `healer check`. */
export interface EngineInfo {
  readonly engine: 'docker' | 'podman';
  /** The engine's own version (Docker 20.10.24, Podman 4.3.1). */
  readonly version: string;
  /** The Docker Engine API version healer speaks to it. */
  readonly apiVersion: string;
}

/** The parts of GET /version that tell engines apart. */
export interface VersionAnswer {
  readonly Version?: string;
  readonly ApiVersion?: string;
  readonly MinAPIVersion?: string;
  readonly Components?: readonly { readonly Name?: string; readonly Version?: string }[] | null;
}

/**
 * Podman answers /version with a "Podman Engine" component (and every answer with a Libpod-API-Version
 * header); Docker's component is "Engine". Anything not Podman is spoken to as Docker.
 */
export function engineKind(v: VersionAnswer, headers: Readonly<Record<string, unknown>> = {}): 'docker' | 'podman' {
  if (Object.keys(headers).some((h) => h.toLowerCase() === 'libpod-api-version')) return 'podman';
  return (v.Components ?? []).some((c) => /podman/i.test(c.Name ?? '')) ? 'podman' : 'docker';
}

/**
 * Event names to ask the engine for. Podman 4.3 matches `event=die` against its internal name `died`
 * (and nothing else) and calls removal `remove`, so both spellings are asked for, and `cleanup`, which
 * tells its stops from exits (EventNormaliser); Docker ignores names it never sends.
 */
export function eventFilter(kind: 'docker' | 'podman', followed: readonly string[]): string[] {
  return kind === 'podman' ? [...followed, 'died', 'remove', 'cleanup'] : [...followed];
}

/** Podman's names for the same things. */
const ALIASES: Readonly<Record<string, string>> = { died: 'die', remove: 'destroy' };

/** The action in Docker's dialect. */
export function canonicalAction(action: string): string {
  return (Object.hasOwn(ALIASES, action) ? ALIASES[action] : undefined) ?? action;
}
