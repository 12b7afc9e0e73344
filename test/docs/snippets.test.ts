import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The marker that exempts the next ```ts block (a fragment that cannot stand alone). Use sparingly. */
export const skipMarker = '<!-- snippet: not compiled -->';

/** One ```ts block of a Markdown file: its code and the line its first code line is on. */
export interface Snippet {
  readonly file: string;
  readonly line: number;
  readonly code: string;
  readonly skipped: boolean;
}

/** Finds every ```ts block (indented ones too, as inside a list item) of a Markdown text. */
export function snippetsOf(file: string, text: string): Snippet[] {
  const lines = text.split('\n');
  const found: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```ts\s*$/.exec(lines[i] ?? '');
    if (open === null) continue;
    const indent = open[1]?.length ?? 0;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end] ?? '')) end++;
    const previous = lines
      .slice(0, i)
      .reverse()
      .find((l) => l.trim() !== '');
    found.push({
      file,
      line: start + 1,
      code: lines
        .slice(start, end)
        .map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))
        .join('\n'),
      skipped: previous?.trim() === skipMarker,
    });
    i = end;
  }
  return found;
}

// The reader's own objects the snippets use without defining them, typed as the docs mean them.
const context = `import type { Observable } from 'rxjs';
import type { BackendChoice, CheckpointStore, ConversationEvent, Logger } from 'chatshift';
import type { LegacyChatBackend } from 'chatshift/legacy-chat';
import type { MessagingBackend } from 'chatshift/messaging';
declare global {
  const flag$: Observable<BackendChoice>;
  const tokens: { current(): string };
  const auth: { bearer(): Promise<string> };
  const crm: {
    append(conversationId: string, role: string, text: string): void;
    close(conversationId: string): void;
  };
  const db: {
    upsert(...args: [ConversationEvent] | [string, ConversationEvent]): Promise<void>;
    insert(e: ConversationEvent): Promise<void>;
  };
  const log: Logger;
  const agentSessionUrl: string;
  const accountId: string;
  const domain: string;
  const userId: string;
  const agentId: string;
  const legacy: LegacyChatBackend;
  const messaging: MessagingBackend;
  const msg: MessagingBackend;
  const logger: Required<Logger>; // the reader's own logger (console, pino, …)
  const backend: BackendChoice;
  const checkpoint: CheckpointStore;
  const events$: Observable<ConversationEvent>;
  const line: string;
  const path: string;
  function handle(e: ConversationEvent): void;
  function reLogin(): void;
  function pino(): import('pino').Logger; // the real pino's type
}
export {};
`;

// A snippet that must not compile: proves the check reports errors at all.
const broken: Snippet = {
  file: '(self-check)',
  line: 1,
  code: "import { conversationEvents } from 'chatshift';\nconversationEvents({ bakend: 'messaging' });",
  skipped: false,
};

const markdownFiles = (): string[] => {
  const docs = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
      d.isDirectory() ? docs(join(dir, d.name)) : d.name.endsWith('.md') ? [join(dir, d.name)] : [],
    );
  return [join(root, 'README.md'), ...docs(join(root, 'docs'))];
};

/** The `@example` blocks of the library's TSDoc (what typedoc shows), as Markdown-like text per file. */
const tsdocSources = (): Array<{ file: string; text: string }> => {
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
      d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
    );
  return [...sources(join(root, 'src')), ...sources(join(root, 'adapters'))].map((f) => ({
    file: relative(root, f),
    // Comment lines lose their leading ` * `; line numbers stay.
    text: readFileSync(f, 'utf8').replace(/^[ \t]*\*(?: |$)/gm, ''),
  }));
};

/** Type-checks the snippets, each as its own module; returns tsc's diagnostics per snippet. */
async function typeCheck(snippets: readonly Snippet[]): Promise<Map<Snippet, string[]>> {
  const dir = join(root, '.tmp/docs-snippets');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const names = snippets.map((s, i) => `snippet-${i}.ts`);
  snippets.forEach((s, i) => writeFileSync(join(dir, names[i] ?? ''), `${s.code}\nexport {};\n`));
  writeFileSync(join(dir, 'context.d.ts'), context);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../tsconfig.json',
      compilerOptions: {
        rootDir: '../..',
        noEmit: true,
        types: ['node'],
        paths: {
          chatshift: ['../../src/index.ts'],
          'chatshift/legacy-chat': ['../../adapters/legacy-chat/index.ts'],
          'chatshift/messaging': ['../../adapters/messaging/index.ts'],
        },
      },
      include: ['*.ts'],
      exclude: [],
    }),
  );
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const out = await promisify(execFile)(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], {
    cwd: dir,
  }).then(
    (r) => r.stdout,
    (e: { stdout?: string }) => e.stdout ?? '',
  );
  const byFile = new Map<Snippet, string[]>(snippets.map((s) => [s, []]));
  for (const m of out.matchAll(/^(snippet-(\d+)\.ts)\((\d+),(\d+)\): (error .*)$/gm)) {
    const s = snippets[Number(m[2])];
    if (s === undefined) continue;
    byFile.get(s)?.push(`${s.file}:${s.line + Number(m[3]) - 1}: ${m[5]}`);
  }
  // Lines that start with a space continue the diagnostic above them.
  const unmatched = out
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^\s/.test(l) && !/^snippet-\d+\.ts\(/.test(l));
  assert.deepEqual(unmatched, [], 'tsc reported errors outside the snippets');
  return byFile;
}

describe('docs: every ```ts snippet in README.md, docs/ and the TSDoc @example blocks compiles against the public API', function () {
  // One tsc run over all snippets and the sources they import.
  this.timeout(180_000);

  it('finds the snippets, compiles each as a module importing chatshift by name, and reports a broken one', async () => {
    const all = [
      ...markdownFiles().map((f) => ({ file: relative(root, f), text: readFileSync(f, 'utf8') })),
      ...tsdocSources(),
    ].flatMap(({ file, text }) => snippetsOf(file, text));
    const compiled = all.filter((s) => !s.skipped);
    assert.ok(compiled.length >= 20, `snippets found: ${compiled.length}`);
    const skipped = all.filter((s) => s.skipped).map((s) => `${s.file}:${s.line}`);
    assert.ok(skipped.length <= 3, `snippets skipped (use the marker sparingly): ${skipped.join(', ')}`);
    const errors = await typeCheck([...compiled, broken]);
    assert.match((errors.get(broken) ?? []).join('\n'), /bakend/, 'the self-check snippet fails to compile');
    errors.delete(broken);
    assert.deepEqual([...errors.values()].flat(), []);
  });

  it('reads indented blocks and the skip marker', () => {
    const md = [
      '- item',
      '',
      '  ```ts',
      '  const a = 1;',
      '  ```',
      '',
      skipMarker,
      '```ts',
      'fragment(',
      '```',
    ].join('\n');
    assert.deepEqual(snippetsOf('x.md', md), [
      { file: 'x.md', line: 4, code: 'const a = 1;', skipped: false },
      { file: 'x.md', line: 9, code: 'fragment(', skipped: true },
    ]);
  });
});
