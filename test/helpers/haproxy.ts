import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { freePort } from './servers.ts';

/**
 * A real HAProxy (Debian's package) on 127.0.0.1 in front of the engine's socket, configured like
 * tecnativa/docker-socket-proxy with CONTAINERS, EVENTS, PING, VERSION, POST and ALLOW_RESTARTS: GET on
 * containers, events, _ping and version; POST only to restart, start, stop and kill a container;
 * everything else 403. `allowRestart: false` also refuses POST .../restart (a missing permission).
 */
export async function startSocketProxy(opts: { allowRestart: boolean; socket?: string }): Promise<{ host: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(`${tmpdir()}/healer-haproxy-`);
  const port = await freePort();
  const actions = opts.allowRestart ? 'restart|start|stop|kill' : 'start|stop|kill';
  const socket = opts.socket ?? '/var/run/docker.sock';
  writeFileSync(
    `${dir}/haproxy.cfg`,
    `global
    maxconn 256

defaults
    mode http
    timeout connect 5s
    timeout client 10m
    timeout server 10m
    timeout http-request 10s

backend engine
    server docker ${socket}

backend events
    server docker ${socket}
    timeout server 0

frontend docker
    bind 127.0.0.1:${port}
    acl read path,url_dec -m reg -i ^(/v[0-9.]+)?/(containers|events|_ping|version)(/|$|\\?)
    acl act path,url_dec -m reg -i ^(/v[0-9.]+)?/containers/[a-zA-Z0-9_.-]+/(${actions})$
    http-request allow if METH_GET read
    http-request allow if METH_HEAD read
    http-request allow if METH_POST act
    http-request deny
    use_backend events if { path,url_dec -m reg -i ^(/v[0-9.]+)?/events }
    default_backend engine
`,
  );
  const child = spawn('haproxy', ['-db', '-f', `${dir}/haproxy.cfg`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (i > 100 || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`haproxy did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host: `tcp://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
