import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { from, filter, lastValueFrom, toArray } from 'rxjs';
import type { ConversationEvent } from '../../src/model/event-types.js';
import {
  isEvent,
  isMessage,
  isParticipantChange,
  isReceipt,
  isStateChange,
  isTyping,
  speakerOf,
} from '../../src/model/guards.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');

/** A TypeScript program over `files` with the project's strictness. */
function program(files: string[]): ts.Program {
  return ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    exactOptionalPropertyTypes: true,
    noEmit: true,
    skipLibCheck: true,
  });
}

const errorsOf = (p: ts.Program, file: string): string[] =>
  ts
    .getPreEmitDiagnostics(p, p.getSourceFile(file))
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));

// Issue #14: readable types — named interfaces equal to the codecs, exported guards that narrow.
describe('event types', function () {
  this.timeout(60_000);
  const fixture = join(here, 'fixtures/event-types-check.ts');
  const interfaces = join(root, 'src/model/event-types.ts');
  // A deliberate mismatch, compiled in the same program (one program: they are slow to build).
  let dir: string;
  let bad: string;
  let p: ts.Program;
  before(() => {
    dir = mkdtempSync(join(here, 'fixtures/.tmp-'));
    bad = join(dir, 'mismatch.ts');
    writeFileSync(
      bad,
      `import type * as t from 'io-ts';
import type { MessageEventCodec } from '../../../../src/model/event.js';
import type { ChatMessageEvent } from '../../../../src/model/event-types.js';
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const ok: Mutual<t.TypeOf<typeof MessageEventCodec>, ChatMessageEvent & { extra: string }> = true;
`,
    );
    p = program([fixture, interfaces, bad]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('each named interface and its io-ts codec are mutually assignable', () => {
    assert.deepEqual(errorsOf(p, fixture), []);
  });

  it('the check fails when an interface and its codec differ (the check itself is checked)', () => {
    const errors = errorsOf(p, bad);
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0] ?? '', /Type 'true' is not assignable to type 'false'/);
  });

  it('hovers show named interfaces, not io-ts internals', () => {
    const checker = p.getTypeChecker();
    const file = p.getSourceFile(interfaces);
    const symbol = file === undefined ? undefined : checker.getSymbolAtLocation(file);
    assert.ok(symbol !== undefined);
    const event = checker.getExportsOfModule(symbol).find((s) => s.getName() === 'ConversationEvent');
    assert.ok(event !== undefined);
    const union = checker.typeToString(
      checker.getDeclaredTypeOfSymbol(event),
      undefined,
      ts.TypeFormatFlags.InTypeAlias | ts.TypeFormatFlags.NoTruncation,
    );
    assert.equal(union, 'ChatMessageEvent | StateEvent | TypingEvent | ParticipantEvent | ReceiptEvent');

    const fixtureFile = p.getSourceFile(fixture);
    const fixtureSymbol = fixtureFile === undefined ? undefined : checker.getSymbolAtLocation(fixtureFile);
    assert.ok(fixtureSymbol !== undefined);
    const typeOf = (name: string): string => {
      const s = checker.getExportsOfModule(fixtureSymbol).find((x) => x.getName() === name);
      assert.ok(s !== undefined, name);
      return checker.typeToString(checker.getTypeOfSymbol(s));
    };
    assert.equal(typeOf('messages$'), 'Observable<ChatMessageEvent>');
    assert.equal(typeOf('states$'), 'Observable<StateEvent>');
    assert.doesNotMatch(union + typeOf('messages$'), /TypeOf|Props|LiteralC/);
  });

  it('the guards select by type at run time, and speakerOf reads from or participant', async () => {
    const base = { backend: 'messaging', conversationId: 'c', time: '2026-01-01T00:00:00.000Z' } as const;
    const agent = { role: 'agent', id: '123.7' } as const;
    const events: ConversationEvent[] = [
      { ...base, id: 'm', type: 'message', from: { role: 'consumer' }, text: 'hi', format: 'plain' },
      { ...base, id: 's', type: 'state', state: 'open' },
      { ...base, id: 't', type: 'typing', participant: agent, typing: true },
      { ...base, id: 'p', type: 'participant', action: 'joined', participant: agent },
      { ...base, id: 'r', type: 'receipt', status: 'read', seqs: [1], participant: agent },
    ];
    const ids = async (guard: (e: ConversationEvent) => boolean) =>
      (await lastValueFrom(from(events).pipe(filter(guard), toArray()))).map((e) => e.id);
    assert.deepEqual(await ids(isMessage), ['m']);
    assert.deepEqual(await ids(isStateChange), ['s']);
    assert.deepEqual(await ids(isTyping), ['t']);
    assert.deepEqual(await ids(isParticipantChange), ['p']);
    assert.deepEqual(await ids(isReceipt), ['r']);
    assert.deepEqual(await ids(isEvent('receipt')), ['r']);
    assert.deepEqual(
      events.map((e) => speakerOf(e)?.role),
      ['consumer', undefined, 'agent', 'agent', 'agent'],
    );
  });
});
