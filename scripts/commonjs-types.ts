/**
 * Writes the declarations CommonJS consumers resolve (`require` condition in package.json
 * `exports`): a copy of the ESM build's `.d.ts` tree under `dist/cjs/`, marked
 * `"type": "commonjs"`.
 *
 * Why a copy and not a second build: at run time `require('chatshift')` loads the same ESM files
 * through Node's require(esm) (Node >= 20.19, no top-level await in the graph), so one instance of
 * every class exists however a program mixes `import` and `require` (`isChatshiftError` uses
 * `instanceof`). TypeScript with `module: node16` refuses to let a CommonJS file import ESM
 * declarations (TS1479), so those consumers need declarations that describe the module as
 * CommonJS; their content is the same, only the format marker differs.
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const out = join(dist, 'cjs');

const declarations = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? declarations(join(dir, d.name)) : d.name.endsWith('.d.ts') ? [join(dir, d.name)] : [],
  );

rmSync(out, { recursive: true, force: true });
let copied = 0;
for (const top of ['src', 'adapters']) {
  for (const file of declarations(join(dist, top))) {
    const target = join(out, relative(dist, file));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
    copied += 1;
  }
}
writeFileSync(join(out, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
console.log(`commonjs-types: ${copied} declarations in ${relative(root, out)}/`);
