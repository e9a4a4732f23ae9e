import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.ts';
import { policyFromLabels } from '../../src/config/labels.ts';
import { loadConfig } from '../../src/config/load.ts';

// Review 15 (adversarial review of the header validation, c39f9f3).
// Trigger: a probe header label whose value carries a control character, the common one being a
//   trailing CR from a CRLF compose .env file: healer.liveness.header.Authorization="Bearer s3cr3t-tok\r";
//   or a watchdog.yml channel header written with a block scalar that keeps the newline.
// Observed: the error quotes the WHOLE value (`"Bearer s3cr3t-tok\r" cannot be sent as an HTTP header
//   value`): the label error goes to healer's log, `healer check`'s output and /api/status `problems`,
//   the config error to stderr at start-up (the container's log). Header values are secrets (README
//   "Nothing secret leaves healer unasked": header values; check --json shows them redacted).
// Expected: the error names the header and what is wrong with the value, never the value itself.
const secret = 's3cr3t-tok-0123456789';

describe('review15: an unsendable header value is refused without being printed', () => {
  it('a probe header label', () => {
    const r = policyFromLabels({
      labels: { 'healer.enable': 'true', 'healer.liveness': 'http://:8080/healthz', 'healer.liveness.header.Authorization': `Bearer ${secret}\r` },
      prefix: 'healer',
      containerName: 'app',
      rawDefaults: {},
      imageHasHealthcheck: false,
    });
    expect(r.ok).toBe(false);
    const errors = r.ok ? '' : r.errors.join('\n');
    expect(errors).toContain('healer.liveness.header.Authorization');
    expect(errors).not.toContain(secret);
  });

  it('a channel header in watchdog.yml', () => {
    const dir = mkdtempSync(`${tmpdir()}/healer-r15-hdr-`);
    writeFileSync(`${dir}/w.yml`, `alerts:\n  channels:\n    - name: hook\n      type: webhook\n      url: http://127.0.0.1:9/hook\n      headers:\n        Authorization: |\n          Bearer ${secret}\n`);
    let problems: readonly string[] = [];
    try {
      loadConfig(`${dir}/w.yml`, {});
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems = err.problems;
    }
    expect(problems.join('\n')).toContain('Authorization');
    expect(problems.join('\n')).not.toContain(secret);
  });
});
