import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';

// Review 15 (adversarial review of the pretty-log escaping, 1f70ef1).
// Trigger: `log.format: pretty`; a container whose compose service label (com.docker.compose.service,
//   anyone who can label a container sets it) holds a bidi override or a C1 control, e.g.
//   `api\u202e1-nimda` or `api\u009b2J`. Every line about that container carries it as a field: the
//   watch's child logger binds { container, service, project } (watch-factory.ts).
// Observed: only the message goes through printable(); the fields are printed by pino-pretty with
//   JSON.stringify, which escapes C0 controls but NOT U+202E/U+2066-2069 (bidi overrides), U+2028/2029
//   or C1 controls (U+0080-U+009F, U+009B is an 8-bit CSI): they reach the operator's terminal raw, the
//   exact characters printable.ts says must not (the commit's "fields are JSON, escaped already" holds
//   for C0 only).
// Expected: a pretty line shows these characters escaped in fields as in the message.
describe('review15: pretty log fields with label text', () => {
  it('escapes bidi overrides and C1 controls in fields, as in the message', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (b: Buffer) => (text += b.toString()));
    const log = createLogger({ level: 'info', format: 'pretty' }, out).child({ container: 'shop-api-1', service: 'api\u202e1-nimda', project: 'shop\u009b2J\u2028x' });
    log.warn('container unhealthy');
    log.flush();
    await new Promise((r) => setTimeout(r, 50));
    expect(text).toContain('container unhealthy');
    expect(text).not.toMatch(/[\u0080-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u);
  });
});
