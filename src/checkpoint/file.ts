import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
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
  /**
   * How many closed conversations each backend keeps (the most recently saved): enough for a
   * restarted source not to follow them again; older ones are dropped at the next save, so the
   * file stays O(open conversations + maxClosed). Default 10000.
   */
  maxClosed?: number;
  /** How long a save (or the first load) waits for another process's lock, in ms. Default 10000. */
  lockTimeoutMs?: number;
}

/** A lock file still without a pid after this long was left by a process killed as it took it. */
const EMPTY_LOCK_MS = 1000;
/** A lock older than this is taken over even if its process seems alive (a reused pid). */
const STALE_LOCK_MS = 60_000;

/**
 * Checkpoints in one JSON file, written atomically: each save writes a temporary file beside it,
 * fsyncs it, and renames it over the old one, so a process killed mid-write leaves either the old
 * or the new file, never half of one. A file that exists but cannot be parsed is reported as
 * `ERR_CHECKPOINT_CORRUPT` rather than silently reset (that would replay or lose events).
 *
 * Several instances — in one process or several — may share the file: each save takes the lock
 * file `<path>.lock` (holding the process id), reads the file afresh, applies only its own changes
 * and writes it back, so no instance erases another's entries. A lock held by a live process for
 * longer than `lockTimeoutMs` fails the save with `ERR_CHECKPOINT_LOCKED` naming the lock file; a
 * lock left by a dead process is taken over. Saves of one instance are serialised, and `load()`
 * waits for the saves queued before it. Closed conversations are compacted (see `maxClosed`).
 *
 * @example
 * ```ts
 * import { conversationEvents, fileCheckpointStore } from 'chatshift';
 *
 * const checkpoint = fileCheckpointStore('/var/lib/my-bridge/chatshift.json');
 * conversationEvents({ backend: 'legacy-chat', legacy, checkpoint }).subscribe(handle);
 * ```
 */
