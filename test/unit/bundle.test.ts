import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundle } from '../../scripts/bundle.ts';
import { NODE_FLAGS } from '../../bench/flags.ts';

// The shipped artefact is one file; these run it copied alone into an empty directory (no node_modules,
// no package.json beside it), as the image has it. The end-to-end run on the real engine is
// test/e2e/bundle.test.ts.
let dir: string;
let meta: Metafile;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'healer-bundle-'));
  meta = await bundle(join(dir, 'build', 'cli.js'));
  copyFileSync(join(dir, 'build', 'cli.js'), join(dir, 'cli.js'));
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
    expect(external.filter((p) => !isBuiltin(p))).toEqual(['supports-color']);
  });

  it('runs alone: --version, and a configuration error reported as such', async () => {
    expect((await run(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    writeFileSync(join(dir, 'bad.yml'), 'probe:\n  interval: not-a-duration\n');
    const bad = await run(['check', '--config', join(dir, 'bad.yml')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('healer: configuration error');
  });

  it('loads cron-parser and pino-pretty from inside the bundle on first use', async () => {
    writeFileSync(join(dir, 'cron.yml'), "defaults:\n  liveness:\n    schedule: '61 * * * * *'\n");
    const cron = await run(['check', '--config', join(dir, 'cron.yml')]);
    expect(cron.stderr).toContain('is not a cron schedule with seconds');
    expect(cron.stderr).not.toMatch(/Cannot find (module|package)|is not a function/);

    // Pretty logs, an engine that refuses: healer says so in pino-pretty's format and keeps retrying.
    const pretty = await run([], { HEALER_LOG_FORMAT: 'pretty', HEALER_SERVER_LISTEN: 'off', DOCKER_HOST: 'tcp://127.0.0.1:1', HEALER_STATE_PATH: join(dir, 'state.json') }, 3000);
    expect(pretty.stdout).toMatch(/INFO.*healer starting/);
    expect(pretty.stdout).toMatch(/ERROR.*docker engine unreachable; retrying/);
  });
});
