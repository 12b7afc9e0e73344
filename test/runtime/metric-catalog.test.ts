import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { metricCatalog, metricSpec, type MetricKind } from '../../src/runtime/metric-catalog.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const rel = join(dir, name);
    if (statSync(join(root, rel)).isDirectory()) return sources(rel);
    return rel.endsWith('.ts') ? [rel] : [];
  });
}

/** Every metric name the code passes to a sink as a literal, with the method that takes it. */
function emitted(): Array<{ file: string; key: string; kind: MetricKind }> {
  const kinds: Record<string, MetricKind> = { increment: 'counter', record: 'histogram', gauge: 'gauge' };
  const found: Array<{ file: string; key: string; kind: MetricKind }> = [];
  for (const file of [...sources('src'), ...sources('adapters')]) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const m of text.matchAll(/\b(increment|record|gauge)(?:\?\.)?\(\s*'([A-Za-z][\w.]*)'/g))
      found.push({ file, key: m[2] as string, kind: kinds[m[1] as string] as MetricKind });
  }
  return found;
}

describe('metric catalog', () => {
  it('names every metric the code emits, with the kind of instrument it is emitted as', () => {
    const seen = emitted();
    assert.ok(seen.length >= 25, `the scan found only ${seen.length} emissions: is the pattern stale?`);
    for (const { file, key, kind } of seen) {
      const spec = metricSpec(key);
      assert.ok(
        spec !== undefined,
        `${file} emits '${key}', which src/runtime/metric-catalog.ts does not list`,
      );
      assert.equal(spec.kind, kind, `${file} emits '${key}' as a ${kind}; the catalog says ${spec.kind}`);
    }
  });

  it('has unique keys and instrument names, and no attribute that could carry an id', () => {
    assert.equal(new Set(metricCatalog.map((m) => m.key)).size, metricCatalog.length);
    assert.equal(new Set(metricCatalog.map((m) => m.name)).size, metricCatalog.length);
    for (const m of metricCatalog) {
      assert.match(m.name, /^(messaging\.|chatshift\.)[a-z_.]+$/, m.name);
      if (m.kind === 'histogram') assert.equal(m.unit, 's', `${m.name}: durations are in seconds`);
      for (const a of [...m.attributes, ...Object.keys(m.constant ?? {})])
        assert.doesNotMatch(a, /conversation|dialog|consumer|agent|\.id$|_id$/i, `${m.name} allows ${a}`);
    }
  });

  it('uses the OpenTelemetry messaging semantic-convention names where they exist', () => {
    const names = new Set(metricCatalog.map((m) => m.name));
    for (const n of [
      'messaging.client.consumed.messages',
      'messaging.client.operation.duration',
      'messaging.process.duration',
    ])
      assert.ok(names.has(n), n);
  });

  it('is listed in docs/operations.md, row for row', () => {
    const doc = readFileSync(join(root, 'docs/operations.md'), 'utf8');
    // Prettier pads the table's cells: compare them trimmed.
    const rows = doc
      .split('\n')
      .filter((line) => /^\| `[\w.]+` +\| `/.test(line))
      .map((line) => {
        const [key, name, kind, unit, attributes] = line
          .split('|')
          .slice(1, 6)
          .map((c) => c.trim());
        return {
          key: key?.slice(1, -1),
          name: name?.slice(1, -1),
          kind,
          unit: unit?.slice(1, -1),
          attributes,
        };
      });
    const expected = metricCatalog.map((m) => ({
      key: m.key,
      name: m.name,
      kind: m.kind,
      unit: m.unit,
      attributes:
        [
          ...m.attributes.map((a) => `\`${a}\``),
          ...Object.entries(m.constant ?? {}).map(([k, v]) => `\`${k}=${v}\``),
        ].join(', ') || '—',
    }));
    assert.deepEqual(rows, expected);
  });
});
