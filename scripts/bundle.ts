// npm run build: healer as shipped, one ESM file (dist/cli.js) holding src/ and every dependency it
// reaches, tree-shaken and minified. The image and `npm run healer` run it without node_modules, so
// only the code healer can reach is read, parsed and kept in memory (issue 17; figures in the README).
//
// Rules that hold for any pure-JS dependency, with no per-package list:
// - `node:*` and bare builtins stay external (esbuild's platform "node"), loaded with require().
// - CommonJS dependencies get a real `require` (for builtins), `__filename` and `__dirname` through a
//   banner, as esbuild's ESM output has none of its own.
// - healer's own first-use loads (src/lazy.ts, src/undici.ts) are written as
//   `const require = createRequire(import.meta.url)`; here that binding is dropped so their
//   `require('pkg')` calls are seen and bundled: the package's code is in the file but only runs on first use.
// The exclusions (EXCLUDED) are the only per-package rules: code healer never runs, replaced by modules
// that refuse; healer speaks unix:// and tcp:// to the engine and HTTP/1.1 to probes and receivers.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isBuiltin } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;

/** Modules left out of the bundle: [importer's package, specifier, what it was for]. */
export const EXCLUDED: readonly (readonly [string, string, string])[] = [
  ['dockerode', './session', 'BuildKit sessions (dockerode image builds: gRPC, protobuf)'],
  ['dockerode', './buildkit', 'BuildKit build progress (protobuf)'],
  ['docker-modem', './ssh', 'ssh:// Docker hosts (ssh2)'],
  // undici's HTTP/2 client loads node:http2 when undici loads (alone +13 MB RSS; in healer's bundle, with
  // the rest of Node's http stack already there, <1 MB); it only runs when a TLS peer offers h2 and the
  // Agent allows it (allowH2), which healer's never do: probes and alerts are HTTP/1.1.
  ['undici', './client-h2.js', 'HTTP/2 (undici allowH2)'],
];

const exclude: Plugin = {
  name: 'healer-exclude',
  setup(b) {
    b.onResolve({ filter: /^\.\// }, (args) => {
      const hit = EXCLUDED.find(([pkg, spec]) => spec === args.path && args.importer.includes(`/node_modules/${pkg}/`));
      return hit ? { path: hit[2], namespace: 'healer-excluded' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'healer-excluded' }, (args) => ({
      contents: `module.exports = function () { throw new Error(${JSON.stringify(`healer does not use ${args.path}`)}); };`,
      loader: 'js',
    }));
  },
};

const ownRequire: Plugin = {
  name: 'healer-own-require',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      return { contents: text.replace(/^const require = createRequire\(import\.meta\.url\);$/m, ''), loader: 'ts' };
    });
  },
};

/**
 * Builtins that healer's own ESM code imports are loaded with require() in the bundle. An ESM import of a
 * builtin builds its namespace from every export, which runs the lazy getters too: alone,
 * `import 'node:http'` costs ~13 MB more RSS than `require('node:http')` (Node 24); in healer's bundle,
 * with undici's HTTP/2 client left out too, ~3 MB. They stay external either way.
 */
