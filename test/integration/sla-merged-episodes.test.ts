/**
 * An alert's earlier episodes count toward the SLA through the incident that took them; when
 * that incident was merged into another (by a person or by the correlator), through the one it
 * was merged into, as the alert itself now is.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { episodeAttachments } from '../../server/src/db/sla-repo.js';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, T0, type TestServer } from '../helpers/runtime.js';

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe.each(dialects())('episodes of merged incidents (%s)', (dialect) => {
  let s: TestServer;
  afterEach(async () => {
    await s?.close();
  });

  async function fire(alerts: Record<string, unknown>[]) {
    expect((await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts } })).status).toBe(200);
    await s.settle();
  }
  const incidentOf = async (fingerprint: string) =>
    Number((await s.runtime.handle.db.selectFrom('alerts').select('incident_id').where('fingerprint', '=', fingerprint).executeTakeFirstOrThrow()).incident_id);
  const merge = async (id: number, into: number) => expect((await s.request('POST', `/api/v1/incidents/${id}/merge`, { token: s.tokens.write, json: { into } })).status).toBe(200);

  it('attaches an episode of a merged incident to the incident it was merged into, through merges of merges', async () => {
    s = await startTestServer(dialect);
    const t = T0 + 10 * MIN;
    s.clock.set(t + 5 * MIN);
    const alert = (fingerprint: string, service: string, at: number) =>
      makeNativeAlert({ labels: { alertname: `Down_${fingerprint}`, service, severity: 'critical' }, startsAt: iso(at), fingerprint });
    await fire([alert('api-1', 'api', t), alert('db-1', 'db', t + MIN), alert('lb-1', 'lb', t + 2 * MIN)]);
    const [api, db, lb] = [await incidentOf('api-1'), await incidentOf('db-1'), await incidentOf('lb-1')];
    expect(new Set([api, db, lb]).size).toBe(3);
    await merge(api, db);
    await merge(db, lb);
    const [first] = await episodeAttachments(s.runtime.handle.db, [t]);
    expect(first).toMatchObject({ source: 'api', fingerprint: 'api-1', startsAt: t, incidentId: lb, incidentStatus: 'open', priority: expect.stringMatching(/^P[1-5]$/) });
    // An episode of an incident that was never merged stays where it was.
    const [own] = await episodeAttachments(s.runtime.handle.db, [t + 2 * MIN]);
    expect(own).toMatchObject({ fingerprint: 'lb-1', incidentId: lb });
  });
});
