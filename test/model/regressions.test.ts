import { describe, expect, it } from 'vitest';
import { World } from './harness.ts';

// Fixed sequences of what the randomized model test found, kept as plain regressions.
describe('the watchdog, in sequences the model test found', () => {
  it('a failure while forgetting a container removed during an event-stream gap is contained: the stream stays up', async () => {
    const w = await World.create();
    try {
      w.run('a', 'live', 'ok');
      w.run('b', 'live', 'ok');
      await w.settle();
      w.onContainerGone = () => {
        throw new Error('planted: ending the alerts failed');
      };
      await w.cut(() => w.engine.remove(w.engine.byName('a')!));
      const reconnects = w.wd.eventReconnects;
      expect(w.wd.watches.size).toBe(1); // a is gone, b is still watched
      w.engine.remove(w.engine.byName('b')!);
      await w.settle();
      expect(w.wd.watches.size).toBe(0); // b's destroy event was read on the same stream
      expect(w.wd.eventReconnects).toBe(reconnects);
    } finally {
      await w.dispose();
    }
  });

  it('a refused start that did not count towards a crash loop stays uncounted when healer is SIGKILLed right after (FUZZ_SEED=2)', async () => {
    const w = await World.create();
    try {
      w.run('a', 'live', 'ok');
      const b = w.run('b', 'giveup', 'ok');
      await w.settle();
      w.engine.refuseNext += 2;
      await w.advance(90_000); // healthy well past backoff.reset
      w.engine.crash(b, 3);
      await w.settle(); // healer's start is refused
      await w.killHealer();
      await w.startHealer(); // its start is refused again
      await w.advance(3_000);
      await w.killHealer();
      await w.startHealer();
      await w.advance(41_000); // w.check() after each step: the crash must be acted on, not given up
      expect(w.wd.watches.get(b.id)?.state.budget.loop).not.toBe('gave_up');
      expect(b.running).toBe(true);
    } finally {
      await w.dispose();
    }
  });
});
