import { describe, expect, it } from 'vitest';
import type { ProblemIncident } from '../../server/src/domain/problem.js';
import { badgeOf, candidateName, clusteredGroups, clusterProblemCandidates, impactOf } from '../../server/src/problems/candidates.js';
import { chooseK, kGrid, refineGrid, seedKmeansPlusPlus, silhouetteScore } from '../../server/src/problems/clustering.js';
import { matchKnownError } from '../../server/src/problems/known-errors.js';
import { alertnameTokens, maskText, tokenize } from '../../server/src/problems/mask.js';
import { mulberry32 } from '../../server/src/problems/seeded-random.js';
import { assignStableIds } from '../../server/src/problems/stable-ids.js';
import { fitProblemModel, indexVocabulary, vectorize } from '../../server/src/problems/tfidf.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 5, 1);

let serial = 0;
function makeIncident(overrides: Partial<ProblemIncident> = {}): ProblemIncident {
  serial++;
  return {
    id: `inc-${String(serial).padStart(4, '0')}`,
    title: 'Something happened',
    alertname: 'Something',
    summary: '',
    service: 'checkout',
    host: 'web-01',
    severity: 'warning',
    openedAt: NOW - serial * 3_600_000,
    resolvedAt: NOW - serial * 3_600_000 + 600_000,
    downtimeMs: null,
    ...overrides,
  };
}

/** `n` disk-full incidents on different hosts and mount points, one every `everyDays`. */
function diskFull(n: number, everyDays = 3, start = 0): ProblemIncident[] {
  return Array.from({ length: n }, (_, i) =>
    makeIncident({
      id: `disk-${String(start + i).padStart(3, '0')}`,
      alertname: 'NodeFilesystemAlmostFull',
      title: `Filesystem /var/lib/data${i} on db-${i % 4}.prod is ${90 + (i % 9)}% full`,
      summary: `Device /dev/sd${'abc'[i % 3]}1 mounted on /var/lib/data has ${i + 2}GiB left (instance 10.0.${i}.7:9100)`,
      service: 'postgres',
      host: `db-${i % 4}.prod`,
      severity: 'critical',
      openedAt: NOW - (start + i) * everyDays * DAY,
      resolvedAt: NOW - (start + i) * everyDays * DAY + 1_800_000,
    }),
  );
}

function certExpiry(n: number): ProblemIncident[] {
  return Array.from({ length: n }, (_, i) =>
    makeIncident({
      id: `cert-${String(i).padStart(3, '0')}`,
      alertname: 'TLSCertificateExpiring',
      title: `TLS certificate for https://api-${i}.example.com expires in ${i + 3} days`,
      summary: `Certificate serial 4f9a2c0e8b7d6a5f${i}c3b2 issued by internal CA is about to expire`,
      service: 'gateway',
      host: `edge-${i}`,
      severity: 'warning',
      openedAt: NOW - (i * 5 + 1) * DAY,
      resolvedAt: NOW - (i * 5 + 1) * DAY + 7_200_000,
    }),
  );
}

function noise(n: number): ProblemIncident[] {
  const words = ['kernel', 'printer', 'badge', 'reader', 'elevator', 'coffee', 'license', 'vpn', 'keyboard', 'projector', 'antenna', 'mailbox', 'turnstile', 'thermostat'];
  return Array.from({ length: n }, (_, i) =>
    makeIncident({
      id: `noise-${i}`,
      alertname: `Manual${['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo', 'Foxtrot', 'Golf'][i % 7]}Check${'xyz'[i % 3]}`,
      title: `${words[i % words.length]} ${words[(i * 5 + 3) % words.length]} looks odd`,
      summary: `${words[(i * 3 + 1) % words.length]} reported`,
      service: `svc-${'abcdefg'[i % 7]}`,
      severity: 'info',
    }),
  );
}

