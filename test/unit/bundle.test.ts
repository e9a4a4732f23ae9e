import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { bundle, bundleOptions, FIRST_USE } from '../../scripts/bundle.ts';
import { NODE_FLAGS } from '../../bench/flags.ts';

// The shipped artefact is one file and the first-use files beside it; these run them copied alone into
// an empty directory (no node_modules, no package.json beside it), as the image has them. The end-to-end run on the real engine is
// test/e2e/bundle.test.ts.
let dir: string;
let meta: Metafile;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'healer-bundle-'));
  meta = await bundle(join(dir, 'build', 'cli.js'));
  copyFileSync(join(dir, 'build', 'cli.js'), join(dir, 'cli.js'));
  cpSync(join(dir, 'build', 'first-use'), join(dir, 'first-use'), { recursive: true });
}, 60_000);

function run(args: string[], env: Record<string, string> = {}, timeoutMs = 20_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...NODE_FLAGS, join(dir, 'cli.js'), ...args], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env }, timeout: timeoutMs }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('the bundle', () => {
  it('leaves out gRPC, protobuf, ssh2, the undici index and its HTTP/2 client, and keeps only node: builtins external', () => {
    const inputs = Object.keys(meta.inputs);
    expect(inputs.filter((p) => /node_modules[\\/](@grpc|ssh2|protobufjs|cpu-features)[\\/]/.test(p))).toEqual([]);
    expect(inputs.filter((p) => /node_modules[\\/]undici[\\/](index|lib[\\/]dispatcher[\\/]client-h2)\.js$/.test(p))).toEqual([]);
    expect(inputs.some((p) => p.includes('node_modules/dockerode/'))).toBe(true);
    const output = Object.values(meta.outputs).find((o) => o.entryPoint !== undefined);
    const external = (output?.imports ?? []).filter((i) => i.external).map((i) => i.path);
    // debug's optional require('supports-color'), inside a try: absent, it colours nothing.
    expect(external.filter((p) => !isBuiltin(p) && !p.startsWith('./first-use/'))).toEqual(['supports-color']);
    // What only runs on first use is a file of its own beside cli.js, not in it.
    expect([...new Set(external.filter((p) => p.startsWith('./first-use/')))].sort()).toEqual(FIRST_USE.map(([, , name]) => `./first-use/${name}.cjs`).sort());
    const inCli = Object.keys(output?.inputs ?? {});
    expect(inCli.filter((p) => /node_modules[\\/](re2js|cron-parser|luxon|pino-pretty)[\\/]|[\\/]milo[\\/]/.test(p))).toEqual([]);
  });

  it('runs alone: --version, and a configuration error reported as such', async () => {
    expect((await run(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    writeFileSync(join(dir, 'bad.yml'), 'probe:\n  interval: not-a-duration\n');
    const bad = await run(['check', '--config', join(dir, 'bad.yml')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('healer: configuration error');
  });

  it('loads cron-parser, re2js and pino-pretty from their first-use files on first use', async () => {
    writeFileSync(join(dir, 'cron.yml'), "defaults:\n  liveness:\n    schedule: '61 * * * * *'\n    body: '(?=x)'\n");
    const cron = await run(['check', '--config', join(dir, 'cron.yml')]);
    expect(cron.stderr).toContain('is not a cron schedule with seconds');
    expect(cron.stderr).toContain('backreferences and lookaround are not supported');
    expect(cron.stderr).not.toMatch(/Cannot find (module|package)|is not a function/);

    // Pretty logs, an engine that refuses: healer says so in pino-pretty's format and keeps retrying.
    const pretty = await run([], { HEALER_LOG_FORMAT: 'pretty', HEALER_SERVER_LISTEN: 'off', DOCKER_HOST: 'tcp://127.0.0.1:1', HEALER_STATE_PATH: join(dir, 'state.json') }, 3000);
    expect(pretty.stdout).toMatch(/INFO.*healer starting/);
    expect(pretty.stdout).toMatch(/ERROR.*docker engine unreachable; retrying/);
  });

  it('talks TLS to a tcp:// engine: node:https, which the bundle loads on first use, is there when asked for', async () => {
    // A self-signed certificate for 127.0.0.1, and a stand-in engine over HTTPS that answers what healer asks at start.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const paths: string[] = [];
    const server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
      const path = (req.url ?? '/').replace(/^\/v[\d.]+/, '').replace(/\?.*$/, '');
      paths.push(path);
      if (path === '/_ping') res.end('OK');
      else if (path === '/version') res.setHeader('content-type', 'application/json').end(JSON.stringify({ Version: 'tls-stand-in', ApiVersion: '1.41', MinAPIVersion: '1.24' }));
      else if (path === '/containers/json') res.setHeader('content-type', 'application/json').end('[]');
      else if (path === '/events') res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders();
      else res.writeHead(404).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      writeFileSync(join(dir, 'tls.yml'), `docker:\n  host: tcp://127.0.0.1:${port}\n  tls:\n    ca_file: ${join(dir, 'cert.pem')}\n`);
      const r = await run([], { HEALER_CONFIG: join(dir, 'tls.yml'), HEALER_SERVER_LISTEN: 'off', HEALER_STATE_PATH: join(dir, 'tls-state.json') }, 3000);
      expect(r.stdout).toContain('"msg":"connected to the docker engine"');
      expect(r.stdout).toContain('"msg":"watching"');
      expect(paths).toContain('/containers/json');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('loads node:crypto on first use, for ESM imports of it as for requires, with its names there', async () => {
    // healer's own code imports it by name (src/server.ts, src/web/, the webhook provider); the bundle must
    // not load it for that, only when a digest is made, and then give the real function.
    const entry = join(dir, 'lazy-entry.mjs');
    writeFileSync(entry, [
      "import { createHash } from 'node:crypto';",
      "import * as ns from 'node:crypto';",
      "const loaded = () => process.moduleLoadList.includes('NativeModule crypto');",
      'const before = loaded();',
      "const digest = createHash('sha256').update('healer').digest('hex');",
      "console.log(JSON.stringify({ before, after: loaded(), digest, named: 'createHmac' in ns && typeof ns.randomBytes }));",
    ].join('\n'));
    await build({ ...bundleOptions(entry, join(dir, 'lazy-out.mjs')), sourcemap: false });
    const out = JSON.parse(execFileSync(process.execPath, [join(dir, 'lazy-out.mjs')], { encoding: 'utf8' })) as Record<string, unknown>;
    expect({ ...out, digest: undefined }).toEqual({ before: false, after: true, named: 'function' });
    expect(out.digest).toBe(execFileSync('sh', ['-c', 'printf healer | sha256sum'], { encoding: 'utf8' }).split(' ')[0]);
  });
});
