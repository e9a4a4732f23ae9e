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
});
