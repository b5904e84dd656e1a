/**
 * Recurring maintenance windows: `0 2 * * SUN` in Europe/Berlin for 2h mutes the matching
 * alerts that start inside an occurrence, at 02:00 local time across both clock changes, through
 * the API and the configuration file alike; an alert outside every occurrence is correlated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNativeAlert } from '../helpers/fixtures.js';
import { dialects, startTestServer, type TestServer } from '../helpers/runtime.js';

const at = (text: string) => Date.parse(text);

describe.each(dialects())('recurring silences on %s', (dialect) => {
  let s: TestServer;

  beforeAll(async () => {
    s = await startTestServer(dialect, {}, `
silences:
  recurring:
    - name: payments-patching
      matchers: { service: payments }
      schedule: "0 2 * * SUN"
      timeZone: Europe/Berlin
      duration: 2h
      comment: weekly patching of the payment hosts
`);
  });
  afterAll(async () => {
    await s?.close();
  });

  const alertRow = (fingerprint: string) => s.runtime.handle.db.selectFrom('alerts').selectAll().where('fingerprint', '=', fingerprint).executeTakeFirstOrThrow();

  /** Fires an alert on `service` starting at `when` (the server's clock there too) and applies it. */
  async function fireAt(service: string, when: string, fingerprint: string) {
    s.clock.set(at(when));
    const sent = await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [makeNativeAlert({ labels: { alertname: 'Down', service }, startsAt: when, fingerprint })] } });
    expect(sent.status).toBe(200);
    await s.settle();
    return alertRow(fingerprint);
  }

  it('creates one through the API, lists it with its next occurrences, and refuses bad fields by name', async () => {
    s.clock.set(at('2026-03-01T12:00:00Z'));
    const bad = await s.request('POST', '/api/v1/recurring-silences', { token: s.tokens.write, json: { name: 'x', matchers: { service: 'checkout' }, schedule: '0 2 * *', timeZone: 'Europe/Berlin', duration: '2h', comment: 'c' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.message).toBe('invalid recurring silence: schedule: not a cron schedule: expected five fields (minute hour day-of-month month day-of-week), got 4');
    const zone = await s.request('POST', '/api/v1/recurring-silences', { token: s.tokens.write, json: { name: 'x', matchers: { service: 'checkout' }, schedule: '0 2 * * SUN', timeZone: 'Berlin', duration: '2h', comment: 'c' } });
    expect(((await zone.json()) as any).error.message).toBe('invalid recurring silence: timeZone: must be an IANA time zone such as Europe/Berlin');
    expect((await s.request('POST', '/api/v1/recurring-silences', { token: s.tokens.read, json: {} })).status).toBe(403);

    const created = await s.request('POST', '/api/v1/recurring-silences', {
      token: s.tokens.write,
      json: { name: 'checkout-window', matchers: [{ name: 'service', value: 'checkout' }], schedule: '0 2 * * SUN', timeZone: 'Europe/Berlin', duration: '2h', comment: 'weekly release window' },
    });
    expect(created.status).toBe(201);
    const body = (await created.json()) as any;
    expect(body).toMatchObject({ name: 'checkout-window', kind: 'maintenance', schedule: '0 2 * * SUN', timeZone: 'Europe/Berlin', duration: '2h', origin: 'api', createdBy: 'test-write', startsAt: '2026-03-01T12:00:00.000Z', endsAt: null });
    expect(body.next).toEqual([
      { startsAt: '2026-03-08T01:00:00.000Z', endsAt: '2026-03-08T03:00:00.000Z' },
      { startsAt: '2026-03-15T01:00:00.000Z', endsAt: '2026-03-15T03:00:00.000Z' },
      { startsAt: '2026-03-22T01:00:00.000Z', endsAt: '2026-03-22T03:00:00.000Z' },
    ]);
    const again = await s.request('POST', '/api/v1/recurring-silences', { token: s.tokens.write, json: { name: 'checkout-window', matchers: { service: 'checkout' }, schedule: '0 3 * * SUN', duration: '1h', comment: 'c' } });
    expect(again.status).toBe(409);

    const listed = (await (await s.request('GET', '/api/v1/recurring-silences', { token: s.tokens.read })).json()) as any;
    expect(listed.items.map((r: any) => [r.name, r.origin]).sort()).toEqual([
      ['checkout-window', 'api'],
      ['payments-patching', 'config'],
    ]);
  });

  it.each([
    // [when the alert starts, suppressed]: 02:00–04:00 local is 01:00–03:00 UTC in winter, 00:00–02:00 in summer.
    ['2026-03-22T00:59:00Z', false], // 01:59 CET, before the window
    ['2026-03-22T01:30:00Z', true], // 02:30 CET
    ['2026-03-29T00:30:00Z', false], // 01:30 CET, the night the clocks go forward: 02:00 never comes
    ['2026-03-29T01:30:00Z', true], // 03:30 CEST: the window starts right after the gap, at 03:00
    ['2026-04-05T00:30:00Z', true], // 02:30 CEST
    ['2026-04-05T02:30:00Z', false], // 04:30 CEST, after
    ['2026-10-25T00:30:00Z', true], // 02:30 CEST, the first of the two 02:30s of the night the clocks go back
    ['2026-10-25T02:30:00Z', false], // 03:30 CET: two hours have passed
    ['2026-11-01T01:30:00Z', true], // 02:30 CET
  ])('an alert starting at %s is suppressed: %s', async (when, suppressed) => {
    {
      const [service, name] = ['checkout', 'checkout-window'];
      const fingerprint = `${service}-${when}`;
      const row = await fireAt(service, when, fingerprint);
      const recurring = (await (await s.request('GET', '/api/v1/recurring-silences', { token: s.tokens.read })).json()) as any;
      const id = recurring.items.find((r: any) => r.name === name).id;
      if (suppressed) expect(row).toMatchObject({ status: 'firing', incident_id: null, suppressed_by: expect.stringMatching(new RegExp(`^recurring:${id}:\\d+$`)) });
      else expect(row).toMatchObject({ status: 'firing', suppressed_by: null, incident_id: expect.any(Number) });
      // Resolved again, so the next case starts from nothing firing.
      await s.request('POST', '/api/v1/alerts', { token: s.tokens.ingest, json: { alerts: [makeNativeAlert({ labels: { alertname: 'Down', service }, startsAt: when, endsAt: when, status: 'resolved', fingerprint })] } });
      await s.settle();
    }
  });

  it('applies the windows of the configuration file from the start of the server on', async () => {
    // The server started on Saturday 2026-11-21 (T0); the file's window is on Sundays, 02:00 CET = 01:00 UTC.
    const inside = await fireAt('payments', '2026-11-22T01:30:00Z', 'payments-inside');
    const listed = (await (await s.request('GET', '/api/v1/recurring-silences', { token: s.tokens.read })).json()) as any;
    const id = listed.items.find((r: any) => r.name === 'payments-patching').id;
    expect(inside).toMatchObject({ incident_id: null, suppressed_by: `recurring:${id}:${at('2026-11-22T01:00:00Z')}` });
    expect((await fireAt('payments', '2026-11-22T03:00:00Z', 'payments-after')).suppressed_by).toBeNull();
  });

  it('releases a still-firing alert when its occurrence ends, and stops the windows when deleted', async () => {
    const row = await fireAt('checkout', '2026-11-29T01:30:00Z', 'long-fault');
    expect(row.suppressed_by).toMatch(/^recurring:/);
    // 04:00 local (03:00 UTC): the occurrence is over, the fault still fires, so it is correlated.
    s.clock.set(at('2026-11-29T03:00:00Z'));
    await s.settle();
    expect(await alertRow('long-fault')).toMatchObject({ suppressed_by: null, incident_id: expect.any(Number) });

    const listed = (await (await s.request('GET', '/api/v1/recurring-silences', { token: s.tokens.read })).json()) as any;
    const id = listed.items.find((r: any) => r.name === 'checkout-window').id;
    const deleted = await s.request('DELETE', `/api/v1/recurring-silences/${id}`, { token: s.tokens.write });
    expect(deleted.status).toBe(200);
    expect(((await deleted.json()) as any).next).toEqual([]);
    expect((await fireAt('checkout', '2026-12-06T01:30:00Z', 'after-delete')).suppressed_by).toBeNull();
    expect((await fireAt('payments', '2026-12-06T01:30:00Z', 'payments-still')).suppressed_by).toMatch(/^recurring:/);
  });
});
