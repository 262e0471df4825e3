// The verification pages' JavaScript, bundled by esbuild into api/static/build/.
//
//     node scripts/build_page.mjs
//
// Run by `make install` after scripts/build_static.py (the vendored libraries the modules
// import). Each page's entry module and everything it imports statically becomes one
// minified ES module with its source map beside it (build/verify.js, build/verify.js.map):
// a cold page load is one script request. The modules a page imports only when needed
// (`import('./hashing.js')`) are entries of their own and stay dynamic imports of the
// bundled file, so they never weigh on the first load; a dynamic import of a vendored
// library (secp256k1) stays an import of that file. The workers are bundled as classic
// scripts (they load their libraries with importScripts). build/ sits beside js/, so the
// paths the modules resolve against `import.meta.url` (../i18n/, ../vendor/) still hold,
// and the pages link it under /static/v/<version>/ like every other asset.
import { build } from 'esbuild';
import { existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STATIC = path.join(ROOT, 'api', 'static');
export const SOURCE = path.join(STATIC, 'js');
export const OUT = path.join(STATIC, 'build');

/** Pages' entry modules (api/templates link build/NAME.js). */
export const PAGES = ['verify', 'stream', 'issuers'];
/** Modules the pages import dynamically: bundled each on its own. */
export const LAZY = ['hashing', 'scan'];
/** Web Workers (classic scripts: `new Worker(new URL('./NAME.js', import.meta.url))`). */
export const WORKERS = ['hash-worker', 'qr-worker'];

const COMMON = {
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  target: 'es2022',
  charset: 'utf8',
  legalComments: 'eof',
  logLevel: 'warning',
  absWorkingDir: ROOT,
  metafile: true,
};

const entries = (names) => names.map((name) => ({ in: path.join(SOURCE, `${name}.js`), out: name }));

function posix(relative) {
  const slashed = relative.split(path.sep).join('/');
  return slashed.startsWith('.') ? slashed : `./${slashed}`;
}

/** Dynamic imports stay dynamic: of a lazy module, its bundle beside the page's; of a file
 * elsewhere under api/static (a vendored library), that file. Anything else fails the build. */
const dynamicImportsStayLazy = {
  name: 'dynamic-imports-stay-lazy',
  setup(builder) {
    builder.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const target = path.resolve(args.resolveDir, args.path);
      const name = path.relative(SOURCE, target).replace(/\.js$/, '');
      if (LAZY.includes(name)) return { path: `./${name}.js`, external: true };
      if (!target.startsWith(STATIC + path.sep) || target.startsWith(SOURCE + path.sep)) {
        return { errors: [{ text: `${args.path}: a dynamic import must be a LAZY entry or a file under api/static` }] };
      }
      return { path: posix(path.relative(OUT, target)), external: true };
    });
  },
};

/** Build every bundle into OUT, replacing what it held (built beside it, then swapped in,
 * so a service running meanwhile never finds the folder empty); esbuild's metafile outputs. */
export async function buildPage() {
  const fresh = `${OUT}.new`;
  const old = `${OUT}.old`;
  rmSync(fresh, { recursive: true, force: true });
  const modules = await build({
    ...COMMON,
    outdir: fresh,
    entryPoints: entries([...PAGES, ...LAZY]),
    format: 'esm',
    plugins: [dynamicImportsStayLazy],
  });
  const workers = await build({ ...COMMON, outdir: fresh, entryPoints: entries(WORKERS), format: 'iife' });
  rmSync(old, { recursive: true, force: true });
  if (existsSync(OUT)) renameSync(OUT, old);
  renameSync(fresh, OUT);
  rmSync(old, { recursive: true, force: true });
  return { ...modules.metafile.outputs, ...workers.metafile.outputs };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outputs = await buildPage();
  const scripts = Object.entries(outputs).filter(([file]) => file.endsWith('.js'));
  const sizes = scripts.map(([file, out]) => `${path.basename(file)} ${(out.bytes / 1024).toFixed(1)} KiB`);
  console.log(`build_page: ${scripts.length} bundles in ${path.relative(ROOT, OUT)} (${sizes.join(', ')})`);
}
