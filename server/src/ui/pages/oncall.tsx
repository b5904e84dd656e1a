/** @module On call: per schedule, who is on call now and next, and the shifts of the coming two weeks. */
import type { FC } from 'hono/jsx';
import type { Shift } from '../../domain/oncall.js';
import type { ScheduleOverview } from '../../services/oncall.js';
import { formatDuration, formatTime } from '../format.js';

const Who: FC<{ shift: Shift | null; now: number; label: string }> = ({ shift, now, label }) =>
  shift === null ? (
    <span class="muted">nobody</span>
  ) : (
    <span data-oncall={label}>
      <strong>{shift.user}</strong> <span class="small muted">({shift.layer === 'override' ? 'override' : `layer ${shift.layer}`})</span>{' '}
      <span class="small">{label === 'now' ? `until ${formatTime(shift.to)} (${formatDuration(shift.to - now)} left)` : `from ${formatTime(shift.from)}`}</span>
    </span>
  );

export const OnCallPage: FC<{ schedules: ScheduleOverview[]; now: number; days: number }> = ({ schedules, now, days }) => (
  <>
    <h1>On call</h1>
    {schedules.length === 0 ? (
      <p class="card">
        No on-call schedule yet: define people and schedules under <code>oncall:</code> in the configuration file, or with <code>PUT /api/v1/schedules/:name</code>.
      </p>
    ) : null}
    {schedules.map(({ schedule, current, next, shifts }) => (
      <section class="card" aria-labelledby={`schedule-${schedule.name}`}>
        <h2 id={`schedule-${schedule.name}`}>{schedule.name}</h2>
        {schedule.description ? <p class="muted">{schedule.description}</p> : null}
        <dl class="facts">
          <dt>Now</dt>
          <dd>
            <Who shift={current} now={now} label="now" />
          </dd>
          <dt>Next</dt>
          <dd>
            <Who shift={next} now={now} label="next" />
          </dd>
          <dt>Calendar</dt>
          <dd>
            <code>/api/v1/schedules/{schedule.name}/ical</code>
          </dd>
        </dl>
        <table>
          <caption class="small muted">Shifts of the next {days} days (UTC)</caption>
          <thead>
            <tr>
              <th scope="col">Who</th>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Length</th>
              <th scope="col">Layer</th>
            </tr>
          </thead>
          <tbody>
            {shifts.length === 0 ? (
              <tr>
                <td colspan={5} class="muted">
                  Nobody is on call in these days.
                </td>
              </tr>
            ) : null}
            {shifts.map((s) => (
              <tr data-shift>
                <td>{s.user}</td>
                <td>{formatTime(s.from)}</td>
                <td>{formatTime(s.to)}</td>
                <td>{formatDuration(s.to - s.from)}</td>
                <td>{s.layer}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    ))}
  </>
);
