import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * dockerode loads, when it is imported, BuildKit session support (gRPC and protobuf) for image builds and
 * docker-modem's SSH transport (ssh2) for ssh:// hosts: healer does neither (it speaks unix:// and
 * tcp://), and together they are most of dockerode's resident memory. Before dockerode loads, those two
 * modules are put in the require cache as stubs that refuse. If the packages' layout changes, this does
 * nothing and they load as usual. Import this module before dockerode.
 */
function stub(require: NodeJS.Require, path: string, what: string): void {
  const refuse = (): never => {
    throw new Error(`healer does not use ${what}`);
  };
  require.cache[path] ??= { id: path, filename: path, loaded: true, exports: refuse, children: [], paths: [] } as unknown as NodeJS.Module;
}

try {
  const require = createRequire(import.meta.url);
  const dockerode = require.resolve('dockerode');
  stub(require, join(dirname(dockerode), 'session.js'), 'BuildKit sessions (dockerode image builds)');
  const modem = createRequire(dockerode).resolve('docker-modem');
  stub(require, join(dirname(modem), 'ssh.js'), 'ssh:// Docker hosts');
} catch {
  // the packages moved their files: load them whole
}
