/** SLA notices as notification events, and the report's CSV. */
import { describe, expect, it } from 'vitest';
import { notificationEventOf, renderJsonPayload, renderSlackPayload, type NotificationContent } from '../../server/src/domain/notification.js';
import { ALWAYS, type SlaPolicy } from '../../server/src/domain/sla.js';
import { reportsToCsv } from '../../server/src/http/routes/sla.js';
import { computeAvailability } from '../../server/src/sla/availability.js';

describe('SLA notices as notifications', () => {
  it.each([
    ['sla_warning', { target: 'response', level: '75' }, 'sla_warning'],
    ['sla_breached', { target: 'resolution', level: 'breached' }, 'sla_breached'],
  ] as const)('%s notifies as %s', (kind, data, event) => expect(notificationEventOf(kind, data)).toBe(event));

  it('says what happened in the Slack text and the JSON body', () => {
    const content: NotificationContent = {
      event: 'sla_breached',
      idempotencyKey: 'desk:12',
      at: Date.parse('2026-11-21T10:20:00Z'),
      actor: 'sightline',
      message: 'Response target breached (P1 target 20m, was due 2026-11-21T10:20:00.000Z)',
      previousPriority: null,
      links: null,
      incident: { id: 7, title: 'PaymentsDown', status: 'open', priority: 'P1', impact: 'high', urgency: 'high', service: 'payments', host: null, rootCauseService: null, assignee: null, alertCount: 1, firingCount: 1, openedAt: 0, acknowledgedAt: null, resolvedAt: null },
    };
    expect((renderSlackPayload(content) as any).text).toBe('[P1] Incident #7 breached its SLA target: PaymentsDown');
    expect(renderJsonPayload(content)).toMatchObject({ event: 'sla_breached', message: content.message, incident: { id: 7 } });
  });
});

describe('report CSV', () => {
  it('writes one row per service and period, RFC 4180 quoted, CRLF line ends', () => {
    const start = Date.parse('2026-11-01T00:00:00Z');
    const end = Date.parse('2026-12-01T00:00:00Z');
    const availability = computeAvailability({ period: { start, end }, objectivePpm: 999_000, serviceCalendar: null, outages: [{ start: start + 1000, end: start + 4000 }], maintenance: [], asOf: end });
    const policy: SlaPolicy = { objectivePpm: 999_000, period: { kind: 'rolling', days: 30 }, serviceCalendar: null, downtime: { incidentPriorities: ['P1'], availabilityChecks: true, agentDown: true }, dependencies: 'none', excludeMaintenance: true, targets: { P1: { respondMs: 1, resolveMs: 1, calendar: ALWAYS } }, pageOnFastBurn: false };
    const compliance = { incidents: 2, met: 1, breached: 1, running: 0, compliance: 0.5 };
    const csv = reportsToCsv([
      { service: 'a,b"c', policy, periods: [{ availability, failures: 1, meanTimeToRestoreMs: 3000, targets: { P1: { response: compliance, resolution: compliance }, P2: { response: compliance, resolution: { ...compliance, met: 2, breached: 0 } } }, signals: [] }] },
    ]);
    const lines = csv.split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(lines[1]).toBe(`"a,b""c",2026-11-01T00:00:00.000Z,2026-12-01T00:00:00.000Z,99.9,${availability.sli},2592,3,0,2589,false,1,3,2,2,0,3,1,0`);
  });
});
