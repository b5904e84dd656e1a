import { describe, expect, it } from 'vitest';
import {
  advanceCursor,
  incidentLinks,
  judgeResponse,
  notificationEventOf,
  parseRetryAfter,
  renderJsonPayload,
  renderSlackPayload,
  retryDelay,
  stopsNotifications,
  type NotificationContent,
} from '../../server/src/domain/notification.js';

describe('notificationEventOf', () => {
  it.each([
    ['opened', null, 'opened'],
    ['reopened', null, 'reopened'],
    ['resolved', null, 'resolved'],
    ['acknowledged', null, 'acknowledged'],
    ['acknowledged', { action: 'acknowledge' }, 'acknowledged'],
    // A resume back to acknowledged, and a manual reopen (kind is the status reached).
    ['acknowledged', { action: 'resume' }, null],
    ['open', { action: 'reopen' }, 'reopened'],
    ['resolved', { action: 'resolve' }, 'resolved'],
    ['closed', { action: 'close' }, null],
    ['updated', { priority: 'P1', priorityFrom: 'P3', priorityTo: 'P1' }, 'priority_changed'],
    ['updated', { priority: 'P2' }, 'priority_changed'],
    ['updated', { priority: 'P3', priorityFrom: 'P3', priorityTo: 'P3' }, null],
    ['updated', { assignee: 'ann' }, null],
    ['alert_joined', { method: 'group' }, null],
    ['reopened_flapping', null, null],
    // Merged away (by a person or the correlator); the surviving side is not an event.
    ['merged', { into: 7 }, 'merged'],
    ['merged', { into: 7, method: 'topology', score: 0.5 }, 'merged'],
    ['merged', { from: 12 }, null],
    ['merged', null, null],
    ['note', null, null],
    // The fault reached another service after people acknowledged the incident.
    ['service_reached', { service: 'checkout', announced: true }, 'incident_service_added'],
    ['service_reached', { service: 'checkout' }, null],
  ] as const)('%s %j → %s', (kind, data, event) => {
    expect(notificationEventOf(kind, data)).toBe(event);
  });
});

describe('stopsNotifications', () => {
  it.each([
    ['silenced', { silence: 's-1', incidentSilenced: true }, "not sent: the incident's alerts were silenced (silence s-1)"],
    ['silenced', { silence: 's-1', incidentSilenced: false }, null],
    // Merged away (by the correlator or a person): the surviving incident notifies.
    ['merged', { into: 42, method: 'topology' }, 'not sent: the incident was merged into #42'],
    ['merged', { into: 42 }, 'not sent: the incident was merged into #42'],
    // The surviving side of a merge goes on notifying.
    ['merged', { from: 7 }, null],
    ['merged', null, null],
    ['opened', { into: 42 }, null],
  ])('%s %j → %s', (kind, data, expected) => {
    expect(stopsNotifications(kind, data)).toBe(expected);
  });
});

