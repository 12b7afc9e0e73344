import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
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
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

// `npm test` builds before mocha runs; this proves the built entry points resolve by package name
// from a separate project that links the checkout, as a user's project would.
describe('the built package', function () {
  let project: string;

  before(function () {
    if (!existsSync(join(root, 'dist/src/index.js'))) {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
    }
    project = mkdtempSync(join(tmpdir(), 'chatshift-consumer-'));
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(root, join(project, 'node_modules', 'chatshift'), 'dir');
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', type: 'module', private: true }),
    );
  });

  after(() => rmSync(project, { recursive: true, force: true }));

  it('imports chatshift, chatshift/legacy-chat and chatshift/messaging by name from another project', () => {
    writeFileSync(
      join(project, 'main.js'),
      [
        "import * as core from 'chatshift';",
        "import * as legacy from 'chatshift/legacy-chat';",
        "import * as messaging from 'chatshift/messaging';",
        'console.log(JSON.stringify({ core: Object.keys(core).sort(), legacy: Object.keys(legacy), messaging: Object.keys(messaging),',
        "  decoded: core.decodeConversationEvent({ id: 'x', backend: 'messaging', conversationId: 'c', time: '2020-01-01T00:00:00.000Z', type: 'state', state: 'open' })._tag }));",
      ].join('\n'),
    );
    const out = JSON.parse(
      execFileSync(process.execPath, ['main.js'], { cwd: project, encoding: 'utf8' }),
    ) as {
      core: string[];
      legacy: string[];
      messaging: string[];
      decoded: string;
    };
    for (const name of [
      'ConversationEventCodec',
      'ChatshiftError',
      'decodeConversationEvent',
      'flowControl',
    ]) {
      assert.ok(out.core.includes(name), `chatshift exports ${name}`);
    }
    assert.ok(out.legacy.length > 0);
    assert.ok(out.messaging.length > 0);
    assert.equal(out.decoded, 'Right');
  });

  it('ships type declarations for every entry point', () => {
    for (const d of [
      'dist/src/index.d.ts',
      'dist/adapters/legacy-chat/index.d.ts',
      'dist/adapters/messaging/index.d.ts',
    ]) {
      assert.ok(existsSync(join(root, d)), d);
    }
  });

  it("declares its public types without a devDependency's types (a user has no @types/ws)", () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const allowed = new Set([
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.peerDependencies ?? {}),
    ]);
    const declarations = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
        d.isDirectory()
          ? declarations(join(dir, d.name))
          : d.name.endsWith('.d.ts')
            ? [join(dir, d.name)]
            : [],
      );
    const shipsTypes = (name: string): boolean => {
      const manifest = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as {
        types?: string;
        typings?: string;
      };
      return (
        manifest.types !== undefined ||
        manifest.typings !== undefined ||
        existsSync(join(root, 'node_modules', name, 'index.d.ts'))
      );
    };
    assert.equal(shipsTypes('ws'), false, 'the probe knows ws is typed by @types/ws');
    assert.equal(shipsTypes('rxjs'), true);
    const files = declarations(join(root, 'dist'));
    assert.ok(files.length > 20, `declarations found: ${files.length}`);
    for (const file of files) {
      // Comments hold @example code (`import … from 'chatshift'`): only declarations count.
      const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
      for (const m of text.matchAll(/(?:from\s+|import\()['"]([^'"]+)['"]/g)) {
        const spec = m[1] ?? '';
        if (spec.startsWith('.') || spec.startsWith('node:')) continue;
        const name = spec.startsWith('@')
          ? spec.split('/').slice(0, 2).join('/')
          : (spec.split('/')[0] ?? '');
        const where = `${file.slice(root.length + 1)} imports types from '${spec}'`;
        assert.ok(allowed.has(name), `${where}, not a dependency`);
        assert.ok(
          shipsTypes(name) || allowed.has(`@types/${name}`),
          `${where}, typed only by a devDependency`,
        );
      }
    }
  });

  it('has an executable CLI whose --help exits 0', () => {
    const out = execFileSync(process.execPath, [join(root, 'dist/src/cli/main.js'), '--help'], {
      encoding: 'utf8',
    });
    assert.match(out, /Usage:/);
  });
});