function shuffle<T>(list: readonly T[], seed: number): T[] {
  const random = mulberry32(seed);
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('masking', () => {
  it.each([
    ['Disk full on 10.0.0.12:9100', {}, 'Disk full on <ip>'],
    ['request 3f2b8c1e-9a4d-4e7b-8c2a-1d2e3f4a5b6c failed', {}, 'request <uuid> failed'],
    ['fd00::1:8080 and [2001:db8::1]:443 unreachable', {}, '<ip> and <ip> unreachable'],
    ['trace deadbeefcafebabe1234 stuck', {}, 'trace <hex> stuck'],
    ['trace deadbeefcafebabe stuck', {}, 'trace <hex> stuck'],
    ['/var/lib/postgresql is 95% full', {}, '<path> is <num> full'],
    ['C:\\Windows\\Temp full', {}, '<path> full'],
    ['see https://grafana.local/d/abc?x=1 now', {}, 'see <url> now'],
    ['pod api-7f9c-x2 restarted 12 times', {}, 'pod <num> restarted <num> times'],
    ['checkout down on web-one', { hosts: ['web-one'], services: ['checkout'] }, '<service> down on <host>'],
    ['Checkout-API slow', { services: ['checkout'] }, 'Checkout-API slow'],
    ['read/write errors', {}, 'read/write errors'],
  ])('%s → %s', (text, names, expected) => {
    expect(maskText(text, names)).toBe(expected);
  });

  it('tokenizes masked text, keeping placeholders and dropping stop words', () => {
    expect(tokenize('Disk full on <host>: <num> of the volume')).toEqual(['disk', 'full', '<host>', '<num>', 'volume']);
  });

  it.each([
    ['NodeFilesystemAlmostFull', ['node', 'filesystem', 'almost', 'full']],
    ['HTTPProbeFailed', ['http', 'probe', 'failed']],
    ['disk_full-critical', ['disk', 'full', 'critical']],
  ])('splits alert name %s', (name, tokens) => {
    expect(alertnameTokens(name)).toEqual(tokens);
  });
});

describe('TF-IDF model', () => {
  const docs = [
    [{ terms: ['disk', 'full', '<num>'], service: 'db', severity: 'critical', host: 'a' }],
    [{ terms: ['cert', 'expire', '<num>'], service: 'edge', severity: 'warning', host: 'b' }],
  ];

  it('gives unit vectors, weighs common terms down and leaves the host out by default', () => {
    const model = fitProblemModel(docs);
    expect(model.vocabulary).toEqual(['<num>', 'cert', 'disk', 'expire', 'full', 'service=db', 'service=edge', 'severity=critical', 'severity=warning']);
    const v = vectorize(model, indexVocabulary(model), { terms: ['disk', 'full', '<num>', 'disk'], service: 'db', severity: 'critical', host: 'a' });
    expect(v.values.reduce((s, x) => s + x * x, 0)).toBeCloseTo(1, 9);
    const weight = (term: string) => v.values[v.indices.indexOf(model.vocabulary.indexOf(term))] as number;
    expect(weight('<num>')).toBeLessThan(weight('full'));
    expect(weight('disk')).toBeGreaterThan(weight('full')); // sublinear tf: 1 + ln 2
  });

  it('survives JSON and counts terms a frozen vocabulary does not know', () => {
    const model = fitProblemModel(docs);
    const thawed = JSON.parse(JSON.stringify(model));
    const doc = { terms: ['disk', 'full', 'inode'], service: 'db', severity: 'critical', host: null };
    const a = vectorize(model, indexVocabulary(model), doc);
    const b = vectorize(thawed, indexVocabulary(thawed), doc);
    expect(b).toEqual(a);
    expect(a.unknown).toBe(1);
  });

  it('keeps the words of recurring incidents when the vocabulary is cut, not those of one-off texts', () => {
    const doc = (terms: string[]) => ({ terms, service: null, severity: 'info', host: null });
    const recurring = Array.from({ length: 5 }, () => doc(['disk', 'full']));
    // Each one-off word is in two groups (document frequency 2), the recurring ones in one group of five incidents.
    const oneOffs = ['printer', 'badge', 'printer', 'badge'].map((w) => [doc([w])]);
    const model = fitProblemModel([recurring, ...oneOffs], { maxFeatures: 2 });
    expect(model.vocabulary.filter((t) => !t.includes('='))).toEqual(['disk', 'full']);
    // The IDF still counts groups: a word of one group weighs more than a word of two.
    expect(model.idf[model.vocabulary.indexOf('disk')]).toBeCloseTo(Math.log(6 / 2) + 0.1, 6);
  });
});

describe('clustering primitives', () => {
  it('PRNG is seeded and reproducible', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
    expect(mulberry32(43)()).not.toBe(mulberry32(42)());
  });

  it('k-means++ picks distinct points, spread over the groups', () => {
    const unit = (i: number) => ({ indices: [i], values: [1] });
    const points = [unit(0), unit(0), unit(0), unit(1), unit(1), unit(2)];
    for (let seed = 0; seed < 20; seed++) {
      const chosen = seedKmeansPlusPlus(points, 3, mulberry32(seed));
      expect(new Set(chosen).size).toBe(3);
      expect(new Set(chosen.map((i) => points[i]?.indices[0])).size).toBe(3);
    }
  });

  it('silhouette of a textbook case', () => {
    // Points 0,1 at distance 0.1; points 2,3 at distance 0.1; across 0.9.
    const d = [
      [0, 0.1, 0.9, 0.9],
      [0.1, 0, 0.9, 0.9],
      [0.9, 0.9, 0, 0.1],
      [0.9, 0.9, 0.1, 0],
    ].map((r) => Float64Array.from(r));
    expect(silhouetteScore(d, [0, 0, 1, 1])).toBeCloseTo((0.9 - 0.1) / 0.9, 9);
    expect(silhouetteScore(d, [0, 1, 0, 1])).toBeLessThan(0);
  });

  it('k grid and choice of the smallest k within 95 % of the best', () => {
    expect(kGrid(2, 10)).toEqual([2]);
    expect(kGrid(100, 5)).toEqual([2, 5, 14, 38, 100]);
    expect(chooseK([{ k: 2, silhouette: 0.2 }, { k: 5, silhouette: 0.58 }, { k: 9, silhouette: 0.6 }], 0.95)).toBe(5);
  });

  it('refines the k grid between the neighbours of the best k', () => {
    const ks = [2, 5, 14, 38, 100];
    const scores = ks.map((k) => ({ k, silhouette: k === 38 ? 0.6 : 0.1 }));
    expect(refineGrid(ks, scores, 5)).toEqual([28, 43, 57, 71, 86]);
    // At the edge of the grid only one side is refined; tried k are not repeated.
    expect(refineGrid(ks, ks.map((k) => ({ k, silhouette: k === 2 ? 1 : 0 })), 2)).toEqual([3, 4]);
    expect(refineGrid([2, 3], [{ k: 2, silhouette: 0 }, { k: 3, silhouette: 1 }], 4)).toEqual([]);
    expect(refineGrid([], [], 4)).toEqual([]);
  });
});