export function fileCheckpointStore(path: string, options: FileCheckpointStoreOptions = {}): CheckpointStore {
  if (typeof path !== 'string' || path.length === 0) {
    throw new ChatshiftError('ERR_INVALID_OPTIONS', 'fileCheckpointStore: path must be a non-empty string');
  }
  // A folder that is not there would fail only at the first load or save: say so now (#14).
  const folder = dirname(resolve(path));
  if (!isDirectory(folder))
    throw new ChatshiftError(
      'ERR_INVALID_OPTIONS',
      `fileCheckpointStore: the folder ${folder} does not exist (checkpoint file ${path}); create it first`,
      { details: { folder } },
    );
  const doFsync = options.fsync ?? true;
  const maxClosed = options.maxClosed ?? 10_000;
  const lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
  for (const [name, v] of [
    ['maxClosed', maxClosed],
    ['lockTimeoutMs', lockTimeoutMs],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new ChatshiftError('ERR_INVALID_OPTIONS', `fileCheckpointStore: ${name} must be an integer >= 0`);
  }
  let queue: Promise<unknown> = Promise.resolve();
  let cleaned = false;
  // The document as this instance last wrote or read it, and the file identity it came from: reused
  // while nobody else has replaced the file (a save then costs no read and no parse).
  let cache: { doc: FileShape; id: string } | undefined;
  const fileId = async (): Promise<string | undefined> => {
    try {
      const st = await stat(path, { bigint: true });
      return `${st.ino}:${st.size}:${st.mtimeNs}`;
    } catch {
      return undefined;
    }
  };
  const fresh = async (): Promise<FileShape> => {
    const id = await fileId();
    if (cache !== undefined && id === cache.id) return cache.doc;
    const doc = await readDoc(path);
    cache = id === undefined ? undefined : { doc, id };
    return doc;
  };
  const enqueue = <T>(job: () => Promise<T>): Promise<T> => {
    const run = queue.then(job);
    queue = run.catch(() => {});
    return run;
  };
  /** Reads the file afresh under the lock (the first time also removing a dead writer's temp files). */
  const locked = <T>(job: () => Promise<T>): Promise<T> =>
    withLock(path, lockTimeoutMs, async () => {
      if (!cleaned) {
        await removeStaleTemps(path);
        cleaned = true;
      }
      return job();
    });

  return {
    load(backend) {
      return enqueue(async () => {
        const d = cleaned ? await fresh() : await locked(fresh);
        return structuredClone(d.backends[backend] ?? {});
      });
    },
    save(backend, changes) {
      return enqueue(() =>
        locked(async () => {
          // Changed in place: the cache is dropped until the write succeeds.
          const d = await fresh();
          cache = undefined;
          const m = (d.backends[backend] ??= {});
          for (const [k, v] of Object.entries(changes)) {
            // Re-inserted, so that key order is save order: compaction keeps the newest closed.
            delete m[k];
            if (v !== null) m[k] = structuredClone(v);
          }
          compact(m, maxClosed);
          await writeAtomic(path, `${JSON.stringify(d)}\n`, doFsync);
          const id = await fileId();
          if (id !== undefined) cache = { doc: d, id };
        }),
      );
    },
  };
}

function isDirectory(folder: string): boolean {
  try {
    return statSync(folder).isDirectory();
  } catch {
    return false;
  }
}

/** Drops the oldest closed conversations beyond `maxClosed` (key order is save order). */
function compact(m: CheckpointMap, maxClosed: number): void {
  let closed = 0;
  for (const v of Object.values(m)) if (v.closed === true) closed++;
  if (closed <= maxClosed) return;
  for (const [k, v] of Object.entries(m)) {
    if (closed <= maxClosed) break;
    if (v.closed === true) {
      delete m[k];
      closed--;
    }
  }
}

async function withLock<T>(path: string, timeoutMs: number, job: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
    let fh: FileHandle | undefined;
    try {
      fh = await open(lock, 'wx', 0o600);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST')
        throw new ChatshiftError('ERR_CHECKPOINT_IO', `cannot create the lock file ${lock}`, { cause });
      const holder = await lockHolder(lock);
      if (holder.stale) {
        await unlink(lock).catch(() => {});
        continue;
      }
      if (Date.now() >= deadline)
        throw new ChatshiftError(
          'ERR_CHECKPOINT_LOCKED',
          `checkpoint file ${path} is locked by process ${holder.pid ?? '?'} (lock file ${lock}); ` +
            'is another chatshift using the same file?',
          { details: { lock, ...(holder.pid === undefined ? {} : { pid: holder.pid }) } },
        );
      await new Promise((r) => setTimeout(r, wait));
      continue;
    }
    try {
      await fh.writeFile(`${process.pid}\n`, 'utf8');
    } finally {
      await fh.close();
    }
    try {
      return await job();
    } finally {
      await unlink(lock).catch(() => {});
    }
  }
}

/** Who holds a lock, and whether it is stale: its process is gone, or it is very old. */
async function lockHolder(lock: string): Promise<{ pid?: number; stale: boolean }> {
  let text: string;
  let age: number;
  try {
    [text, age] = await Promise.all([
      readFile(lock, 'utf8'),
      stat(lock).then((st) => Date.now() - st.mtimeMs),
    ]);
  } catch {
    return { stale: false }; // released meanwhile: try again
  }
  const pid = Number(text.trim());
  // No pid yet: its holder writes it right after creating the file, so an empty lock older than a
  // moment was left by a process killed in between.
  if (!Number.isSafeInteger(pid) || pid <= 0) return { stale: age > EMPTY_LOCK_MS };
  if (age > STALE_LOCK_MS) return { pid, stale: true };
  if (pid === process.pid) return { pid, stale: false };
  try {
    process.kill(pid, 0);
    return { pid, stale: false };
  } catch (e) {
    return { pid, stale: (e as NodeJS.ErrnoException).code === 'ESRCH' };
  }
}

async function readDoc(path: string): Promise<FileShape> {
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
