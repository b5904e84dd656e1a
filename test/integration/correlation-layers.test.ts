import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe.each(dialects())('correlation layers on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
    const put = (name: string, body: unknown) => s.request('PUT', `/api/v1/services/${name}`, { token: s.tokens.write, json: body });
    for (const [name, body] of [
      ['web', { tier: 2, owner: 'team-web', dependsOn: ['checkout'] }],
      ['checkout', { tier: 1, dependsOn: ['payments'] }],
      ['payments', { tier: 1, dependsOn: ['postgres'] }],
      ['postgres', { tier: 1, match: { hosts: ['db-1'] } }],
      ['search', { tier: 3 }],
      ['reports', { tier: 3 }],
    ] as const) {
      const res = await put(name, body);
      expect(res.status, name).toBe(200);
    }
  });
  afterAll(async () => s?.close());

  async function fire(alerts: Record<string, unknown>[]) {
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts } })).status).toBe(200);
    await s.settle();
  }
  async function incidentOf(fingerprint: string) {
    const row = await s.runtime.handle.db.selectFrom('alerts').select('incident_id').where('fingerprint', '=', fingerprint).executeTakeFirstOrThrow();
    return (await (await s.request('GET', `/api/v1/incidents/${row.incident_id}`)).json()) as any;
  }

  it('serves the catalogue and validates changes', async () => {
    const list = (await (await s.request('GET', '/api/v1/services', { token: s.tokens.read })).json()) as any;
    expect(list.items.find((x: any) => x.name === 'payments')).toMatchObject({ tier: 1, dependsOn: ['postgres'], dependants: ['checkout'], origin: 'api' });
    expect((await s.request('PUT', '/api/v1/services/bad', { token: s.tokens.write, json: { tier: 7 } })).status).toBe(400);
    expect((await s.request('PUT', '/api/v1/services/loop', { token: s.tokens.write, json: { dependsOn: ['loop'] } })).status).toBe(400);
    expect((await s.request('PUT', '/api/v1/services/x', { token: s.tokens.read, json: {} })).status).toBe(403);
  });

  it('joins a cascade along the service graph and names the most upstream service', async () => {
    const t = T0;
    s.clock.set(t + 10 * MIN);
    await fire([makeNativeAlert({ labels: { alertname: 'PostgresDown', instance: 'db-1:9187', severity: 'critical' }, annotations: { summary: 'postgres is down' }, startsAt: iso(t), fingerprint: 'pg' })]);
    await fire([makeNativeAlert({ labels: { alertname: 'PaymentErrors', service: 'payments', severity: 'critical' }, annotations: { summary: 'payment errors' }, startsAt: iso(t + MIN), fingerprint: 'pay' })]);
    await fire([makeNativeAlert({ labels: { alertname: 'CheckoutFailing', service: 'checkout', severity: 'warning' }, annotations: { summary: 'orders failing' }, startsAt: iso(t + 2 * MIN), fingerprint: 'checkout' })]);
    // web is three dependency hops from postgres, one from checkout, which the fault reached.
    await fire([makeNativeAlert({ labels: { alertname: 'WebSlow', service: 'web', severity: 'warning' }, annotations: { summary: 'slow pages' }, startsAt: iso(t + 3 * MIN), fingerprint: 'web' })]);
    await fire([makeNativeAlert({ labels: { alertname: 'SearchSlow', service: 'search', severity: 'warning' }, annotations: { summary: 'slow search' }, startsAt: iso(t + 2 * MIN), fingerprint: 'search' })]);

    const incident = await incidentOf('pg');
    expect(incident.service).toBe('postgres'); // mapped from the host by the catalogue
    expect(incident.alerts.map((a: any) => a.fingerprint).sort()).toEqual(['checkout', 'pay', 'pg', 'web']);
    const joins = incident.timeline.filter((e: any) => e.kind === 'alert_joined').map((e: any) => [e.data.fingerprint, e.data.method, e.data.evidence.hops, e.data.evidence.via]);
    expect(joins).toEqual([
      ['pay', 'topology', 1, 'postgres'],
      // checkout reaches postgres through payments, which the fault already reached.
      ['checkout', 'topology', 2, 'payments'],
      ['web', 'topology', 3, 'checkout'],
    ]);
    expect(incident.timeline.find((e: any) => e.data?.fingerprint === 'web' && e.kind === 'alert_joined').message).toBe(
      'WebSlow: slow pages joined: web depends on postgres, the incident\'s root-cause candidate (3 hop(s) through checkout, which it already reached)',
    );
    expect(incident).toMatchObject({ rootCauseService: 'postgres', priority: 'P1' });
    expect((await incidentOf('search')).id).not.toBe(incident.id);
  });

  it('follows how a fault spreads in time: dependants within minutes per hop, a late dependency only briefly, never three hops without a link', async () => {
    const t = T0 + 60 * MIN;
    s.clock.set(t + 30 * MIN);
    const alert = (fingerprint: string, service: string, at: number) =>
      makeNativeAlert({ labels: { alertname: `Trouble${fingerprint}`, service }, annotations: { summary: fingerprint }, startsAt: iso(at), fingerprint });
    // payments opens; checkout (1 hop down) 6 min later is past 1 × 5 min; postgres (1 hop up) 3 min later is past 2 min.
    await fire([alert('t-pay', 'payments', t)]);
    await fire([alert('t-checkout', 'checkout', t + 6 * MIN), alert('t-pg', 'postgres', t + 3 * MIN)]);
    const pay = await incidentOf('t-pay');
    expect(pay.alerts.map((a: any) => a.fingerprint)).toEqual(['t-pay']);
    // Payments acts up again (an incident of its own), then postgres opens one: payments
    // errors right after that join postgres's fresh incident, not the older payments one.
    await fire([alert('t-pay-1', 'payments', t + 14 * MIN)]);
    await fire([alert('u-pg', 'postgres', t + 20 * MIN)]);
    await fire([alert('t-pay-2', 'payments', t + 22 * MIN)]);
    const fresh = await incidentOf('t-pay-2');
    expect(fresh.id).toBe((await incidentOf('u-pg')).id);
    const older = (await incidentOf('t-pay-1')).id;
    expect(older).not.toBe(fresh.id);
    // The older payments incident is past its root's onset window: a new payments alert is a new fault.
    expect(fresh.timeline.find((e: any) => e.data?.fingerprint === 't-pay-2').data).toMatchObject({ method: 'topology', evidence: { root: 'postgres', direction: 'depends-on-root' } });
    // web is three hops down from postgres with no affected service in between: apart.
    await fire([alert('v-pg', 'postgres', t + 40 * MIN), alert('v-web', 'web', t + 41 * MIN)]);
    expect((await incidentOf('v-web')).id).not.toBe((await incidentOf('v-pg')).id);
  });

  it('rejoins a re-fire by fingerprint only inside the reopen window (the resolve hold-down); later, the other layers decide', async () => {
    const t = T0 + 200 * MIN;
    const episode = (at: number) => [
      makeNativeAlert({ labels: { alertname: 'ReportsSlow', service: 'reports' }, startsAt: iso(at), fingerprint: 'r1' }),
      makeNativeAlert({ labels: { alertname: 'ReportsSlow', service: 'reports' }, status: 'resolved', startsAt: iso(at), endsAt: iso(at + MIN), fingerprint: 'r1' }),
    ];
    const incidents: number[] = [];
    for (const at of [t, t + 3 * MIN, t + 11 * MIN]) {
      s.clock.set(at + 10_000);
      await fire([episode(at)[0]!]);
      s.clock.set(at + MIN + 10_000);
      await fire([episode(at)[1]!]);
      incidents.push((await incidentOf('r1')).id);
    }
    expect(incidents[1]).toBe(incidents[0]);
    // 7 min after its last end it is no re-fire: the grouping key takes it (the incident never
    // spread beyond reports, so the root onset window does not apply).
    expect(incidents[2]).toBe(incidents[0]);
    const last = (await (await s.request('GET', `/api/v1/incidents/${incidents[0]}`)).json()) as any;
    expect(last.timeline.filter((e: any) => e.kind === 'alert_joined').map((e: any) => e.data.method)).toEqual(['fingerprint', 'group']);
  });

  it('opens a new incident for a new alert on the root-cause service after its onset window; re-fires and its dependants still join', async () => {
    const t = T0 + 300 * MIN;
    s.clock.set(t + 30 * MIN);
    const alert = (fingerprint: string, service: string, at: number, extra: Record<string, unknown> = {}) =>
      makeNativeAlert({ labels: { alertname: `Onset${fingerprint}`, service }, annotations: { summary: fingerprint }, startsAt: iso(at), fingerprint, ...extra });
    // postgres fails; its own second alert within 2 min and payments' symptom join.
    await fire([alert('o-pg-1', 'postgres', t), alert('o-pg-2', 'postgres', t + 90_000), alert('o-pay', 'payments', t + 3 * MIN)]);
    const first = await incidentOf('o-pg-1');
    expect(first.alerts.map((a: any) => a.fingerprint).sort()).toEqual(['o-pay', 'o-pg-1', 'o-pg-2']);
    // 6 min in, a new postgres alert: a new fault on the root-cause service, its own incident,
    // and a payments symptom right after joins that fresher fault.
    await fire([alert('o-pg-3', 'postgres', t + 6 * MIN), alert('o-pay-2', 'payments', t + 7 * MIN)]);
    const second = await incidentOf('o-pg-3');
    expect(second.id).not.toBe(first.id);
    expect(second.alerts.map((a: any) => a.fingerprint).sort()).toEqual(['o-pay-2', 'o-pg-3']);
    // A re-fire of the first postgres alert soon after its end still rejoins its own incident.
    s.clock.set(t + 40 * MIN);
    await fire([alert('o-pg-1', 'postgres', t, { status: 'resolved', endsAt: iso(t + 8 * MIN) })]);
    await fire([alert('o-pg-1', 'postgres', t + 9 * MIN)]);
    const again = await incidentOf('o-pg-1');
    expect(again.id).toBe(first.id);
    expect(again.timeline.filter((e: any) => e.kind === 'alert_joined' && e.data.fingerprint === 'o-pg-1').map((e: any) => e.data.method)).toEqual(['fingerprint']);
  });

  it('between two equally near incidents, keeps a service with the one that already reached it', async () => {
    const t = T0 + 400 * MIN;
    s.clock.set(t + 30 * MIN);
    for (const [name, body] of [
      ['db-a', { tier: 1 }],
      ['db-b', { tier: 1 }],
      ['both-api', { tier: 2, dependsOn: ['db-a', 'db-b'] }],
    ] as const) {
      expect((await s.request('PUT', `/api/v1/services/${name}`, { token: s.tokens.write, json: body })).status, name).toBe(200);
    }
    const alert = (fingerprint: string, service: string, at: number) =>
      makeNativeAlert({ labels: { alertname: `Near${fingerprint}`, service }, annotations: { summary: fingerprint }, startsAt: iso(at), fingerprint });
    // Two faults at once; both-api depends on both databases (one hop each).
    await fire([alert('n-b', 'db-b', t)]);
    await fire([alert('n-a', 'db-a', t + 30_000)]);
    // Its first symptom goes to the incident with the latest activity: db-a's.
    await fire([alert('n-api-1', 'both-api', t + MIN)]);
    const a = await incidentOf('n-a');
    expect((await incidentOf('n-api-1')).id).toBe(a.id);
    // db-b alerts again, so its incident is now the more recent; the next both-api symptom
    // still joins db-a's incident, which already reached both-api.
    await fire([alert('n-b-2', 'db-b', t + 90_000)]);
    await fire([alert('n-api-2', 'both-api', t + 2 * MIN)]);
    expect((await incidentOf('n-b-2')).id).not.toBe(a.id);
    const joined = (await incidentOf('n-api-2')).timeline.find((e: any) => e.data?.fingerprint === 'n-api-2');
    expect((await incidentOf('n-api-2')).id).toBe(a.id);
    expect(joined.data).toMatchObject({ method: 'topology', evidence: { root: 'db-a', hops: 1 } });
  });

  it('joins by same host with shared evidence and by masked title, but not across unrelated catalogued services or hosts', async () => {
    const t = T0 + 120 * MIN;
    s.clock.set(t + 10 * MIN);
    await fire([
      makeNativeAlert({ labels: { alertname: 'OOMKilled', instance: 'worker-9:9100', process: 'java' }, annotations: { summary: 'process killed' }, startsAt: iso(t), fingerprint: 'oom' }),
      makeNativeAlert({ labels: { alertname: 'HighLoad', instance: 'worker-9:9100', process: 'java' }, annotations: { summary: 'load 12.5' }, startsAt: iso(t + MIN), fingerprint: 'load' }),
      makeNativeAlert({ labels: { alertname: 'DiskFull', instance: 'a-1:9100' }, annotations: { summary: 'Disk 91% full on /data/pg' }, startsAt: iso(t), fingerprint: 'disk-a' }),
      makeNativeAlert({ labels: { alertname: 'DiskFull', job: 'node-exporter' }, annotations: { summary: 'Disk 95% full on /data/pg' }, startsAt: iso(t + 2 * MIN), fingerprint: 'disk-b' }),
      makeNativeAlert({ labels: { alertname: 'DiskFull', instance: 'c-3:9100' }, annotations: { summary: 'Disk 92% full on /data/pg' }, startsAt: iso(t + 3 * MIN), fingerprint: 'disk-c' }),
      makeNativeAlert({ labels: { alertname: 'CertExpiring', service: 'search' }, annotations: { summary: 'certificate expires in 3 days' }, startsAt: iso(t), fingerprint: 'cert-search' }),
      makeNativeAlert({ labels: { alertname: 'CertExpiring', service: 'reports' }, annotations: { summary: 'certificate expires in 5 days' }, startsAt: iso(t), fingerprint: 'cert-reports' }),
    ]);
    const host = await incidentOf('load');
    expect(host.alerts.map((a: any) => a.fingerprint).sort()).toEqual(['load', 'oom']);
    expect(host.timeline.find((e: any) => e.kind === 'alert_joined').data).toMatchObject({ method: 'similarity', evidence: { host: 'worker-9', labels: ['process=java'] } });

    const disk = await incidentOf('disk-b');
    expect(disk.alerts.map((a: any) => a.fingerprint).sort()).toEqual(['disk-a', 'disk-b']);
    expect(disk.timeline.find((e: any) => e.kind === 'alert_joined').data).toMatchObject({ method: 'similarity', score: 1, evidence: { titleSimilarity: 1 } });
    // The same words on another host: the same disk filling on two machines is two faults.
    expect((await incidentOf('disk-c')).id).not.toBe(disk.id);

    expect((await incidentOf('cert-search')).id).not.toBe((await incidentOf('cert-reports')).id);
  });

  async function catalogue(entries: readonly (readonly [string, Record<string, unknown>])[]) {
    for (const [name, body] of entries) expect((await s.request('PUT', `/api/v1/services/${name}`, { token: s.tokens.write, json: body })).status, name).toBe(200);
  }
  const alertOn = (fingerprint: string, service: string, at: number, labels: Record<string, string> = {}) =>
    makeNativeAlert({ labels: { alertname: `Alert_${fingerprint.replace(/\W/g, '_')}`, service, ...labels }, annotations: { summary: `${fingerprint} on ${service}` }, startsAt: iso(at), fingerprint });

  it('between incidents as far away, prefers the one whose fault already reached a service on the way', async () => {
    const t = T0 + 500 * MIN;
    s.clock.set(t + 30 * MIN);
    await catalogue([
      ['far-db-p', { tier: 2 }],
      ['far-db-q', { tier: 2 }],
      ['far-mid-p', { tier: 2, dependsOn: ['far-db-p'] }],
      ['far-mid-q', { tier: 2, dependsOn: ['far-db-q'] }],
      ['far-top', { tier: 2, dependsOn: ['far-mid-p', 'far-mid-q'] }],
    ]);
    // Two faults; only p's has reached the service between it and far-top. q's incident is
    // the more recently active one.
    await fire([alertOn('far-p', 'far-db-p', t), alertOn('far-q', 'far-db-q', t + 30_000), alertOn('far-mid', 'far-mid-p', t + MIN), alertOn('far-q-2', 'far-db-q', t + 2 * MIN)]);
    await fire([alertOn('far-top', 'far-top', t + 150_000)]);
    const p = await incidentOf('far-p');
    expect((await incidentOf('far-q-2')).id).not.toBe(p.id);
    expect((await incidentOf('far-top')).id).toBe(p.id);
    expect(p.timeline.find((e: any) => e.data?.fingerprint === 'far-top').data).toMatchObject({ method: 'topology', evidence: { root: 'far-db-p', via: 'far-mid-p', hops: 2 } });
  });

  it('keeps a service’s burst of alerts with the fault that reached it, past the spread time for its distance', async () => {
    const t = T0 + 540 * MIN;
    s.clock.set(t + 30 * MIN);
    await catalogue([
      ['burst-db', { tier: 2 }],
      ['burst-api', { tier: 2, dependsOn: ['burst-db'] }],
    ]);
    // burst-api is one hop down: its first alert joins within 5 min of the opening, a second
    // one 60 s after that still joins (the service onset window, 2 min), a third 2.5 min
    // after the first does not.
    await fire([alertOn('burst-db', 'burst-db', t), alertOn('burst-api-1', 'burst-api', t + 270_000)]);
    await fire([alertOn('burst-api-2', 'burst-api', t + 330_000)]);
    await fire([alertOn('burst-api-3', 'burst-api', t + 420_000)]);
    const incident = await incidentOf('burst-db');
    expect(incident.alerts.map((a: any) => a.fingerprint).sort()).toEqual(['burst-api-1', 'burst-api-2', 'burst-db']);
    expect((await incidentOf('burst-api-3')).id).not.toBe(incident.id);
    const second = incident.timeline.find((e: any) => e.data?.fingerprint === 'burst-api-2');
    expect(second.data).toMatchObject({ method: 'topology', evidence: { root: 'burst-db', hops: 1, onset: true } });
    expect(second.message).toContain("within 120 s of the fault's first alert on burst-api");
    const reached = incident.timeline.filter((e: any) => e.kind === 'service_reached');
    expect(reached.map((e: any) => [e.at, e.data.service])).toEqual([[iso(t + 270_000), 'burst-api']]);
  });

  // Symptoms on two dependants of a database open incidents of their own before the database's
  // own alert comes; that alert joins the later one (a dependency of its root, within 2 min),
  // and the earlier one is merged in — unless it is no longer a fresh, untouched symptom.
  const unmerged: [string, { before?: (p: string, id: number, t: number) => Promise<void>; apiAt?: number; apiLabels?: Record<string, string> }][] = [
    ['acknowledged', { before: async (_p, id) => void expect((await s.request('POST', `/api/v1/incidents/${id}/acknowledge`, { token: s.tokens.write, json: {} })).status).toBe(200) }],
    ['assigned', { before: async (_p, id) => void expect((await s.request('PATCH', `/api/v1/incidents/${id}`, { token: s.tokens.write, json: { assignee: 'ann' } })).status).toBe(200) }],
    ['given a note', { before: async (_p, id) => void expect((await s.request('POST', `/api/v1/incidents/${id}/notes`, { token: s.tokens.write, json: { text: 'looking' } })).status).toBe(201) }],
    ['opened more than the upstream window before the cause', { apiAt: -150_000 }],
    [
      'also holding an alert of an unrelated service',
      {
        apiLabels: { instance: 'sym-host-1:9100', process: 'java' },
        before: async (p, id, t) => {
          await fire([makeNativeAlert({ labels: { alertname: 'HostLoad', service: `${p}-other`, instance: 'sym-host-1:9100', process: 'java' }, annotations: { summary: 'load' }, startsAt: iso(t + 10_000), fingerprint: `${p}-other` })]);
          expect((await incidentOf(`${p}-other`)).id).toBe(id); // same host, same process
        },
      },
    ],
  ];

  async function symptomsBeforeCause(p: string, t: number, options: (typeof unmerged)[number][1] = {}) {
    s.clock.set(t + 30 * MIN);
    await catalogue([
      [`${p}-db`, { tier: 1 }],
      [`${p}-api`, { tier: 2, dependsOn: [`${p}-db`] }],
      [`${p}-worker`, { tier: 3, dependsOn: [`${p}-db`] }],
      [`${p}-other`, { tier: 3 }],
    ]);
    await fire([alertOn(`${p}-api`, `${p}-api`, t + (options.apiAt ?? 0), options.apiLabels)]);
    await fire([alertOn(`${p}-worker`, `${p}-worker`, t + 20_000)]);
    const first = (await incidentOf(`${p}-api`)).id as number;
    await options.before?.(p, first, t);
    await fire([alertOn(`${p}-db`, `${p}-db`, t + 60_000)]);
    return { first, cause: await incidentOf(`${p}-db`) };
  }

  it('merges a fresh symptom-only incident into its cause’s incident when the cause’s alerts arrive', async () => {
    const t = T0 + 600 * MIN;
    const { first, cause } = await symptomsBeforeCause('sym', t);
    expect(cause.id).not.toBe(first);
    expect(cause.alerts.map((a: any) => a.fingerprint).sort()).toEqual(['sym-api', 'sym-db', 'sym-worker']);
    expect(cause).toMatchObject({ rootCauseService: 'sym-db', alertCount: 3, firingCount: 3, openedAt: iso(t), status: 'open' });
    const into = cause.timeline.find((e: any) => e.kind === 'merged');
    expect(into).toMatchObject({ at: iso(t + 60_000), actor: 'sightline', data: { from: first, method: 'topology', alerts: 1, evidence: { root: 'sym-db', services: ['sym-api'], hops: 1 } } });
    expect(into.message).toBe(`#${first} merged in (1 alert(s)): its services (sym-api) depend on sym-db, the root-cause candidate of #${cause.id} (1 hop(s)), whose alerts came 60 s after it opened`);
    // The incident opened on sym-worker; the merge keeps when the fault reached it before its opening moved earlier.
    expect(cause.timeline.filter((e: any) => e.kind === 'service_reached').map((e: any) => [e.at, e.data.service])).toEqual([
      [iso(t), 'sym-api'],
      [iso(t + 20_000), 'sym-worker'],
      [iso(t + 60_000), 'sym-db'],
    ]);
    const absorbed = (await (await s.request('GET', `/api/v1/incidents/${first}`)).json()) as any;
    expect(absorbed).toMatchObject({ status: 'cancelled', resolution: `merged into #${cause.id}`, alertCount: 0, firingCount: 0 });
    expect(absorbed.alerts).toEqual([]);
    expect(absorbed.timeline.at(-1)).toMatchObject({ kind: 'merged', actor: 'sightline', data: { into: cause.id, method: 'topology' } });
    // The merged alert goes on in its new incident: its resolve counts there.
    s.clock.set(t + 40 * MIN);
    await fire([makeNativeAlert({ ...alertOn('sym-api', 'sym-api', t), status: 'resolved', endsAt: iso(t + 5 * MIN) })]);
    expect((await incidentOf('sym-api'))).toMatchObject({ id: cause.id, firingCount: 2 });
  });

  it('keeps taking the cause’s own alerts after a merge moved its incident’s opening earlier', async () => {
    const p = 'late';
    const t = T0 + 1000 * MIN;
    s.clock.set(t + 30 * MIN);
    await catalogue([
      [`${p}-db`, { tier: 1 }],
      [`${p}-api`, { tier: 2, dependsOn: [`${p}-db`] }],
      [`${p}-worker`, { tier: 3, dependsOn: [`${p}-db`] }],
    ]);
    await fire([alertOn(`${p}-api`, `${p}-api`, t)]);
    await fire([alertOn(`${p}-worker`, `${p}-worker`, t + 20_000)]);
    await fire([alertOn(`${p}-db`, `${p}-db`, t + 100_000)]);
    // 130 s after the incident's (merged) opening, but 30 s after the fault reached the database.
    await fire([alertOn(`${p}-db2`, `${p}-db`, t + 130_000)]);
    const cause = await incidentOf(`${p}-db`);
    expect(cause.alerts.map((a: any) => a.fingerprint).sort()).toEqual([`${p}-api`, `${p}-db`, `${p}-db2`, `${p}-worker`]);
    expect(cause.openedAt).toBe(iso(t));
  });

  it.each(unmerged.map(([name, options], i) => [name, options, i] as const))('leaves a symptom incident apart when %s', async (_name, options, i) => {
    const { first, cause } = await symptomsBeforeCause(`sym${i}`, T0 + (660 + 60 * i) * MIN, options);
    expect(cause.id).not.toBe(first);
    expect(cause.timeline.some((e: any) => e.kind === 'merged')).toBe(false);
    const kept = (await (await s.request('GET', `/api/v1/incidents/${first}`)).json()) as any;
    expect(kept.status).not.toBe('cancelled');
    expect(kept.alerts.map((a: any) => a.fingerprint)).toContain(`sym${i}-api`);
  });

  it('records hosts seen as configuration items', async () => {
    const hosts = (await (await s.request('GET', '/api/v1/hosts', { token: s.tokens.read })).json()) as any;
    expect(hosts.items.map((h: any) => h.name)).toEqual(expect.arrayContaining(['a-1', 'c-3', 'db-1', 'worker-9']));
    expect(hosts.items.find((h: any) => h.name === 'db-1')).toMatchObject({ seenBy: 'alerts', service: 'postgres' });
  });
});

