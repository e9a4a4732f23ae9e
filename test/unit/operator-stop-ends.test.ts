import { describe, expect, it } from 'vitest';
import { initialState, step, type Input, type MachineState, type Rules } from '../../src/watchdog/state-machine.ts';

// Review 14 follow-up: someone else's stop ends the container's open alerts (event-router.ts), so the
// machine forgets what they stood for: started again, it is judged afresh. healer's own quarantine
// stop (the same input without `ended`) keeps everything, so its alert is resolved by a later recovery.
const rules: Rules = {
  liveness: undefined,
  readiness: undefined,
  action: 'restart',
  dryRun: false,
  restartOnExit: true,
  engineRestarts: false,
  backoff: { initialMs: 1000, maxMs: 4000, resetMs: 600_000 },
  crashloop: { restarts: 2, windowMs: 600_000, action: 'retry' },
};
const free = { heldBy: undefined, paused: false };

function feed(s: MachineState, inputs: Input[]) {
  const events: string[] = [];
  for (const input of inputs) {
    const out = step(s, input, rules, free);
    s = out.state;
    for (const a of out.actions) if (a.type === 'notify') events.push(a.event);
  }
  return { s, events };
}

/** Crashes and healer's starts until the crash loop is open. */
function looping(): MachineState {
  let s = initialState({ running: true, startedAt: 0 });
  for (let i = 1; i <= 4; i++) {
    const at = i * 10_000;
    s = feed(s, [{ type: 'stopped', by: 'exit', exitCode: 1, oom: false, at }, { type: 'tick', at: at + 5000 }, { type: 'restart_done', ok: true, at: at + 5001 }, { type: 'started', at: at + 5002 }]).s;
  }
  return s;
}

describe('an operator stop that ends the open alerts', () => {
  it('a crash loop still in its window is alerted anew once the container is started again and crashes', () => {
    const s = looping();
    expect(s.budget.loop).toBe('open');
    // (A crash loop opens, and is alerted, as the start that makes it is carried out: restart_done.)
    const again: Input[] = [{ type: 'started', at: 100_000 }, { type: 'stopped', by: 'exit', exitCode: 1, oom: false, at: 101_000 }, { type: 'tick', at: 200_000 }, { type: 'restart_done', ok: true, at: 200_001 }];
    const ended = feed(s, [{ type: 'stopped', by: 'operator', at: 90_000, ended: true }, ...again]);
    expect(ended.events).toContain('crashloop');
    // healer's own (quarantine) stop ends nothing: the loop's alert is still open, not fired twice.
    const kept = feed(s, [{ type: 'stopped', by: 'operator', at: 90_000 }, ...again]);
    expect(kept.events).not.toContain('crashloop');
  });
});
