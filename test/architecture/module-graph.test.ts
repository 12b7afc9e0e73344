import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

/**
 * Imports `entry` (a source file, through tsx) in a fresh Node process and returns the packages it
 * loaded from node_modules. ws and undici are CommonJS, so the CommonJS module cache of that
 * process lists them once anything imported them, even from ES modules.
 */
async function packagesLoadedBy(entry: string): Promise<string[]> {
  const script = `
    import { createRequire } from 'node:module';
    import { pathToFileURL } from 'node:url';
    await import(pathToFileURL(${JSON.stringify(resolve(root, entry))}).href);
    const files = Object.keys(createRequire(import.meta.url).cache);
    const names = new Set(files.map((f) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(f)?.[1]).filter(Boolean));
    process.stdout.write(JSON.stringify([...names].sort()));
  `;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
  });
  return JSON.parse(stdout) as string[];
}

describe('module graph: optional I/O loads only when asked for', function () {
  this.timeout(60_000);

  it("import 'chatshift' loads neither ws nor undici", async () => {
    const loaded = await packagesLoadedBy('src/index.ts');
    assert.ok(loaded.includes('rxjs'), `the probe sees CommonJS packages (loaded: ${loaded.join(', ')})`);
    assert.ok(!loaded.includes('ws'), `ws was loaded: ${loaded.join(', ')}`);
    assert.ok(!loaded.includes('undici'), `undici was loaded: ${loaded.join(', ')}`);
    assert.ok(
      !loaded.includes('redis') && !loaded.includes('@redis/client'),
      `redis was loaded: ${loaded.join(', ')}`,
    );
  });

  it('chatshift/redis loads no Redis client: the application brings its own (an optional peer)', async () => {
    const loaded = await packagesLoadedBy('adapters/redis/index.ts');
    assert.ok(loaded.includes('rxjs'), `the probe sees CommonJS packages (loaded: ${loaded.join(', ')})`);
    assert.ok(
      !loaded.includes('redis') && !loaded.includes('@redis/client'),
      `redis was loaded: ${loaded.join(', ')}`,
    );
  });

  it("import 'chatshift' does not load @opentelemetry/api (an optional peer: openTelemetryMetrics takes the meter)", async () => {
    const loaded = await packagesLoadedBy('src/index.ts');
    assert.ok(!loaded.includes('@opentelemetry/api'), `@opentelemetry/api was loaded: ${loaded.join(', ')}`);
    // The probe does see it when something loads it: the SDK does.
    const sdk = await packagesLoadedBy('node_modules/@opentelemetry/sdk-metrics/build/src/index.js');
    assert.ok(sdk.includes('@opentelemetry/api'), `the probe saw: ${sdk.join(', ')}`);
  });

  it('the adapters load their own transport (the probe would catch a leak into core)', async () => {
    assert.ok((await packagesLoadedBy('adapters/messaging/index.ts')).includes('ws'));
    assert.ok((await packagesLoadedBy('adapters/legacy-chat/index.ts')).includes('undici'));
  });
});
