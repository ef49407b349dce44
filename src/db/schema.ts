// Kysely typings of every table (spec 01 §2). `Generated` marks columns the database
// fills when an insert omits them (serial ids and server defaults).
import type { ColumnType, Generated } from "kysely";

/** timestamptz: read as a Date, written as a Date or an ISO string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A timestamptz column with a server default (clock_timestamp()). */
export type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type LogEnvironment = "admin" | "backend" | "frontend";
export type RebuildRequestState = "new" | "in progress" | "scheduled" | "finished" | "failed";

export interface UserTable {
  id: Generated<number>;
  name: string;
  admin: Generated<boolean>;
}

export interface CollectionTable {
  id: Generated<number>;
  order: Generated<number>;
  name: string;
  display_name: string;
  secondary_mode: Generated<boolean>;
  target: string;
  dest_tag: string;
  build_tag: string;
  bugzilla_product: string | null;
  bugzilla_version: string | null;
  priority_coefficient: Generated<number>;
  build_group: Generated<string>;
  latest_repo_id: number | null;
  latest_repo_resolved: boolean | null;
  poll_untracked: Generated<boolean>;
}

export interface CollectionGroupTable {
  id: Generated<number>;
  name: string;
  display_name: string;
}

export interface CollectionGroupRelationTable {
  group_id: number;
  collection_id: number;
}

export interface BasePackageTable {
  id: Generated<number>;
  name: string;
  /** Maintained by a trigger: every package row of this base is blocked. */
  all_blocked: Generated<boolean>;
  /**
   * Maintained by a trigger, over every package row of this base: a build is running, the
   * package fails or is unresolvable, it is tracked and not blocked (the unified view's flags).
   */
  any_running: Generated<boolean>;
  any_failing: Generated<boolean>;
  any_tracked: Generated<boolean>;
}

export interface PackageTable {
  id: Generated<number>;
  base_id: number;
  name: string;
  collection_id: number;
  arch_override: string | null;
  skip_resolution: Generated<boolean>;
  /** Maintained by a trigger (with last_complete_build_state and last_build_id). */
  last_complete_build_id: number | null;
  last_complete_build_state: number | null;
  last_build_id: number | null;
  resolved: boolean | null;
  static_priority: Generated<number>;
  manual_priority: Generated<number>;
  build_priority: Generated<number>;
  dependency_priority: Generated<number>;
  tracked: Generated<boolean>;
  blocked: Generated<boolean>;
  /** 1 = no SRPM found, 2 = no build arch allowed. */
  scheduler_skip_reason: number | null;
  /** Maintained by a trigger: the start of the last build (`last_build_id`). */
  last_build_started: Date | null;
}

export interface BuildTable {
  id: Generated<number>;
  package_id: number | null;
  state: Generated<number>;
  task_id: number;
  started: Timestamp;
  finished: Timestamp | null;
  epoch: number | null;
  version: string | null;
  release: string | null;
  repo_id: number | null;
  /** Maintained by a trigger: this build is its package's last complete build. */
  last_complete: Generated<boolean>;
  cancel_requested: Generated<boolean>;
  deps_resolved: boolean | null;
  real: Generated<boolean>;
  untagged: Generated<boolean>;
  /** zlib-compressed delta-encoded dependency ids (spec 01 §2.23). */
  dependency_keys: Uint8Array | null;
}

export interface KojiTaskTable {
  id: Generated<number>;
  build_id: number;
  task_id: number;
  arch: string;
  state: number;
  started: Timestamp;
  finished: Timestamp | null;
}

export interface PackageGroupRelationTable {
  group_id: number;
  base_id: number;
}

export interface GroupAclTable {
  group_id: number;
  user_id: number;
}

export interface PackageGroupTable {
  id: Generated<number>;
  namespace: string | null;
  name: string;
}

export interface ResolutionChangeTable {
  id: Generated<number>;
  resolved: boolean;
  timestamp: GeneratedTimestamp;
  package_id: number;
}

export interface ResolutionProblemTable {
  id: Generated<number>;
  resolution_id: number;
  problem: string;
}

export interface DependencyTable {
  id: Generated<number>;
  name: string;
  epoch: number | null;
  version: string;
  release: string;
  arch: string;
}