describe('problem candidates', () => {
  const cases: [string, () => ProblemIncident[], number][] = [
    ['a recurring disk-full fault across hosts is one candidate', () => [...diskFull(8), ...noise(6)], 1],
    ['two different recurring faults are two candidates', () => [...diskFull(8), ...certExpiry(6), ...noise(6)], 2],
    ['noise alone gives none', () => noise(14), 0],
    ['too few incidents give none', () => diskFull(2), 0],
  ];

  it.each(cases)('%s', (_name, make, expected) => {
    const { candidates } = clusterProblemCandidates(make(), { now: NOW, seed: 1 });
    expect(candidates).toHaveLength(expected);
    for (const c of candidates) expect(c.memberIds.every((id) => id.startsWith(c.memberIds[0]?.split('-')[0] as string))).toBe(true);
  });

  it('describes a candidate', () => {
    const { candidates } = clusterProblemCandidates([...diskFull(8), ...noise(6)], { now: NOW, seed: 1 });
    const c = candidates[0];
    expect(c).toMatchObject({
      alertname: 'NodeFilesystemAlmostFull',
      exampleTitle: 'Filesystem <path> on <host> is <num> full',
      count: 8,
      services: ['postgres'],
      hosts: ['db-0.prod', 'db-1.prod', 'db-2.prod', 'db-3.prod'],
      firstSeen: NOW - 21 * DAY,
      lastSeen: NOW,
      // No SLA downtime was attributed to the members: the time they were open is not downtime.
      totalDowntimeMs: 0,
      mttrMs: 1_800_000,
      badge: 'new',
    });
    // Named by its most representative member's title (rule first) and its service, no term salad.
    expect(c?.name).toBe('NodeFilesystemAlmostFull: Filesystem <path> on <host> is <num> full · postgres');
    expect(c?.impact).toEqual({ score: 8, downtimeMs: 0, incidentsByPriority: { P3: 8 }, services: 1, recent: 8, earlier: 0, trend: 1 });
    expect(c?.recurrencePerWeek).toBeCloseTo(8 / 3, 3);
    expect(c?.cohesion).toBeGreaterThan(0.9);
    expect(c?.id).toMatch(/^pc-[0-9a-f]{12}$/);
  });

  it('ranks by impact, not by incident count: four P1 storms with SLA downtime above twelve P4 nuisances', () => {
    const storms = diskFull(4, 10).map((i) => ({ ...i, alertname: 'PostgresConnectionsSaturated', title: `Connections saturated on ${i.host}`, priority: 'P1' as const, downtimeMs: 45 * 60_000 }));
    const nuisances = Array.from({ length: 12 }, (_, i) =>
      makeIncident({ id: `log-${i}`, alertname: 'VarLogFilling', title: `/var/log on web-${i % 3} is filling`, service: 'frontend', host: `web-${i % 3}`, priority: 'P4', openedAt: NOW - i * 2 * DAY }),
    );
    const { candidates } = clusterProblemCandidates([...nuisances, ...storms, ...noise(6)], { now: NOW, seed: 1 });
    expect(candidates.map((c) => c.alertname).slice(0, 2)).toEqual(['PostgresConnectionsSaturated', 'VarLogFilling']);
    const [first, second] = candidates;
    expect(first?.impact).toMatchObject({ incidentsByPriority: { P1: 4 }, downtimeMs: 4 * 45 * 60_000 });
    expect(second?.count).toBeGreaterThan(first?.count ?? 0);
    expect(first?.impact.score).toBeGreaterThan(second?.impact.score ?? Infinity);
  });

  it.each([
    // members, history start, expected score: (points + 60 per downtime hour) × trend
    ['one P1, an hour down, recent, long history', [{ priority: 'P1', downtimeMs: 3_600_000, openedAt: NOW - DAY }], NOW - 90 * DAY, (10 + 60) * 2],
    ['the same on a short history: trend neutral', [{ priority: 'P1', downtimeMs: 3_600_000, openedAt: NOW - DAY }], NOW - 35 * DAY, 10 + 60],
    ['two P3 in the earlier month only', [{ priority: 'P3', downtimeMs: 0, openedAt: NOW - 40 * DAY }, { priority: 'P3', downtimeMs: null, openedAt: NOW - 50 * DAY }], NOW - 90 * DAY, 2 * 0.5],
    ['one old P5', [{ priority: 'P5', downtimeMs: 0, openedAt: NOW - 90 * DAY }], NOW - 90 * DAY, 0.1],
    ['unknown priority counts as P3', [{ downtimeMs: 0, openedAt: NOW - 45 * DAY }, { downtimeMs: 0, openedAt: NOW - DAY }], NOW - 90 * DAY, 2],
    ['rates over the history there is: 1 in 15 days before is 2 per 30', [{ priority: 'P3', downtimeMs: 0, openedAt: NOW - DAY }, { priority: 'P3', downtimeMs: 0, openedAt: NOW - 2 * DAY }, { priority: 'P3', downtimeMs: 0, openedAt: NOW - 40 * DAY }], NOW - 45 * DAY, 3 * 1],
  ] as const)('scores impact: %s', (_, members, historyStart, expected) => {
    expect(impactOf(members as never, 1, NOW, historyStart).score).toBeCloseTo(Math.round(expected * 10) / 10, 5);
  });

  it('names a candidate by a title and its services', () => {
    expect(candidateName('HostDown', '<host> does not answer', ['web'], 'web')).toBe('HostDown: <host> does not answer · web');
    expect(candidateName('DiskFull', 'DiskFull on <host>', ['a', 'b', 'c'], 'b')).toBe('DiskFull on <host> · b +2');
    expect(candidateName('', '', [], null)).toBe('untitled · no service');
  });

  it('is deterministic across input order', () => {
    const incidents = [...diskFull(8), ...certExpiry(6), ...noise(10)];
    const a = clusterProblemCandidates(incidents, { now: NOW, seed: 7 });
    const b = clusterProblemCandidates(shuffle(incidents, 3), { now: NOW, seed: 7 });
    expect(b).toEqual(a);
  });

  it('keeps ids across refits when a few incidents are added, with a frozen model', () => {
    const first = clusterProblemCandidates([...diskFull(8), ...certExpiry(6), ...noise(6)], { now: NOW, seed: 1 });
    const previous = first.candidates.map((c) => ({ id: c.id, memberIds: c.memberIds }));
    // Rename one id so the match must come from member overlap, not from the content hash.
    (previous[0] as { id: string }).id = 'pc-kept-by-overlap';
    const second = clusterProblemCandidates([...diskFull(10), ...certExpiry(7), ...noise(6)], { now: NOW + DAY, seed: 1, model: first.model, previous });
    expect(second.model).toBe(first.model);
    expect(second.candidates.map((c) => c.id).sort()).toEqual(previous.map((p) => p.id).sort());
    expect(second.candidates.every((c) => c.modelVersion === first.model.version)).toBe(true);
  });

  it('k-means sees the recurring signatures, the largest first; all groups only when fewer than three recur', () => {
    expect(clusteredGroups([1, 5, 1, 2, 1, 3, 1], 10)).toEqual([1, 3, 5]);
    expect(clusteredGroups([1, 5, 1, 2, 1, 3, 2], 2)).toEqual([1, 5]);
    expect(clusteredGroups([1, 5, 1, 2, 1], 10)).toEqual([0, 1, 2, 3, 4]);
    expect(clusteredGroups([1, 5, 1, 2, 1], 3)).toEqual([0, 1, 3]);
    expect(clusteredGroups([], 3)).toEqual([]);
  });

  it('a one-off signature joins a cluster only from cosine 0.5 on: a service and a few shared words are not enough', () => {
    // Cosine about 0.4 to the disk-full centroid (service, "filesystem", "full", "mounted").
    const stray = makeIncident({ id: 'stray', alertname: 'FilesystemNearlyFull', title: 'Filesystem almost full on db-1.prod', summary: 'mounted volume check', service: 'postgres', host: 'db-1.prod', severity: 'critical', openedAt: NOW - DAY });
    const incidents = [...diskFull(8), ...certExpiry(6), ...noise(3).map((i) => ({ ...i, alertname: 'ManualCheck', title: 'badge reader looks odd', summary: 'badge reported' })), stray];
    const joinsDisk = (options = {}) => clusterProblemCandidates(incidents, { now: NOW, seed: 1, options }).candidates.find((c) => c.alertname === 'NodeFilesystemAlmostFull')?.memberIds.includes('stray');
    expect(joinsDisk()).toBe(false);
    // Only the join threshold keeps it out: at the looser member threshold it would join.
    expect(joinsDisk({ minJoinSimilarity: 0.35 })).toBe(true);
  });

  it('clusters only the largest groups when told to; smaller ones join their nearest cluster or stand alone', () => {
    const variant = makeIncident({
      id: 'disk-variant',
      alertname: 'NodeFilesystemAlmostFull',
      title: 'Filesystem /var/lib/data on db-1.prod is nearly full',
      summary: 'Device /dev/sdb1 mounted on /var/lib/data has 3GiB left (instance 10.0.9.7:9100)',
      service: 'postgres',
      host: 'db-1.prod',
      severity: 'critical',
      openedAt: NOW - 2 * DAY,
    });
    const incidents = [...diskFull(8), variant, ...certExpiry(6), ...noise(6)];
    const capped = clusterProblemCandidates(incidents, { now: NOW, seed: 1, options: { maxClusteredGroups: 2 } });
    const disk = capped.candidates.find((c) => c.alertname === 'NodeFilesystemAlmostFull');
    expect(disk?.memberIds).toContain('disk-variant');
    expect(disk?.count).toBe(9);
    expect(capped.candidates.find((c) => c.alertname === 'TLSCertificateExpiring')?.count).toBe(6);
    expect(capped.candidates.flatMap((c) => c.memberIds).filter((id) => id.startsWith('noise'))).toEqual([]);
  });

  it('reuses a frozen vocabulary: unseen words are counted, not added', () => {
    const first = clusterProblemCandidates(diskFull(8), { now: NOW, seed: 1 });
    const second = clusterProblemCandidates([...diskFull(8), ...certExpiry(6)], { now: NOW, seed: 1, model: first.model });
    expect(second.model.vocabulary).toEqual(first.model.vocabulary);
    expect(second.stats.unknownTermRate).toBeGreaterThan(0);
    expect(first.stats.unknownTermRate).toBe(0);
    // The certificate fault recurs six times in words the frozen model lacks: a refit is due.
    expect(second.stats.unseenRecurringGroups).toBeGreaterThan(0);
    expect(first.stats.unseenRecurringGroups).toBe(0);
    expect(clusterProblemCandidates([...diskFull(9)], { now: NOW, seed: 1, model: first.model }).stats.unseenRecurringGroups).toBe(0);
  });
});