describe('judgeResponse', () => {
  it.each([
    [200, 'delivered'],
    [204, 'delivered'],
    [408, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
    [400, 'failed'],
    [401, 'failed'],
    [404, 'failed'],
    [302, 'failed'],
  ])('%i → %s', (status, kind) => {
    expect(judgeResponse(status, null, '').kind).toBe(kind);
  });
});

describe('retry timing', () => {
  const bounds = { minMs: 5_000, maxMs: 60_000 };
  it('doubles from the minimum, jitters up to twice the base, and stops at the maximum', () => {
    expect([1, 2, 3, 4, 5].map((a) => retryDelay(a, bounds, 0))).toEqual([5_000, 10_000, 20_000, 40_000, 60_000]);
    expect(retryDelay(1, bounds, 0.5)).toBe(7_500);
    expect(retryDelay(3, bounds, 0.999)).toBeLessThan(40_000);
    expect(retryDelay(60, bounds, 0.9)).toBe(60_000);
  });
  it('waits at least what Retry-After asks, within the maximum', () => {
    expect(retryDelay(1, bounds, 0, 30_000)).toBe(30_000);
    expect(retryDelay(1, bounds, 0, 3_600_000)).toBe(60_000);
    expect(retryDelay(1, bounds, 0, 1_000)).toBe(5_000);
  });
  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-11-21T04:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 04:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});

describe('advanceCursor', () => {
  const grace = 60_000;
  it('moves past contiguous ids', () => {
    expect(advanceCursor({ position: 10, gaps: [] }, [11, 12, 13], 0, grace).cursor).toEqual({ position: 13, gaps: [] });
  });
  it('remembers holes, fills them when late commits appear, and forgets them after the grace period', () => {
    let state = advanceCursor({ position: 10, gaps: [] }, [11, 14, 15, 19], 1_000, grace).cursor;
    expect(state).toEqual({
      position: 19,
      gaps: [
        { from: 12, to: 13, since: 1_000 },
        { from: 16, to: 18, since: 1_000 },
      ],
    });
    // 13 and 17 commit late; 20 is new.
    state = advanceCursor(state, [13, 17, 20], 2_000, grace).cursor;
    expect(state).toEqual({
      position: 20,
      gaps: [
        { from: 12, to: 12, since: 1_000 },
        { from: 16, to: 16, since: 1_000 },
        { from: 18, to: 18, since: 1_000 },
      ],
    });
    // A later hole is kept while the older ones, never filled (rolled back), expire.
    const later = advanceCursor(state, [22], 61_000, grace);
    expect(later.expired).toBe(3);
    expect(later.cursor).toEqual({ position: 22, gaps: [{ from: 21, to: 21, since: 61_000 }] });
  });
  it('keeps only the newest holes beyond the limit', () => {
    const out = advanceCursor({ position: 0, gaps: [] }, [2, 4, 6, 8], 0, grace, 2);
    expect(out.dropped).toBe(2);
    expect(out.cursor.gaps.map((g) => g.from)).toEqual([5, 7]);
  });
  it('stays put when nothing new is visible', () => {
    expect(advanceCursor({ position: 5, gaps: [] }, [], 0, grace).cursor).toEqual({ position: 5, gaps: [] });
  });
});

describe('Slack payload', () => {
  it('says priority, title, status and service in a short message, escaped for mrkdwn', () => {
    const content: NotificationContent = {
      event: 'priority_changed',
      idempotencyKey: 'chat:9',
      at: Date.parse('2026-11-21T04:00:00Z'),
      actor: 'ann',
      message: 'priority P3 → P1 by ann',
      previousPriority: 'P3',
      links: null,
      incident: {
        id: 7,
        title: 'Disk <full> & slow',
        status: 'on_hold',
        priority: 'P1',
        impact: 'high',
        urgency: 'high',
        service: 'checkout',
        host: null,
        rootCauseService: null,
        assignee: null,
        alertCount: 1,
        firingCount: 1,
        openedAt: 0,
        acknowledgedAt: null,
        resolvedAt: null,
      },
    };
    const payload = renderSlackPayload(content) as any;
    expect(payload.text).toBe('[P1] Incident #7 priority changed (P3 → P1): Disk <full> & slow');
    expect(payload.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: '*[P1] Incident #7 priority changed (P3 → P1): Disk &lt;full&gt; &amp; slow*' } });
    expect(payload.blocks[1].fields.map((f: any) => f.text)).toEqual(['*Priority:* P1', '*Status:* on hold', '*Service:* checkout']);
    expect(payload.blocks[2].type).toBe('context');

    // With the server's public URL, the headline links to the incident's page.
    const linked = renderSlackPayload({ ...content, links: incidentLinks('https://sightline.example.com', 7) }) as any;
    expect(linked.text).toBe('[P1] Incident #7 priority changed (P3 → P1): Disk <full> & slow https://sightline.example.com/ui/incidents/7');
    expect(linked.blocks[0].text.text).toBe('*<https://sightline.example.com/ui/incidents/7|[P1] Incident #7 priority changed (P3 → P1): Disk &lt;full&gt; &amp; slow>*');
    const json = renderJsonPayload({ ...content, links: incidentLinks('https://sightline.example.com/sl', 7) }) as any;
    expect(json.incident).toMatchObject({ url: 'https://sightline.example.com/sl/ui/incidents/7', apiUrl: 'https://sightline.example.com/sl/api/v1/incidents/7' });
    expect((renderJsonPayload(content) as any).incident).toMatchObject({ url: null, apiUrl: null });

    // An opened incident with a change flagged as its likely cause says so.
    const opened = { ...content, event: 'opened' as const, likelyCause: 'deploy v2.3.1 of payments 4 min before' };
    expect((renderSlackPayload(opened) as any).text).toBe('[P1] Incident #7 opened: Disk <full> & slow (likely cause: deploy v2.3.1 of payments 4 min before)');
    expect((renderSlackPayload(opened) as any).blocks[1].fields.map((f: any) => f.text)).toContain('*Likely cause:* deploy v2.3.1 of payments 4 min before');
    expect((renderJsonPayload(opened) as any).likelyCause).toBe('deploy v2.3.1 of payments 4 min before');
    expect(renderJsonPayload(content)).not.toHaveProperty('likelyCause');
  });
});

