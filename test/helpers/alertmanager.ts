import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { freePort } from './servers.ts';

/** A real Alertmanager (Debian's prometheus-alertmanager) on 127.0.0.1, no clustering, no receivers. */
export async function startAlertmanager(): Promise<{ url: string; alerts(): Promise<AmListed[]>; stop(): Promise<void> }> {
  const dir = mkdtempSync(`${tmpdir()}/healer-am-`);
  writeFileSync(`${dir}/am.yml`, 'route:\n  receiver: none\n  group_wait: 1s\nreceivers:\n  - name: none\n');
  const port = await freePort();
  const child: ChildProcess = spawn(
    '/usr/bin/prometheus-alertmanager',
    [`--config.file=${dir}/am.yml`, `--storage.path=${dir}/data`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    alerts: async () => (await (await fetch(`${url}/api/v2/alerts`)).json()) as AmListed[],
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface AmListed {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: string };
}
