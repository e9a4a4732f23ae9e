import { describe, it } from 'vitest';
import { refusedStartThenNewHealer } from '../model/restart-faults.ts';
import { worldsPerTest } from '../model/worlds.ts';

// Eleventh adversarial review: the real Watchdog (two processes, one state file) on the model's in-memory
// Engine 20.10. Fails on the reviewed code.
//
// README: "A restart whose stop ran and whose start was refused left the container down because of
// healer: a start is retried (no died alert)." That owed start lives only in memory (the pending retry);
// the state file keeps `lifecycle: exited` and no exit (state-machine.ts onActionDone: lifecycle
// `exited`, lastExit untouched). When healer itself restarts before the retry (an upgrade, its own
// crash, `docker compose up -d` of healer's stack, SIGKILL), the new process finds the container exited
// with the code healer's own stop left (143, or 137 after the grace) and exits.ts exitToResume reads
// that as someone's stop: the container healer took down stays down for good, though nobody stopped it.
// Trigger: a restart whose start the engine refuses once (a host port still held for a moment by the
// old process, a socket proxy that allows restart but the start fails), and healer restarted within
// the retry's backoff (10 s by default, growing).

const world = worldsPerTest();

describe("review11: healer restarted while it owes the start of a container its own restart took down", () => {
  it('the new healer starts it', async () => {
    await refusedStartThenNewHealer(await world());
  }, 30_000);
});
