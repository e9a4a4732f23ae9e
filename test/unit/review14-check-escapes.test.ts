import { describe, expect, it } from 'vitest';
import { formatCheck, type CheckRow } from '../../src/check.ts';
import { policyFromLabels } from '../../src/config/labels.ts';

// Review 14 (adversarial, label author). Trigger: a label author puts terminal control sequences in
// label text that `healer check` prints as written: the compose project/service labels
// (com.docker.compose.service=$'web\e[2K\e[1A...'), healer.depends_on, healer.network, the path of a
// probe URL (the URL grammar excludes only whitespace, so ESC and BEL pass), or an unknown label's KEY
// (healer.x<ESC>...: "label <key> ... unknown label").
// What happens: formatCheck() writes them raw to the operator's terminal. ESC [1A / ESC [2K erase the
// ERROR and PROBLEM lines above them, so a container with label errors or a refused probe reads as
// fine; OSC 52 (ESC ] 52 ; c ; ... BEL) writes the operator's clipboard in many terminals; OSC 0 sets
// the window title. The operator runs `healer check` precisely to review what label authors wrote.
// What should happen: text from labels is shown with control characters escaped (as JSON.stringify
// already does for label values in errors), so the printed report has no C0/C1 control character
// other than its own line feeds.

const ESC = '\u001b';
const ERASE = `${ESC}[1A${ESC}[2K`;
const OSC52 = `${ESC}]52;c;ZWNobyBwd25lZA==\u0007`;

function row(container: string, labels: Record<string, string>, project?: string, service?: string): CheckRow {
  const r = policyFromLabels({ labels: { 'healer.enable': 'true', ...labels }, prefix: 'healer', containerName: container, rawDefaults: {}, imageHasHealthcheck: false });
  return {
    container,
    id: 'a'.repeat(12),
    project,
    service,
    verdict: r.ok ? { kind: 'watch', policy: r.policy } : { kind: 'problem', errors: r.errors },
    history: undefined,
    unroutable: [],
    noHealthcheck: [],
  };
}

/** C0 controls but line feed, DEL, and C1 controls. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is looked for
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/u;

describe('review14: healer check prints no control characters from labels', () => {
  it.each([
    ['compose service label', row('tenant-a', {}, 'shop', `web${ERASE}`)],
    ['healer.depends_on', row('tenant-b', { 'healer.depends_on': `db${OSC52}` })],
    ['healer.network', row('tenant-c', { 'healer.network': `net${ERASE}` })],
    ['probe URL path', row('tenant-d', { 'healer.liveness': `http://:8080/health${ERASE}` })],
    ['unknown label key', row('tenant-e', { [`healer.x${ERASE}`]: 'y' })],
  ])('%s', (_what, r) => {
    const text = formatCheck([r]);
    expect(text).not.toMatch(CONTROL);
  });
});