describe.each(dialects())('correlation layers with symptom merging and the service onset window off on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    const services = ['db', 'api: [db]', 'worker: [db]', 'db2', 'edge: [db2]'].map((x) => {
      const [name, deps] = x.split(': ');
      return `  - name: ${name}\n    tier: 2\n${deps ? `    dependsOn: ${deps}\n` : ''}`;
    });
    s = await startTestServer(dialect, {}, `correlation:\n  mergeSymptomIncidents: false\n  serviceOnsetWindow: null\nservices:\n${services.join('')}`);
  });
  afterAll(async () => s?.close());

  it('leaves symptom incidents apart, and a late alert of a reached service too', async () => {
    const t = T0;
    s.clock.set(t + 30 * MIN);
    const alert = (fingerprint: string, service: string, at: number) =>
      makeNativeAlert({ labels: { alertname: `Off_${fingerprint.replace(/\W/g, '_')}`, service }, annotations: { summary: fingerprint }, startsAt: iso(at), fingerprint });
    const u = t + 10 * MIN;
    for (const a of [alert('api', 'api', t), alert('worker', 'worker', t + 20_000), alert('db', 'db', t + MIN), alert('db2', 'db2', u), alert('edge-1', 'edge', u + 270_000), alert('edge-2', 'edge', u + 330_000)]) {
      expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [a] } })).status).toBe(200);
      await s.settle();
    }
    const incidentOf = async (fingerprint: string) =>
      (await s.runtime.handle.db.selectFrom('alerts').select('incident_id').where('fingerprint', '=', fingerprint).executeTakeFirstOrThrow()).incident_id;
    expect(await incidentOf('db')).toBe(await incidentOf('worker'));
    expect(await incidentOf('api')).not.toBe(await incidentOf('db'));
    expect(await s.runtime.handle.db.selectFrom('incident_timeline').select('id').where('kind', '=', 'merged').execute()).toEqual([]);
    // edge-2 comes 60 s after edge-1 but 5.5 min after the incident opened, past 1 hop × 5 min.
    expect(await incidentOf('edge-1')).toBe(await incidentOf('db2'));
    expect(await incidentOf('edge-2')).not.toBe(await incidentOf('db2'));
  });
});
