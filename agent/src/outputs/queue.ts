/**
 * @module A durable, bounded FIFO on disk: one file per item named by a zero-padded sequence
 * number, written to a temporary name, fsynced and renamed, so a crash leaves whole items only.
 * Bounded by item count and by bytes: when either is passed, the oldest items are deleted and
 * counted (the newest item is always kept, even alone over the byte bound). Operations run one at
 * a time (a promise chain), so the sender removing the head and a push evicting it never race.
 */
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

export interface QueueItem {
  seq: number;
  /** Server path the item is POSTed to. */
  path: string;
  body: unknown;
  enqueuedAtMs: number;
}

export type DropReason = 'overflow' | 'rejected' | 'corrupt';

/** What the queue held when the bound first dropped an item. */
export interface OverflowInfo {
  items: number;
  bytes: number;
  maxItems: number;
  maxBytes: number;
}

export interface DiskQueueOptions {
  dir: string;
  maxItems: number;
  /** Bound on the bytes of all item files together; unbounded when omitted. */
  maxBytes?: number;
  /**
   * Called when the bound drops its first item, then not again until the queue has been empty:
   * one line per outage in the log instead of one per dropped item.
   */
  onOverflow?: (info: OverflowInfo) => void;
}

export interface DiskQueue {
  push(item: Omit<QueueItem, 'seq'>): Promise<number>;
  /** The oldest item, or undefined when empty. */
  peek(): Promise<QueueItem | undefined>;
  /** Removes an item after delivery, or after the server refused it for good (counted as `reason`). */
  remove(seq: number, reason?: DropReason): Promise<void>;
  length(): number;
  /** Bytes of the queued item files. */
  bytes(): number;
  dropped(): Record<DropReason, number>;
}

const FILE = /^(\d{16})\.json$/;
const fileName = (seq: number) => `${String(seq).padStart(16, '0')}.json`;

export async function openDiskQueue(options: DiskQueueOptions): Promise<DiskQueue> {
  const { dir, maxItems } = options;
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  await mkdir(dir, { recursive: true });
  const entries = await readdir(dir);
  // Leftover temporaries are items whose write never finished: not part of the queue.
  await Promise.all(entries.filter((e) => e.startsWith('.tmp-')).map((e) => rm(path.join(dir, e), { force: true })));
  const seqs = entries
    .map((e) => FILE.exec(e))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const sizes = new Map<number, number>();
  for (const seq of seqs) sizes.set(seq, await stat(path.join(dir, fileName(seq))).then((s) => s.size, () => 0));
  let totalBytes = [...sizes.values()].reduce((a, b) => a + b, 0);
  let nextSeq = (seqs.at(-1) ?? 0) + 1;
  const dropped: Record<DropReason, number> = { overflow: 0, rejected: 0, corrupt: 0 };
  let overflowReported = false;
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };

  async function writeDurably(seq: number, text: string): Promise<void> {
    const tmp = path.join(dir, `.tmp-${seq}`);
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path.join(dir, fileName(seq)));
  }

  async function deleteItem(index: number): Promise<void> {
    const [seq] = seqs.splice(index, 1) as [number];
    totalBytes -= sizes.get(seq) ?? 0;
    sizes.delete(seq);
    await rm(path.join(dir, fileName(seq)), { force: true });
    if (seqs.length === 0) overflowReported = false;
  }

  return {
    push: (input) =>
      serial(async () => {
        const seq = nextSeq++;
        const text = JSON.stringify({ ...input, seq });
        await writeDurably(seq, text);
        seqs.push(seq);
        sizes.set(seq, Buffer.byteLength(text));
        totalBytes += Buffer.byteLength(text);
        const over = () => seqs.length > maxItems || (totalBytes > maxBytes && seqs.length > 1);
        if (over() && !overflowReported) {
          overflowReported = true;
          options.onOverflow?.({ items: seqs.length, bytes: totalBytes, maxItems, maxBytes });
        }
        while (over()) {
          await deleteItem(0);
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
          await deleteItem(0);
          dropped.corrupt += 1;
        }
        return undefined;
      }),
    remove: (seq, reason) =>
      serial(async () => {
        const index = seqs.indexOf(seq);
        if (index < 0) return;
        await deleteItem(index);
        if (reason) dropped[reason] += 1;
      }),
    length: () => seqs.length,
    bytes: () => totalBytes,
    dropped: () => ({ ...dropped }),
  };
}
