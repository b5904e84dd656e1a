/**
 * @module A durable, bounded FIFO on disk: one file per item named by a zero-padded sequence
 * number, written to a temporary name, fsynced and renamed, so a crash leaves whole items only.
 * When full, the oldest item is deleted and counted. Operations run one at a time (a promise
 * chain), so the sender removing the head and a push evicting it never race.
 */
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export interface QueueItem {
  seq: number;
  /** Server path the item is POSTed to. */
  path: string;
  body: unknown;
  enqueuedAtMs: number;
}

export type DropReason = 'overflow' | 'rejected' | 'corrupt';

export interface DiskQueue {
  push(item: Omit<QueueItem, 'seq'>): Promise<number>;
  /** The oldest item, or undefined when empty. */
  peek(): Promise<QueueItem | undefined>;
  /** Removes an item after delivery, or after the server refused it for good (counted as `reason`). */
  remove(seq: number, reason?: DropReason): Promise<void>;
  length(): number;
  dropped(): Record<DropReason, number>;
}

const FILE = /^(\d{16})\.json$/;
const fileName = (seq: number) => `${String(seq).padStart(16, '0')}.json`;

export async function openDiskQueue(options: { dir: string; maxItems: number }): Promise<DiskQueue> {
  const { dir, maxItems } = options;
  await mkdir(dir, { recursive: true });
  const entries = await readdir(dir);
  // Leftover temporaries are items whose write never finished: not part of the queue.
  await Promise.all(entries.filter((e) => e.startsWith('.tmp-')).map((e) => rm(path.join(dir, e), { force: true })));
  const seqs = entries
    .map((e) => FILE.exec(e))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  let nextSeq = (seqs.at(-1) ?? 0) + 1;
  const dropped: Record<DropReason, number> = { overflow: 0, rejected: 0, corrupt: 0 };
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };

  async function writeDurably(seq: number, item: QueueItem): Promise<void> {
    const tmp = path.join(dir, `.tmp-${seq}`);
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(JSON.stringify(item));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path.join(dir, fileName(seq)));
  }

  return {
    push: (input) =>
      serial(async () => {
        const seq = nextSeq++;
        await writeDurably(seq, { ...input, seq });
        seqs.push(seq);
        while (seqs.length > maxItems) {
          const oldest = seqs.shift() as number;
          await rm(path.join(dir, fileName(oldest)), { force: true });
          dropped.overflow += 1;
        }
        return seq;
      }),
    peek: () =>
      serial(async () => {
        while (seqs.length > 0) {
          const seq = seqs[0] as number;
          try {
            const item = JSON.parse(await readFile(path.join(dir, fileName(seq)), 'utf8')) as QueueItem;
            if (typeof item.path === 'string' && item.seq === seq) return item;
          } catch {
            // Unreadable or half-written by something else: fall through and drop it.
          }
          seqs.shift();
          await rm(path.join(dir, fileName(seq)), { force: true });
          dropped.corrupt += 1;
        }
        return undefined;
      }),
    remove: (seq, reason) =>
      serial(async () => {
        const index = seqs.indexOf(seq);
        if (index < 0) return;
        seqs.splice(index, 1);
        await rm(path.join(dir, fileName(seq)), { force: true });
        if (reason) dropped[reason] += 1;
      }),
    length: () => seqs.length,
    dropped: () => ({ ...dropped }),
  };
}
