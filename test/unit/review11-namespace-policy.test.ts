import { describe, expect, it } from 'vitest';
import { worldsPerTest } from '../model/worlds.ts';
import type { World } from '../model/harness.ts';
import type { SimContainer } from '../model/sim-engine.ts';

// Eleventh adversarial review: the real Watchdog on the model's in-memory Engine 20.10. Fails on the
// reviewed code.
//
// README: healer "Restarts containers that share a restarted container's network namespace
// (`network_mode: service:X`, `container:X`) right after it, or after healer starts it again, since they
// lose their network otherwise". It does so only after its OWN restart or start of X (actor.ts
// restartNamespaceChildren, called from Actor.act). When X comes back any other way (its own restart
// policy after a crash: the common `network_mode: service:vpn` set-up with a VPN container on
// `restart: unless-stopped`; an operator's `docker restart X`), X gets a new network namespace and the
// children stay in the old one, without network, and healer leaves them so; a child without a liveness
// probe is never repaired. Trigger: X (`restart: always`) crashes and the engine restarts it.

const world = worldsPerTest();

async function setUp(vpnLabels: Record<string, string>, appLabels: Record<string, string> = { 'healer.enable': 'true' }): Promise<{ w: World; vpn: SimContainer; app: SimContainer; restartsOfApp: (from: number) => string[] }> {
  const w = await world();
  await w.killHealer();
  const vpn = w.engine.create('vpn', vpnLabels, { restartPolicy: 'always' });
  const app = w.engine.create('app', appLabels);
  // `network_mode: service:vpn`: compose gives the child `container:<vpn id>`.
  w.patchEngine((engine) => {
    const original = engine.inspect.bind(engine);
    engine.inspect = async (id: string) => {
      const i = await original(id);
      return i && id === app.id ? { ...i, networkMode: `container:${vpn.id}` } : i;
    };
  });
  await w.startHealer();
  w.engine.startNow(vpn);
  w.engine.startNow(app);
  await w.clock.advance(3_000, () => w.settle());
  const restartsOfApp = (from: number): string[] => w.engine.actions.slice(from).filter((a) => a.id === app.id).map((a) => a.kind);
  return { w, vpn, app, restartsOfApp };
}

describe("review11: the namespace owner restarted by its own restart policy", () => {
  it('its opted-in children are restarted after it', async () => {
    const { w, vpn, restartsOfApp } = await setUp({ 'healer.enable': 'true' });
    const n = w.engine.actions.length;
    w.engine.crash(vpn, 1); // the VPN drops; the engine's restart policy starts it again 100 ms later
    await w.clock.advance(5_000, () => w.settle());
    expect(vpn.running).toBe(true);
    expect(restartsOfApp(n)).toContain('restart');
  }, 30_000);

  it("control: after healer's own restart of the owner, the child is restarted", async () => {
    const { w, vpn, restartsOfApp } = await setUp({ 'healer.enable': 'true', 'healer.liveness': 'tcp://127.0.0.1:1', 'healer.liveness.interval': '1s', 'healer.liveness.failures': '2' });
    const n = w.engine.actions.length;
    w.engine.setApp(vpn, 'hang');
    await w.clock.advance(5_000, () => w.settle());
    expect(restartsOfApp(n)).toContain('restart');
  }, 30_000);

  it('once per start of the owner, whoever started it: after an operator\'s `docker restart vpn` too', async () => {
    const { w, vpn, restartsOfApp } = await setUp({ 'healer.enable': 'true' });
    const n = w.engine.actions.length;
    w.engine.restartNow(vpn);
    await w.clock.advance(10_000, () => w.settle());
    expect(restartsOfApp(n)).toEqual(['restart']);
  }, 30_000);

  it("control: after healer's own restart of the owner, the child is restarted once (not again for the owner's start event)", async () => {
    const { w, vpn, restartsOfApp } = await setUp({ 'healer.enable': 'true', 'healer.liveness': 'tcp://127.0.0.1:1', 'healer.liveness.interval': '1s', 'healer.liveness.failures': '2' });
    const n = w.engine.actions.length;
    w.engine.setApp(vpn, 'hang');
    await w.clock.advance(2_500, () => w.settle());
    w.engine.setApp(vpn, 'ok'); // its restart fixed it
    await w.clock.advance(10_000, () => w.settle());
    expect(w.engine.actions.slice(n).filter((a) => a.id === vpn.id).map((a) => a.kind)).toEqual(['restart']);
    expect(restartsOfApp(n)).toEqual(['restart']);
  }, 30_000);

  it("a child started again after the owner's new start (the operator restarted both, `docker compose restart`) is left alone", async () => {
    const { w, vpn, app, restartsOfApp } = await setUp({ 'healer.enable': 'true' });
    const n = w.engine.actions.length;
    w.engine.restartNow(vpn);
    await w.clock.advance(200, () => w.settle());
    w.engine.restartNow(app);
    await w.clock.advance(10_000, () => w.settle());
    expect(restartsOfApp(n)).toEqual([]);
  }, 30_000);

  it('notify-only and unwatched children are not restarted', async () => {
    const cases: Record<string, string>[] = [{ 'healer.enable': 'true', 'healer.action': 'notify' }, {}];
    for (const appLabels of cases) {
      const { w, vpn, restartsOfApp } = await setUp({ 'healer.enable': 'true' }, appLabels);
      const n = w.engine.actions.length;
      w.engine.crash(vpn, 1);
      await w.clock.advance(5_000, () => w.settle());
      expect(vpn.running).toBe(true);
      expect(restartsOfApp(n), JSON.stringify(appLabels)).toEqual([]);
    }
  }, 30_000);
});