describe('merged payloads', () => {
  const content: NotificationContent = {
    event: 'merged',
    idempotencyKey: 'ops:31',
    at: Date.parse('2026-11-21T04:00:00Z'),
    actor: 'ann',
    message: 'Merged into #7 by ann (1 alert(s) moved)',
    previousPriority: null,
    links: null,
    mergedInto: { id: 7, links: null },
    incident: {
      id: 12,
      title: 'Disk <full>',
      status: 'cancelled',
      priority: 'P2',
      impact: 'medium',
      urgency: 'high',
      service: 'checkout',
      host: null,
      rootCauseService: null,
      assignee: null,
      alertCount: 0,
      firingCount: 0,
      openedAt: 0,
      acknowledgedAt: null,
      resolvedAt: null,
    },
  };
  const linked: NotificationContent = { ...content, links: incidentLinks('https://sl.example.com', 12), mergedInto: { id: 7, links: incidentLinks('https://sl.example.com', 7) } };

  it.each([
    ['without a public URL', content, { id: 7, url: null }],
    ['with one', linked, { id: 7, url: 'https://sl.example.com/ui/incidents/7' }],
  ])('JSON %s says which incident it went into', (_, c, mergedInto) => {
    const json = renderJsonPayload(c) as any;
    expect(json).toMatchObject({ event: 'merged', mergedInto, incident: { id: 12, status: 'cancelled' } });
    expect(Object.keys(json)).not.toContain('previousPriority');
  });

  it('is left out of the other events', () => {
    expect(renderJsonPayload({ ...content, event: 'opened' })).not.toHaveProperty('mergedInto');
  });

  it.each([
    ['without a public URL', content, '[P2] Incident #12 merged into #7: Disk <full>', '*[P2] Incident #12 merged into #7: Disk &lt;full&gt;*'],
    [
      'with one, linking both incidents (the plain text to the one where work goes on)',
      linked,
      '[P2] Incident #12 merged into #7: Disk <full> https://sl.example.com/ui/incidents/7',
      '*<https://sl.example.com/ui/incidents/12|[P2] Incident #12 merged> into <https://sl.example.com/ui/incidents/7|#7>: Disk &lt;full&gt;*',
    ],
  ])('Slack %s', (_, c, text, headline) => {
    const payload = renderSlackPayload(c) as any;
    expect(payload.text).toBe(text);
    expect(payload.blocks[0].text.text).toBe(headline);
    expect(payload.blocks[1].fields.map((f: any) => f.text)).toContain('*Status:* cancelled');
  });
});

describe('incident links', () => {
  it('are built from the public URL, and absent without one', () => {
    expect(incidentLinks(null, 3)).toBeNull();
    expect(incidentLinks('http://localhost:8080', 3)).toEqual({ url: 'http://localhost:8080/ui/incidents/3', apiUrl: 'http://localhost:8080/api/v1/incidents/3' });
  });
});

describe('incident_service_added payloads', () => {
  const content: NotificationContent = {
    event: 'incident_service_added',
    idempotencyKey: 'ops:40',
    at: Date.parse('2026-11-21T04:00:00Z'),
    actor: 'sightline',
    message: 'checkout now affected: the fault reached it (Errors) while the incident is acknowledged',
    previousPriority: null,
    links: null,
    addedService: 'checkout',
    incident: {
      id: 5,
      title: 'PostgreSQL down',
      status: 'acknowledged',
      priority: 'P1',
      impact: 'high',
      urgency: 'high',
      service: 'postgres',
      host: null,
      rootCauseService: 'postgres',
      assignee: 'ann',
      alertCount: 2,
      firingCount: 2,
      openedAt: 0,
      acknowledgedAt: 0,
      resolvedAt: null,
    },
  };

  it('names the service in JSON and in Slack', () => {
    expect(renderJsonPayload(content)).toMatchObject({ event: 'incident_service_added', service: 'checkout', incident: { id: 5, status: 'acknowledged' } });
    expect(renderJsonPayload({ ...content, event: 'opened' })).not.toHaveProperty('service');
    expect((renderSlackPayload(content) as any).text).toBe('[P1] Incident #5 now affects checkout: PostgreSQL down');
  });
});
