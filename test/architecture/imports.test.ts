import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const rel = join(dir, name);
    if (statSync(join(root, rel)).isDirectory()) out.push(...tsFiles(rel));
    else if (name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

/** Relative import targets of a file, resolved to repository paths (bare packages are ignored). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)].map(
    (m) => m[1] ?? '',
  );
  return specs.filter((s) => s.startsWith('.')).map((s) => relative(root, resolve(root, dirname(file), s)));
}

const layer = (path: string): string => {
  const parts = path.split('/');
  return parts[0] === 'adapters' ? `adapters/${parts[1] ?? ''}` : parts.slice(0, 2).join('/');
};

describe('import rules (docs/architecture.md)', () => {
  const adapterNames = readdirSync(join(root, 'adapters'));

  for (const adapter of adapterNames) {
    it(`adapters/${adapter} imports no other adapter and only the core model, operators, errors, runtime and checkpoint interface`, () => {
      const allowedCore = [
        'src/model',
        'src/operators',
        'src/errors.ts',
        'src/runtime',
        'src/checkpoint/store.ts',
        'src/checkpoint/writer.ts',
        // The sharded runner composes conversationEvents (or consume) and conversationActions per
        // shard (design.md §7 puts it in adapters/redis).
        ...(adapter === 'redis'
          ? ['src/cutover', 'src/actions/conversation-actions.ts', 'src/consume/consume.ts']
          : []),
      ];
      for (const file of tsFiles(`adapters/${adapter}`)) {
        for (const target of importsOf(file)) {
          if (target.startsWith('adapters/')) {
            assert.equal(layer(target), `adapters/${adapter}`, `${file} imports ${target}`);
          } else {
            assert.ok(
              allowedCore.some((p) => target.startsWith(p.replace(/\.ts$/, ''))),
              `${file} imports ${target}: adapters may import only ${allowedCore.join(', ')}`,
            );
          }
        }
      }
    });
  }

  it('src/ imports no adapter outside the CLI, its composition root (the seam: core defines, adapters implement)', () => {
    for (const file of tsFiles('src').filter((f) => !f.startsWith('src/cli/'))) {
      for (const target of importsOf(file)) {
        assert.ok(!target.startsWith('adapters/'), `${file} imports ${target}`);
      }
    }
  });

  for (const pure of ['src/model', 'src/operators', 'src/runtime', 'src/checkpoint']) {
    it(`${pure} never imports an adapter, the cutover or the CLI`, () => {
      for (const file of tsFiles(pure).filter(() => true)) {
        for (const target of importsOf(file)) {
          assert.ok(!target.startsWith('adapters/'), `${file} imports ${target}`);
          assert.ok(
            !target.startsWith('src/cutover') && !target.startsWith('src/cli'),
            `${file} imports ${target}`,
          );
        }
      }
    });
  }

  it('no source file uses an `export *` barrel', () => {
    for (const file of [...tsFiles('src'), ...tsFiles('adapters')]) {
      assert.doesNotMatch(readFileSync(join(root, file), 'utf8'), /^export \* from/m, file);
    }
  });

  it('the checker itself sees imports (it would catch a violation)', () => {
    assert.ok(importsOf('src/index.ts').includes('src/model/event.js'));
  });
});
