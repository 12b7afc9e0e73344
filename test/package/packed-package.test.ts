import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tsc = join(root, 'node_modules/typescript/bin/tsc');

interface Manifest {
  dependencies?: Record<string, string>;
  exports: Record<string, unknown>;
  license: string;
}

const filesUnder = (dir: string, suffix: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory()
      ? filesUnder(join(dir, d.name), suffix)
      : d.name.endsWith(suffix)
        ? [join(dir, d.name)]
        : [],
  );

/** Type-checks (and with `outDir`, emits) the consumer project under one module resolution. */
async function compile(
  project: string,
  module: string,
  resolution: string,
  opts: { outDir?: string; skipLibCheck?: boolean } = {},
) {
  const args = [
    tsc,
    ...(opts.skipLibCheck === true ? ['--skipLibCheck'] : []),
    '--strict',
    '--noUncheckedIndexedAccess',
    '--exactOptionalPropertyTypes',
    '--verbatimModuleSyntax',
    '--target',
    'ES2022',
    '--lib',
    'ES2023',
    '--types',
    'node',
    '--module',
    module,
    '--moduleResolution',
    resolution,
    ...(opts.outDir === undefined ? ['--noEmit'] : ['--outDir', opts.outDir]),
    'main.cts',
    'main.mts',
    ...readdirSync(join(project, 'examples'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => `examples/${f}`),
  ];
  try {
    await run(process.execPath, args, { cwd: project });
  } catch (e) {
    const out = e as { stdout?: string; stderr?: string };
    assert.fail(`tsc --module ${module} --moduleResolution ${resolution}:\n${out.stdout}${out.stderr}`);
  }
}

// The package as npm publishes it: `npm pack`, unpacked into a fresh project's node_modules the way
// npm installs it, with its dependencies linked from this checkout (nothing reaches the network).
// Only the declared dependencies are linked, so an undeclared import fails here.
describe('the packed package in a strict TypeScript consumer project (CommonJS and ESM)', function () {
  // tsc runs dominate (seconds each, more on a loaded machine).
  this.timeout(240_000);
  let work: string;
  let project: string;
  let pkg: string;
  let manifest: Manifest;

  before(function () {
    if (!existsSync(join(root, 'dist/cjs/package.json'))) {
      execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
    }
    work = mkdtempSync(join(tmpdir(), 'chatshift-packed-'));
    // --ignore-scripts: `npm test` has just built dist/; pack must not rebuild it.
    const tarball = execFileSync(
      'npm',
      ['pack', '--ignore-scripts', '--silent', '--pack-destination', work],
      { cwd: root, encoding: 'utf8' },
    ).trim();
    project = join(work, 'consumer');
    pkg = join(project, 'node_modules/chatshift');
    mkdirSync(pkg, { recursive: true });
    execFileSync('tar', ['-xzf', join(work, tarball), '-C', pkg, '--strip-components=1']);
    manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as Manifest;
    for (const dep of [...Object.keys(manifest.dependencies ?? {}), 'typescript', '@types/node']) {
      mkdirSync(dirname(join(project, 'node_modules', dep)), { recursive: true });
      symlinkSync(join(root, 'node_modules', dep), join(project, 'node_modules', dep), 'dir');
    }
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    for (const f of ['main.cts', 'main.mts']) {
      cpSync(join(root, 'test/package/consumer', f), join(project, f));
    }
    cpSync(join(root, 'examples'), join(project, 'examples'), { recursive: true });
    rmSync(join(project, 'examples/tsconfig.json'));
  });

  after(() => rmSync(work, { recursive: true, force: true }));

  it('ships LICENSE (MIT, as package.json says) and no tests', () => {
    assert.equal(manifest.license, 'MIT');
    assert.match(readFileSync(join(pkg, 'LICENSE'), 'utf8'), /^MIT License/);
    assert.equal(existsSync(join(pkg, 'test')), false);
  });

  it('ships every file its source maps point at', () => {
    const maps = filesUnder(join(pkg, 'dist'), '.js.map');
    assert.ok(maps.length > 20, `maps found: ${maps.length}`);
    const missing = maps.flatMap((map) =>
      (JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] }).sources
        .map((s) => resolve(dirname(map), s))
        .filter((s) => !existsSync(s))
        .map((s) => `${relative(pkg, map)} -> ${relative(pkg, s)}`),
    );
    assert.deepEqual(missing, []);
  });

  it('declares import and require, each with types, for every entry point', () => {
    const entries = Object.entries(manifest.exports).filter(([k]) => k !== './package.json');
    assert.ok(entries.length >= 3);
    for (const [entry, conditions] of entries) {
      const c = conditions as Record<string, { types?: string; default?: string }>;
      for (const kind of ['import', 'require'] as const) {
        for (const file of [c[kind]?.types, c[kind]?.default]) {
          assert.ok(file !== undefined, `${entry}: ${kind} has types and default`);
          assert.ok(existsSync(join(pkg, file)), `${entry}: ${kind} -> ${file} is shipped`);
        }
      }
      // require(esm): both conditions load the same file, so one copy of every class exists.
      assert.equal(c.require?.default, c.import?.default, entry);
    }
    const cjsMarker = JSON.parse(readFileSync(join(pkg, 'dist/cjs/package.json'), 'utf8')) as {
      type: string;
    };
    assert.equal(cjsMarker.type, 'commonjs');
  });

  it('requires every entry point from CommonJS (no top-level await in the graph)', async () => {
    const entries = Object.keys(manifest.exports)
      .filter((k) => k !== './package.json')
      .map((k) => k.replace(/^\./, 'chatshift'));
    const script = `for (const e of ${JSON.stringify(entries)}) { const m = require(e); if (Object.keys(m).length === 0) throw new Error(e + ' is empty'); } console.log('ok');`;
    const { stdout, stderr } = await run(process.execPath, ['-e', script], { cwd: project });
    assert.equal(stdout.trim(), 'ok');
    assert.doesNotMatch(stderr, /Warning/);
  });

  for (const [module, resolution] of [
    ['node16', 'node16'],
    ['bundler', 'bundler'],
  ] as const) {
    it(`type-checks the CommonJS and ESM entry files and the examples under moduleResolution ${resolution}`, async () => {
      // The declarations themselves are checked once, in the nodenext build below.
      await compile(project, module === 'bundler' ? 'preserve' : module, resolution, {
        skipLibCheck: true,
      });
    });
  }

  it('builds under moduleResolution nodenext and runs: CommonJS and ESM entries read events from both simulators, the examples pass their tests', async () => {
    await compile(project, 'nodenext', 'nodenext', { outDir: 'out' });
    for (const [file, format] of [
      ['out/main.cjs', 'commonjs'],
      ['out/main.mjs', 'esm'],
    ] as const) {
      const { stdout } = await run(process.execPath, [file], { cwd: project, timeout: 30_000 });
      const who = format === 'commonjs' ? 'cjs' : 'esm';
      assert.deepEqual(JSON.parse(stdout), {
        format,
        texts: [`hello from ${who}, legacy`, `hello from ${who}, messaging`],
        sameClass: true,
        coded: true,
      });
    }
    const { stdout } = await run(
      process.execPath,
      ['--test', '--test-reporter=tap', 'out/examples/integration.test.js'],
      { cwd: project, timeout: 60_000 },
    );
    assert.match(stdout, /# pass [1-9]/);
    assert.match(stdout, /# fail 0/);
  });
});
