// A loopback HTTP target for the benches, in its own process so serving thousands of probes a second
// does not share healer's event loop or CPU accounting. Prints its port on stdout, answers 200 "ok".
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const server = createServer((_req, res) => res.end('ok'));
server.keepAliveTimeout = 5000; // Node's default; longer than the 1 s probe interval, so kept-alive connections get reused
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => process.exit(0));
