import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { dockerOptions } from '../../src/docker/connect.ts';

describe('dockerode without BuildKit sessions and SSH', () => {
  it('loads neither gRPC nor ssh2, and still builds unix and tcp clients', async () => {
    const { default: Docker } = await import('dockerode');
    const require = createRequire(import.meta.url);
    const loaded = Object.keys(require.cache);
    expect(loaded.filter((p) => /[\\/](@grpc|ssh2|protobufjs)[\\/]/.test(p))).toEqual([]);
    const modem = (host: string) => new Docker(dockerOptions({ host })).modem as unknown as { socketPath?: string; port?: number | string };
    expect(modem('unix:///var/run/docker.sock').socketPath).toBe('/var/run/docker.sock');
    expect(Number(modem('tcp://127.0.0.1:2375').port)).toBe(2375);
  });
});
