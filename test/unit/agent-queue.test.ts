/** The on-disk queue: FIFO, bounded (oldest dropped and counted), survives reopening; backoff and status classes. */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDiskQueue } from '../../agent/src/outputs/queue.js';
import { backoffDelay, classifyStatus } from '../../agent/src/outputs/sender.js';

const dirs: string[] = [];
const freshDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'sightline-queue-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const item = (n: number) => ({ path: '/api/v1/alerts', body: { n }, enqueuedAtMs: n });

describe('disk queue', () => {
  it('keeps order across reopening and drops the oldest beyond the bound', async () => {
    const dir = freshDir();
    const q1 = await openDiskQueue({ dir, maxItems: 3 });
    for (let n = 1; n <= 5; n++) await q1.push(item(n));
    expect(q1.length()).toBe(3);
    expect(q1.dropped()).toEqual({ overflow: 2, rejected: 0, corrupt: 0 });
    const q2 = await openDiskQueue({ dir, maxItems: 3 });
    const seen: number[] = [];
    for (let head = await q2.peek(); head; head = await q2.peek()) {
      seen.push((head.body as { n: number }).n);
      await q2.remove(head.seq);
    }
    expect(seen).toEqual([3, 4, 5]);
    // Sequence numbers continue after a restart, so new items sort after old ones.
    await q2.push(item(6));
    const q3 = await openDiskQueue({ dir, maxItems: 3 });
    expect((await q3.peek())?.seq).toBe(6);
  });

  it('skips corrupt items, ignores unfinished temporaries, and counts rejections', async () => {
    const dir = freshDir();
    const q = await openDiskQueue({ dir, maxItems: 10 });
    await q.push(item(1));
    await q.push(item(2));
    writeFileSync(path.join(dir, '0000000000000001.json'), '{"half');
    writeFileSync(path.join(dir, '.tmp-99'), 'partial');
    const reopened = await openDiskQueue({ dir, maxItems: 10 });
    expect(readdirSync(dir).some((f) => f.startsWith('.tmp-'))).toBe(false);
    const head = await reopened.peek();
    expect(head?.body).toEqual({ n: 2 });
    await reopened.remove(head!.seq, 'rejected');
    expect(reopened.dropped()).toEqual({ overflow: 0, rejected: 1, corrupt: 1 });
    expect(reopened.length()).toBe(0);
  });
});

describe('delivery policy', () => {
  it('retries on no answer, 408, 429 and 5xx; drops other 4xx', () => {
    expect([200, 202, 400, 401, 404, 408, 413, 429, 500, 503].map(classifyStatus)).toEqual([
      'delivered',
      'delivered',
      'rejected',
      'rejected',
      'rejected',
      'retry',
      'rejected',
      'retry',
      'retry',
      'retry',
    ]);
  });

  it('backs off exponentially up to the cap, jittered into [50 %, 100 %)', () => {
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, 1000, 30_000, () => 0.999999))).toEqual([1000, 2000, 4000, 8000, 30_000]);
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, 1000, 30_000, () => 0))).toEqual([500, 1000, 2000, 4000, 15_000]);
  });
});

describe('disk queue byte bound', () => {
  const sized = (n: number) => ({ path: '/v1/metrics', body: { n, pad: 'x'.repeat(1000) }, enqueuedAtMs: n });

  it('drops the oldest past the byte bound, keeps the newest, and reports the overflow once until emptied', async () => {
    const dir = freshDir();
    const reports: number[] = [];
    const q = await openDiskQueue({ dir, maxItems: 100, maxBytes: 3500, onOverflow: (info) => reports.push(info.items) });
    for (let n = 1; n <= 6; n++) await q.push(sized(n));
    // About 1,070 bytes an item: three fit.
    expect(q.length()).toBe(3);
    expect(q.bytes()).toBeLessThanOrEqual(3500);
    expect(q.dropped().overflow).toBe(3);
    expect(reports).toEqual([4]);
    // Reopened (an agent restart), the queue knows its bytes; its first drop is reported once more.
    const again = await openDiskQueue({ dir, maxItems: 100, maxBytes: 3500, onOverflow: (info) => reports.push(info.items) });
    expect(again.bytes()).toBe(q.bytes());
    await again.push(sized(7));
    const seen: number[] = [];
    for (let head = await again.peek(); head; head = await again.peek()) {
      seen.push((head.body as { n: number }).n);
      await again.remove(head.seq);
    }
    expect(seen).toEqual([5, 6, 7]);
    expect(again.bytes()).toBe(0);
    expect(reports).toEqual([4, 4]);
    // Emptied: the next overflow is a new one and is reported.
    for (let n = 8; n <= 12; n++) await again.push(sized(n));
    expect(reports).toEqual([4, 4, 4]);
  });

  it('keeps a single item larger than the bound', async () => {
    const q = await openDiskQueue({ dir: freshDir(), maxItems: 100, maxBytes: 500 });
    await q.push(sized(1));
    expect(q.length()).toBe(1);
    await q.push(sized(2));
    expect(q.length()).toBe(1);
    expect((await q.peek())?.body).toMatchObject({ n: 2 });
  });
});