const builtinsByRequire: Plugin = {
  name: 'healer-builtins-by-require',
  setup(b) {
    b.onResolve({ filter: /^[a-z0-9_:/]+$/ }, (args) =>
      args.kind !== 'require-call' && isBuiltin(args.path) ? { path: args.path, namespace: 'healer-builtin' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'healer-builtin' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

/**
 * Builtins loaded on first use: [builtin, why healer can wait for it]. Requiring `https` loads Node's TLS
 * stack (`tls`, alone +7 MB RSS on Node 24, `https` +9 MB), which healer only runs when it talks TLS (a
 * tcp:// engine with TLS, an https:// probe or alert receiver); docker-modem and prom-client's
 * Pushgateway require it when they load and only call it per request. (undici requires `node:tls` itself
 * only when it opens a TLS connection.) Overridable for the bench with HEALER_LAZY_BUILTINS (a comma list).
 */
export const LAZY_BUILTINS: readonly (readonly [string, string])[] = [
  ['https', 'TLS: a tcp:// engine with TLS (docker-modem)'],
  // healer's token and session digests and webhook signatures: per status-page/API request with a token, per signed alert
  ['crypto', 'digests and HMACs for a token or a signed webhook'],
];

const lazyNames = (): readonly string[] => process.env.HEALER_LAZY_BUILTINS?.split(',').filter(Boolean) ?? LAZY_BUILTINS.map(([name]) => name);

/**
 * Each of LAZY_BUILTINS, to everyone in the bundle (healer's own ESM imports and the dependencies'
 * require calls), is an object that requires the builtin the first time one of its properties is read.
 * Its property names are the builtin's own, listed at build time, so that esbuild's ESM interop (which
 * copies a CommonJS module's names when it is imported) does not load it: only a use does. Code that
 * destructures a builtin when it loads (`const { x } = require(...)`) loads it then, as before.
 */
const lazyBuiltins: Plugin = {
  name: 'healer-lazy-builtins',
  setup(b) {
    const names = lazyNames();
    const bare = (path: string): string => path.replace(/^node:/, '');
    b.onResolve({ filter: /^[a-z0-9_:/]+$/ }, (args) => {
      if (!names.includes(bare(args.path)) || !isBuiltin(args.path)) return undefined;
      // the lazy module's own require is Node's builtin; everyone else's is the lazy module
      return args.namespace === 'healer-lazy-builtin' ? { path: `node:${bare(args.path)}`, external: true } : { path: bare(args.path), namespace: 'healer-lazy-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'healer-lazy-builtin' }, async (args) => {
      const keys = Object.keys((await import(`node:${args.path}`)) as object).filter((k) => k !== 'default');
      return {
        contents: [
          'let real;',
          `const load = () => (real ??= require(${JSON.stringify(`node:${args.path}`)}));`,
          `const keys = ${JSON.stringify(keys)};`,
          'module.exports = new Proxy({}, {',
          "  get: (_, k) => (k === '__esModule' && real === undefined ? undefined : load()[k]),",
          '  has: (_, k) => k in load(),',
          '  ownKeys: () => (real === undefined ? keys : Reflect.ownKeys(real)),',
          '  getOwnPropertyDescriptor: (_, k) => {',
          '    if (real === undefined && typeof k === "string" && keys.includes(k)) return { configurable: true, enumerable: true, get: () => load()[k] };',
          '    const d = Reflect.getOwnPropertyDescriptor(load(), k);',
          '    return d && { ...d, configurable: true };',
          '  },',
          '});',
        ].join('\n'),
        loader: 'js',
      };
    });
  },
};

/**
 * Code healer runs only on first use, each built into its own file beside cli.js (`first-use/<name>.cjs`)
 * rather than into cli.js: [importer ('src' for healer's own code, else a package), specifier, file name].
 * cli.js's text stays in memory for as long as healer runs, and V8 pre-parses all of it; these are
 * ~450 KB of it that most hosts never run (idle RSS -2.7 MB, README "Memory, start-up and size").
 * re2js for `body` patterns, cron-parser (with luxon) for `schedule`, pino-pretty for `log.format:
 * pretty`, all required by src/lazy.ts and src/config/body-pattern.ts on first use; undici's Milo HTTP
 * parser (WebAssembly, ~150 KB as text), which undici only loads when UNDICI_USE_MILO asks for it.
 */
export const FIRST_USE: readonly (readonly [string, string, string])[] = [
  ['src', 're2js', 're2js'],
  ['src', 'cron-parser', 'cron-parser'],
  ['src', 'pino-pretty', 'pino-pretty'],
  ['undici', '../milo/simd.js', 'undici-milo-simd'],
  ['undici', '../milo/no-simd.js', 'undici-milo-no-simd'],
];

const importedBy = (importer: string, who: string): boolean =>
  who === 'src' ? /[\\/]src[\\/]/.test(importer) && !importer.includes('/node_modules/') : importer.includes(`/node_modules/${who}/`);

/** In cli.js, a first-use require becomes a require of its file, resolved from cli.js's own URL (the banner's require). */
const firstUse: Plugin = {
  name: 'healer-first-use',
  setup(b) {
    b.onResolve({ filter: /^(re2js|cron-parser|pino-pretty|\.\.\/milo\/(no-)?simd\.js)$/ }, (args) => {
      const hit = FIRST_USE.find(([who, spec]) => spec === args.path && importedBy(args.importer, who));
      return hit ? { path: `./first-use/${hit[2]}.cjs`, external: true } : undefined;
    });
  },
};

/** Builds the first-use files into `dir`: CommonJS, as their requirers load them synchronously. */
async function buildFirstUse(dir: string): Promise<Metafile[]> {
  const metas: Metafile[] = [];
  for (const [who, spec, name] of FIRST_USE) {
    const from = who === 'src' ? `${root}src/` : `${root}node_modules/${who}/lib/dispatcher/`;
    const r = await build({
      absWorkingDir: root,
      stdin: { contents: `module.exports = require(${JSON.stringify(spec)});`, resolveDir: from, loader: 'js' },
      outfile: `${dir}/first-use/${name}.cjs`,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node24',
      minify: true,
      legalComments: 'external',
      metafile: true,
      plugins: [exclude],
      logLevel: 'warning',
    });
    metas.push(r.metafile);
  }
  return metas;
}

const banner = [
  "import { createRequire as __healerRequire } from 'node:module';",
  "import { fileURLToPath as __healerPath } from 'node:url';",
  'const require = __healerRequire(import.meta.url);',
  'const __filename = __healerPath(import.meta.url);',
  "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
].join('\n');

/** esbuild's options for healer's bundle of `entry`; the bench bundles single dependencies with them too. */
export function bundleOptions(entry: string, outfile: string): BuildOptions & { metafile: true } {
  return {
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    legalComments: 'external',
    sourcemap: 'linked',
    metafile: true,
    banner: { js: banner },
    plugins: [exclude, ownRequire, firstUse, lazyBuiltins, builtinsByRequire],
    logLevel: 'warning',
  };
}

/**
 * Bundles src/cli.ts into `outfile` (beside it: a source map and the dependencies' licences), the
 * first-use files into `first-use/` beside it, and copies the status page's files into `assets/` beside
 * it, where the bundled server reads them (`./assets/` from its own URL, as src/web/routes.ts does from
 * src/web/ when run from source).
 */
export async function bundle(outfile = 'dist/cli.js'): Promise<Metafile> {
  const meta = (await build(bundleOptions('src/cli.ts', outfile))).metafile;
  for (const m of await buildFirstUse(dirname(outfile))) {
    Object.assign(meta.inputs, m.inputs);
    Object.assign(meta.outputs, m.outputs);
  }
  cpSync(new URL('../src/web/assets/', import.meta.url), `${dirname(outfile)}/assets`, { recursive: true });
  return meta;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const meta = await bundle();
  if (process.env.BUNDLE_META) writeFileSync(process.env.BUNDLE_META, JSON.stringify(meta));
  for (const [file, out] of Object.entries(meta.outputs)) if (file.endsWith('.js')) process.stdout.write(`${file}: ${(out.bytes / 1024).toFixed(0)} KiB\n`);
}
