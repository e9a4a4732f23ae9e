import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HistoryQueries } from '../../src/history/queries.ts';
import { HOUR, HistoryStore, MINUTE } from '../../src/history/store.ts';

// The page's rows are read from the file once a minute and per write (row-sums.ts). Whatever healer does
// meanwhile (probes, transitions, flushes, minutes passing), a long-lived reader must answer what a reader
// that never read before answers: a stale row is a defect the SRE would act on.
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const NAMES = ['api', 'db', 'web'] as const;

type Step =
  | { kind: 'probe'; name: number; readiness: boolean; ok: boolean; atSecond: number }
  | { kind: 'restarted' | 'recovered'; name: number }
  | { kind: 'flush' }
  | { kind: 'minutes'; n: number }
  | { kind: 'read'; names: number[] };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('probe' as const), name: fc.nat(2), readiness: fc.boolean(), ok: fc.boolean(), atSecond: fc.nat(59) }),
  fc.record({ kind: fc.constantFrom('restarted' as const, 'recovered' as const), name: fc.nat(2) }),
  fc.record({ kind: fc.constant('flush' as const) }),
  fc.record({ kind: fc.constant('minutes' as const), n: fc.constantFrom(1, 2, 29, 31, 61, 24 * 60) }),
  fc.record({ kind: fc.constant('read' as const), names: fc.subarray([0, 1, 2], { minLength: 1 }) }),
);

describe("the page's rows read once a minute and per write", () => {
  it('always equal what a reader that never read before answers', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        let now = T0;
        const clock = { now: () => now, setTimeout: () => ({}), clearTimeout: () => {} };
        const store = new HistoryStore({ path: ':memory:', retentionMs: 7 * DAY, maxBytes: 64 * 2 ** 20, clock });
        const kept = new HistoryQueries(store);
        try {
          for (const s of steps) {
            switch (s.kind) {
              case 'probe':
                store.probe('id', NAMES[s.name] ?? 'api', s.readiness ? 'readiness' : 'liveness', s.ok, 5, now + s.atSecond * 1000);
                break;
              case 'restarted':
              case 'recovered':
                store.transition({ at: now, container: NAMES[s.name] ?? 'api', event: s.kind, reason: 'test', recoveryMs: s.kind === 'recovered' ? now - T0 + 1 : undefined });
                break;
              case 'flush':
                store.flush();
                break;
              case 'minutes':
                now += s.n * MINUTE;
                break;
              case 'read': {
                const names = s.names.map((i) => NAMES[i] ?? 'api');
                expect(kept.summaries(names, now)).toEqual(new HistoryQueries(store).summaries(names, now));
              }
            }
          }
          expect(kept.summaries(NAMES, now)).toEqual(new HistoryQueries(store).summaries(NAMES, now));
        } finally {
          store.close();
        }
      }),
      { numRuns: 200 },
    );
  });

  it('shows a restart, a flush and the passing minute at once', () => {
    let now = T0 + 30_000;
    const clock = { now: () => now, setTimeout: () => ({}), clearTimeout: () => {} };
    const store = new HistoryStore({ path: ':memory:', retentionMs: 7 * DAY, maxBytes: 64 * 2 ** 20, clock });
    const q = new HistoryQueries(store);
    store.probe('id', 'api', 'liveness', false, 5, now);
    store.flush();
    expect(q.summaries(['api'], now).api?.restarts24h).toBe(0);
    store.transition({ at: now + 1000, container: 'api', event: 'restarted', reason: 'test' });
    now += 2000;
    expect(q.summaries(['api'], now).api?.restarts24h).toBe(1);
    expect(q.summaries(['api'], now).api?.bar.at(-1)).toMatchObject({ fail: 1 });
    now += MINUTE;
    // The failed minute moved one cell to the left without any write.
    expect(q.summaries(['api'], now).api?.bar.at(-2)).toMatchObject({ fail: 1 });
    expect(q.summaries(['api'], now).api?.bar.at(-1)).toMatchObject({ ok: 0, fail: 0 });
    store.close();
  });
});
