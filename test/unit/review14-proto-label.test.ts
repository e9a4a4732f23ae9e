import { afterEach, describe, expect, it } from 'vitest';
import { policyFromLabels } from '../../src/config/labels.ts';

// Review 14 (adversarial, label author). Trigger: a label author puts the label
//   healer.__proto__.action=stop
// on their own container (`docker run -l healer.enable=true -l healer.__proto__.action=stop ...`).
// What happens: policyFromLabels() splits the key on dots and setPath() walks fromLabels['__proto__'],
// which is Object.prototype, so it assigns Object.prototype.action = 'stop' in healer's process. From then
// on every object in healer has an inherited `action`: the zod schema sees an unknown key `action` in
// liveness/readiness/restart/backoff/task and a bad crashloop.action, so EVERY other container's policy
// fails ("label healer.liveness.action on container \"other\": unknown label") and healer stops
// watching them all until it is restarted. One tenant's label switches healing off for the whole host,
// and the errors blame the innocent containers. Any other key (healer.__proto__.x=y) does the same.
// What should happen: `__proto__` (and `constructor`/`prototype`) are ordinary unknown label segments:
// the evil container alone gets a label error naming healer.__proto__.action; Object.prototype is untouched;
// other containers' policies are unaffected.

const base = { prefix: 'healer', rawDefaults: {}, imageHasHealthcheck: false } as const;

afterEach(() => {
  // Undo what the defect does, so one failing test does not poison the rest of the run.
  for (const k of ['action', 'x']) delete (Object.prototype as Record<string, unknown>)[k];
});

describe('review14: a label key with __proto__ cannot reach Object.prototype', () => {
  it.each([
    ['healer.__proto__.action', 'stop'],
    ['healer.__proto__.x', 'y'],
  ])('%s=%s on one container leaves Object.prototype and another container alone', (key, value) => {
    const evil = policyFromLabels({ ...base, labels: { 'healer.enable': 'true', [key]: value }, containerName: 'evil' });
    const leaked = Object.prototype.hasOwnProperty.call(Object.prototype, key.split('.').at(-1) ?? '');
    expect(leaked).toBe(false);
    expect(evil.ok).toBe(false);
    if (!evil.ok) expect(evil.errors.join('\n')).toContain(key);
    const other = policyFromLabels({ ...base, labels: { 'healer.enable': 'true' }, containerName: 'other' });
    expect(other.ok ? [] : other.errors).toEqual([]);
  });
});