export interface AppliedChangeTable {
  id: Generated<number>;
  build_id: number;
  prev_dep_id: number | null;
  curr_dep_id: number | null;
  distance: number | null;
}

export interface UnappliedChangeTable {
  /** bigserial, read as a number on both backends. */
  id: Generated<number>;
  package_id: number;
  prev_dep_id: number | null;
  curr_dep_id: number | null;
  distance: number | null;
}

export interface BuildrootProblemTable {
  id: Generated<number>;
  collection_id: number | null;
  problem: string;
}

export interface AdminNoticeTable {
  key: string;
  content: string;
}

export interface LogEntryTable {
  id: Generated<number>;
  user_id: number | null;
  environment: LogEnvironment;
  timestamp: GeneratedTimestamp;
  message: string;
  base_id: number | null;
}

export interface RepoMappingTable {
  secondary_id: number;
  primary_id: number | null;
  task_id: number;
}

export interface CoprRebuildRequestTable {
  id: Generated<number>;
  user_id: number;
  collection_id: number;
  repo_source: string;
  yum_repo: string | null;
  timestamp: GeneratedTimestamp;
  description: string | null;
  repo_id: number | null;
  schedule_count: number | null;
  scheduler_queue_index: number | null;
  state: Generated<RebuildRequestState>;
  error: string | null;
}

export interface CoprResolutionChangeTable {
  request_id: number;
  package_id: number;
  prev_resolved: boolean;
  curr_resolved: boolean;
  problems: string[] | null;
}

export interface CoprRebuildTable {
  request_id: number;
  package_id: number;
  copr_build_id: number | null;
  prev_state: number;
  state: number | null;
  approved: boolean | null;
  order: number;
}

export interface BuildGroupTable {
  id: Generated<number>;
  repo_id: number | null;
  collection_id: number | null;
  base_collection_id: number | null;
  state: string | null;
}

/** Filled by refresh_stats(); one row. */
export interface ScalarStatsTable {
  refresh_time: Timestamp;
  packages: number;
  tracked_packages: number;
  blocked_packages: number;
  builds: number;
  real_builds: number;
  scratch_builds: number;
}

/** Filled by refresh_stats(). `time` is PostgreSQL interval text, e.g. "00:15:33". */
export interface ResourceConsumptionStatsTable {
  name: string;
  arch: string;
  time: string | null;
  time_percentage: number | null;
}

export interface SchemaMigrationsTable {
  id: string;
  applied_at: GeneratedTimestamp;
}

/** A fedora-messaging message waiting for (or past) its publication (src/messaging). */
export interface OutboxTable {
  id: Generated<number>;
  topic: string;
  /** A JSON object: the message body. */
  body: object;
  /** A JSON object: `OutboxHeaders` of src/messaging/outbox.ts. */
  headers: object;
  message_id: Generated<string>;
  created: GeneratedTimestamp;
  published_at: Timestamp | null;
}

export interface Schema {
  user: UserTable;
  collection: CollectionTable;
  collection_group: CollectionGroupTable;
  collection_group_relation: CollectionGroupRelationTable;
  base_package: BasePackageTable;
  package: PackageTable;
  build: BuildTable;
  koji_task: KojiTaskTable;
  package_group_relation: PackageGroupRelationTable;
  group_acl: GroupAclTable;
  package_group: PackageGroupTable;
  resolution_change: ResolutionChangeTable;
  resolution_problem: ResolutionProblemTable;
  dependency: DependencyTable;
  applied_change: AppliedChangeTable;
  unapplied_change: UnappliedChangeTable;
  buildroot_problem: BuildrootProblemTable;
  admin_notice: AdminNoticeTable;
  log_entry: LogEntryTable;
  repo_mapping: RepoMappingTable;
  copr_rebuild_request: CoprRebuildRequestTable;
  copr_resolution_change: CoprResolutionChangeTable;
  copr_rebuild: CoprRebuildTable;
  build_group: BuildGroupTable;
  scalar_stats: ScalarStatsTable;
  resource_consumption_stats: ResourceConsumptionStatsTable;
  outbox: OutboxTable;
  schema_migrations: SchemaMigrationsTable;
}