describe('badges against the last 30 days', () => {
  const options = { windowDays: 30, frequentMinRecent: 4 };
  it.each([
    ['first seen within the window', [NOW - 2 * DAY, NOW - 20 * DAY], 'new'],
    ['old and at least four times this month', [NOW - 90 * DAY, NOW - DAY, NOW - 2 * DAY, NOW - 3 * DAY, NOW - 4 * DAY], 'frequent'],
    ['old and three times this month', [NOW - 90 * DAY, NOW - DAY, NOW - 2 * DAY, NOW - 3 * DAY], 'rare'],
    ['quiet for a month', [NOW - 90 * DAY, NOW - 60 * DAY, NOW - 45 * DAY], 'rare'],
  ] as const)('%s → %s', (_name, times, badge) => {
    expect(badgeOf(times, NOW, options)).toBe(badge);
  });
});

describe('stable ids', () => {
  it('maps by best overlap, greedily, and derives the others from content', () => {
    const previous = [
      { id: 'pc-a', memberIds: ['1', '2', '3', '4'] },
      { id: 'pc-b', memberIds: ['5', '6', '7'] },
    ];
    const ids = assignStableIds(
      [
        { memberIds: ['5', '6', '7', '8'], leadSignature: 'B|x' }, // 3/4 with pc-b
        { memberIds: ['1', '2'], leadSignature: 'A|y' }, // 2/4 with pc-a
        { memberIds: ['3', '4', '9'], leadSignature: 'C|z' }, // 2/5 with pc-a: below 0.5
      ],
      previous,
    );
    expect(ids.slice(0, 2)).toEqual(['pc-b', 'pc-a']);
    expect(ids[2]).toMatch(/^pc-[0-9a-f]{12}$/);
  });
});

describe('known-error recognition', () => {
  it('matches a new incident of a known fault and nothing for an unrelated one', () => {
    const { candidates, model } = clusterProblemCandidates([...diskFull(8), ...certExpiry(6), ...noise(6)], { now: NOW, seed: 1 });
    const disk = candidates.find((c) => c.alertname === 'NodeFilesystemAlmostFull');
    const fresh = makeIncident({
      alertname: 'NodeFilesystemAlmostFull',
      title: 'Filesystem /srv/backup on db-9.prod is 97% full',
      summary: 'Device /dev/sdq1 mounted on /srv/backup has 1GiB left (instance 10.9.9.9:9100)',
      service: 'postgres',
      host: 'db-9.prod',
      severity: 'critical',
    });
    const match = matchKnownError(model, candidates, fresh);
    expect(match?.id).toBe(disk?.id);
    expect(match?.similarity).toBeGreaterThan(0.8);
    expect(matchKnownError(model, candidates, makeIncident({ alertname: 'CoffeeMachineEmpty', title: 'Coffee machine empty on floor 3' }))).toBeNull();
    // A centroid from another model version is not comparable.
    expect(matchKnownError(model, candidates.map((c) => ({ ...c, modelVersion: 'other' })), fresh)).toBeNull();
  });
});
