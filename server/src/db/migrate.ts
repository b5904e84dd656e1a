/**
 * @module Migrations served by a static provider (no runtime file imports), so the
 * built package and the test suite run exactly the same list.
 */
import { Migrator, type Kysely, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import type { SqlDialect } from './dialect.js';
import { initialSchema } from './migrations/001-initial.js';
import { agentsSchema } from './migrations/002-agents.js';
import { alertResolvedBy } from './migrations/003-alert-resolved-by.js';
import { catalogueSchema } from './migrations/004-catalogue.js';
import { noiseControlSchema } from './migrations/006-noise-control.js';
import { outboxSchema } from './migrations/007-outbox.js';
import { serviceSla } from './migrations/008-service-sla.js';
import { capacitySchema } from './migrations/009-capacity.js';
import { problemsSchema } from './migrations/010-problems.js';
import { uiSessionsSchema } from './migrations/011-ui-sessions.js';
import { leaderLeaseSchema } from './migrations/012-leader-lease.js';
import { slaTargetsSchema } from './migrations/013-sla-targets.js';
import { capacitySeriesIndex } from './migrations/017-capacity-series-index.js';
import { timelineLookupIndexes } from './migrations/018-timeline-lookup-indexes.js';
import { incidentPageIndexes } from './migrations/019-incident-page-indexes.js';
import { correlationInputs } from './migrations/020-correlation-inputs.js';
import { appendOnlyLog } from './migrations/021-append-only-log.js';
import { deadLetters } from './migrations/022-dead-letters.js';
import { slaSignals } from './migrations/023-sla-signals.js';
import { candidateImpact } from './migrations/024-candidate-impact.js';
import { writeProbe } from './migrations/025-write-probe.js';
import { incidentActions } from './migrations/026-incident-actions.js';
import { changesSchema } from './migrations/027-changes.js';
import { recurringSilencesSchema } from './migrations/028-recurring-silences.js';
import { problemFix } from './migrations/029-problem-fix.js';
import { candidateFeatures } from './migrations/030-candidate-features.js';
import { serviceIncidentSpan } from './migrations/031-service-incident-span.js';
import { oncallSchema } from './migrations/035-oncall.js';

function migrationsFor(dialect: SqlDialect): Record<string, Migration> {
  return {
    '001-initial': initialSchema(dialect),
    '002-agents': agentsSchema(dialect),
    '003-alert-resolved-by': alertResolvedBy,
    '004-catalogue': catalogueSchema(dialect),
    '006-noise-control': noiseControlSchema(dialect),
    '007-outbox': outboxSchema(dialect),
    '008-service-sla': serviceSla,
    '009-capacity': capacitySchema(dialect),
    '010-problems': problemsSchema(dialect),
    '011-ui-sessions': uiSessionsSchema(dialect),
    '012-leader-lease': leaderLeaseSchema(dialect),
    '013-sla-targets': slaTargetsSchema(dialect),
    '017-capacity-series-index': capacitySeriesIndex,
    '018-timeline-lookup-indexes': timelineLookupIndexes,
    '019-incident-page-indexes': incidentPageIndexes,
    '020-correlation-inputs': correlationInputs,
    '021-append-only-log': appendOnlyLog(dialect),
    '022-dead-letters': deadLetters(dialect),
    '023-sla-signals': slaSignals(dialect),
    '024-candidate-impact': candidateImpact,
    '025-write-probe': writeProbe(dialect),
    '026-incident-actions': incidentActions(dialect),
    '027-changes': changesSchema(dialect),
    '028-recurring-silences': recurringSilencesSchema(dialect),
    '029-problem-fix': problemFix(dialect),
    '030-candidate-features': candidateFeatures,
    '031-service-incident-span': serviceIncidentSpan,
    '035-oncall': oncallSchema(dialect),
  };
}

class StaticMigrationProvider implements MigrationProvider {
  constructor(private readonly migrations: Record<string, Migration>) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return this.migrations;
  }
}

export async function migrateToLatest(db: Kysely<any>, dialect: SqlDialect): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider: new StaticMigrationProvider(migrationsFor(dialect)) });
  return migrator.migrateToLatest();
}

/** Migrates up (or down) to the named migration: for tests of a migration over data of the version before it. */
export async function migrateTo(db: Kysely<any>, dialect: SqlDialect, target: string): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider: new StaticMigrationProvider(migrationsFor(dialect)) });
  return migrator.migrateTo(target);
}
