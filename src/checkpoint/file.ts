import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as t from 'io-ts';
import { ChatshiftError } from '../errors.js';
import { formatValidationErrors } from '../model/decode.js';
import type { BackendId } from '../model/event.js';
import type { CheckpointMap, CheckpointStore } from './store.js';

const CheckpointCodec = t.intersection([
  t.type({ seq: t.number }),
  t.partial({ closed: t.boolean, meta: t.UnknownRecord }),
]);
const FileCodec = t.type({
  version: t.literal(1),
  backends: t.partial({
    'legacy-chat': t.record(t.string, CheckpointCodec),
    messaging: t.record(t.string, CheckpointCodec),
  }),
});
type FileShape = { version: 1; backends: Partial<Record<BackendId, CheckpointMap>> };

export interface FileCheckpointStoreOptions {
  /**
   * Call fsync on the file and its folder at every save, so a power loss cannot leave a
   * renamed-but-empty file. Default true; turn off only for tests and demos.
   */
  fsync?: boolean;
}

/**
 * Checkpoints in one JSON file, written atomically: each save writes a temporary file beside it,
 * fsyncs it, and renames it over the old one, so a process killed mid-write leaves either the old
 * or the new file, never half of one. A file that exists but cannot be parsed is reported as
 * `ERR_CHECKPOINT_CORRUPT` rather than silently reset (that would replay or lose events).
 * Saves are serialised; the file is read once and then kept in memory.
 */
export function fileCheckpointStore(path: string, options: FileCheckpointStoreOptions = {}): CheckpointStore {
  if (typeof path !== 'string' || path.length === 0) {
    throw new ChatshiftError('ERR_INVALID_OPTIONS', 'fileCheckpointStore: path must be a non-empty string');
  }
  const doFsync = options.fsync ?? true;
  let doc: Promise<FileShape> | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const current = (): Promise<FileShape> => (doc ??= readDoc(path));

  return {
    async load(backend) {
      const d = await current();
      return structuredClone(d.backends[backend] ?? {});
    },
    save(backend, changes) {
      const run = queue.then(async () => {
        const d = await current();
        const m = (d.backends[backend] ??= {});
        for (const [k, v] of Object.entries(changes)) {
          if (v === null) delete m[k];
          else m[k] = structuredClone(v);
        }
        await writeAtomic(path, `${JSON.stringify(d)}\n`, doFsync);
      });
      queue = run.catch(() => {});
      return run;
    },
  };
}

async function readDoc(path: string): Promise<FileShape> {
  await removeStaleTemps(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, backends: {} };
    throw new ChatshiftError('ERR_CHECKPOINT_IO', `cannot read checkpoint file ${path}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ChatshiftError('ERR_CHECKPOINT_CORRUPT', `checkpoint file ${path} is not valid JSON`, {
      cause,
    });
  }
  const r = FileCodec.decode(json);
  if (r._tag === 'Left') {
    const why = formatValidationErrors(r.left).slice(0, 3).join('; ');
    throw new ChatshiftError(
      'ERR_CHECKPOINT_CORRUPT',
      `checkpoint file ${path} has an unexpected shape: ${why}`,
    );
  }
  return r.right as FileShape;
}

const tempPrefix = (path: string) => `.${basename(path)}.`;

async function writeAtomic(path: string, text: string, doFsync: boolean): Promise<void> {
  const tmp = join(dirname(path), `${tempPrefix(path)}${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(text, 'utf8');
      if (doFsync) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    if (doFsync) await syncDir(dirname(path));
  } catch (cause) {
    await unlink(tmp).catch(() => {});
    throw new ChatshiftError('ERR_CHECKPOINT_IO', `cannot write checkpoint file ${path}`, { cause });
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // some file systems refuse fsync on a directory; the rename is still atomic
  } finally {
    await fh.close();
  }
}

// A process killed between writing and renaming leaves its temporary file behind.
async function removeStaleTemps(path: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return;
  }
  const prefix = tempPrefix(path);
  await Promise.all(
    names
      .filter((n) => n.startsWith(prefix) && n.endsWith('.tmp'))
      .map((n) => unlink(join(dirname(path), n)).catch(() => {})),
  );
}
