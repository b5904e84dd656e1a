/**
 * @module When an incident was on hold, from its timeline: a hold starts at a `hold`
 * action and ends at the next `resume`, `resolve` or `cancel` (the only ways out of on
 * hold); a hold without an end is still going on.
 */
export interface LifecycleEntry {
  at: number;
  action: string;
}

export function holdPeriods(entries: readonly LifecycleEntry[]): { start: number; end: number | null }[] {
  const out: { start: number; end: number | null }[] = [];
  let open: number | null = null;
  for (const e of [...entries].sort((a, b) => a.at - b.at)) {
    if (e.action === 'hold' && open === null) open = e.at;
    else if (open !== null && (e.action === 'resume' || e.action === 'resolve' || e.action === 'cancel')) {
      out.push({ start: open, end: e.at });
      open = null;
    }
  }
  if (open !== null) out.push({ start: open, end: null });
  return out;
}
