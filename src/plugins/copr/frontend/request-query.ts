// The user-rebuild requests as the web pages read and change them (spec 11 §2.2): a user's
// requests, one request with its resolution changes and rebuilds, and the changes a form
// makes — creating a request, editing its queue, cancelling and rescheduling it — each in one
// transaction with the rows it changes locked, and audit-logged as the logged-in user.
import { sql, type Kysely, type Selectable } from "kysely";
import type { AuditedChanges } from "../../../admin/admin-command.js";
import type { CoprRebuildRequestTable, RebuildRequestState, Schema } from "../../../db/index.js";
import { webTransaction } from "../../../frontend/group-query.js";
import type { Collection, User } from "../../../frontend/request-state.js";
import {
  CANCELLABLE_STATES,
  editQueue,
  raisedScheduleCount,
  requestName,
  RESCHEDULABLE_STATES,
  rescheduledState,
  type EditRebuildValues,
} from "./rebuild-logic.js";

type Db = Kysely<Schema>;
export type RebuildRequest = Selectable<CoprRebuildRequestTable>;

export async function findUserByName(db: Db, name: string): Promise<User | undefined> {
  return db.selectFrom("user").selectAll().where("name", "=", name).executeTakeFirst();
}

/** A user's requests, newest first. */
export async function userRequests(db: Db, userId: number): Promise<RebuildRequest[]> {
  return db
    .selectFrom("copr_rebuild_request")
    .selectAll()
    .where("user_id", "=", userId)
    .orderBy("id", "desc")
    .execute();
}

export interface RequestDetail {
  request: RebuildRequest;
  requesterName: string;
  changes: { packageName: string; prev_resolved: boolean; curr_resolved: boolean }[];
  /** Every rebuild in queue order. */
  rebuilds: {
    packageId: number;
    packageName: string;
    copr_build_id: number | null;
    prev_state: number;
    state: number | null;
    order: number;
  }[];
}

export async function findRequestDetail(db: Db, id: number): Promise<RequestDetail | undefined> {
  const request = await db
    .selectFrom("copr_rebuild_request as r")
    .innerJoin("user as u", "u.id", "r.user_id")
    .selectAll("r")
    .select("u.name as requesterName")
    .where("r.id", "=", id)
    .executeTakeFirst();
  if (request === undefined) return undefined;
  const { requesterName, ...row } = request;
  const [changes, rebuilds] = await Promise.all([
    db
      .selectFrom("copr_resolution_change as c")
      .innerJoin("package as p", "p.id", "c.package_id")
      .select(["p.name as packageName", "c.prev_resolved", "c.curr_resolved"])
      .where("c.request_id", "=", id)
      .orderBy("p.name")
      .execute(),
    db
      .selectFrom("copr_rebuild as b")
      .innerJoin("package as p", "p.id", "b.package_id")
      .select([
        "b.package_id as packageId",
        "p.name as packageName",
        "b.copr_build_id",
        "b.prev_state",
        "b.state",
        "b.order",
      ])
      .where("b.request_id", "=", id)
      .orderBy("b.order")
      .orderBy("p.name")
      .execute(),
  ]);
  return { request: row, requesterName, changes, rebuilds };
}

/** PostgreSQL's lock_not_available, which a lock wait beyond lock_timeout raises. */
const LOCK_NOT_AVAILABLE = "55P03";

/** The service working on the request holds its row: the form asks the user to try again. */
export const BUSY = "busy";

/**
 * A web transaction whose locks wait a few seconds at most: the resolver holds a request's
 * row for as long as resolving takes (minutes), and a form should not hang that long.
 */
async function lockingTransaction<T>(
  db: Db,
  user: User,
  body: (tx: AuditedChanges) => Promise<T>,
): Promise<T | typeof BUSY> {
  try {
    return await webTransaction(db, user, async (tx) => {
      await sql`SET LOCAL lock_timeout = '3s'`.execute(tx.db);
      return body(tx);
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === LOCK_NOT_AVAILABLE) return BUSY;
    throw error;
  }
}

/** The request row, locked until the transaction ends. */
async function lockedRequest(tx: AuditedChanges, id: number): Promise<RebuildRequest | undefined> {
  return tx.db
    .selectFrom("copr_rebuild_request")
    .selectAll()
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
}

export async function createRequest(
  db: Db,
  user: User,
  values: {
    collection: Collection;
    repoSource: string;
    description: string | null;
    scheduleCount: number;
  },
): Promise<number> {
  return webTransaction(db, user, async (tx) => {
    const { id } = await tx.db
      .insertInto("copr_rebuild_request")
      .values({
        user_id: user.id,
        collection_id: values.collection.id,
        repo_source: values.repoSource,
        description: values.description,
        schedule_count: values.scheduleCount,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await tx.audit(
      `Rebuild request ${requestName(id)} created: ${values.repoSource} against ` +
        `${values.collection.name}, at most ${values.scheduleCount} builds`,
    );
    return id;
  });
}

/** Why an edit of the queue did not happen; the route turns each into its answer. */
export type EditRefusal = "not found" | "forbidden" | "submitted" | typeof BUSY;

/**
 * Moves a queued rebuild to the top of its request's queue or removes it (spec 11 §2.2). The
 * request and its rebuilds are locked first, so two edits of one queue cannot interleave. A
 * rebuild already submitted to Copr is left alone: its build runs whatever the queue says.
 */
export async function editRebuild(
  db: Db,
  user: User,
  edit: EditRebuildValues,
  mayEdit: (request: RebuildRequest) => boolean,
): Promise<EditRefusal | undefined> {
  return lockingTransaction(db, user, async (tx) => {
    const request = await lockedRequest(tx, edit.requestId);
    if (request === undefined) return "not found";
    const rebuilds = await tx.db
      .selectFrom("copr_rebuild as b")
      .innerJoin("package as p", "p.id", "b.package_id")
      .select(["b.package_id", "b.order", "b.state", "p.name", "p.base_id"])
      .where("b.request_id", "=", request.id)
      .forUpdate("b")
      .execute();
    const target = rebuilds.find((rebuild) => rebuild.package_id === edit.packageId);
    if (target === undefined) return "not found";
    if (!mayEdit(request)) return "forbidden";
    if (target.state !== null) return "submitted";
    const change = editQueue(
      edit.action,
      edit.packageId,
      rebuilds.map((rebuild) => ({
        packageId: rebuild.package_id,
        order: rebuild.order,
        queued: rebuild.state === null,
      })),
    );
    if (change.removed !== undefined) {
      await tx.db
        .deleteFrom("copr_rebuild")
        .where("request_id", "=", request.id)
        .where("package_id", "=", change.removed)
        .execute();
    }
    if (change.orders.length > 0) {
      await sql`
        UPDATE copr_rebuild AS b SET "order" = o.new_order
        FROM unnest(${change.orders.map((o) => o.packageId)}::int[],
                    ${change.orders.map((o) => o.order)}::int[]) AS o(package_id, new_order)
        WHERE b.request_id = ${request.id} AND b.package_id = o.package_id`.execute(tx.db);
    }
    if (edit.action === "move-top") {
      // The moved rebuild is to be built: one more build, and the scheduler looks again.
      await tx.db
        .updateTable("copr_rebuild_request")
        .set({ schedule_count: raisedScheduleCount(request.schedule_count), state: "in progress" })
        .where("id", "=", request.id)
        .execute();
    }
    const what = edit.action === "move-top" ? "moved to the top of the queue" : "removed";
    await tx.audit(`${requestName(request.id)}: rebuild of ${target.name} ${what}`, target.base_id);
    return undefined;
  });
}

/** A cancel or reschedule: refused like a queue edit, or done from a state to another. */
export type StateChange =
  | { refused: "not found" | "forbidden" | typeof BUSY }
  | { refused: "state"; state: RebuildRequestState }
  | { from: RebuildRequestState; to: RebuildRequestState };

/**
 * A cancel or reschedule in a locking transaction: refused for an unknown request, a user who
 * may not edit it, or a state other than `from`; else `apply` moves it and names the new state.
 */
async function changeState(
  db: Db,
  user: User,
  id: number,
  mayEdit: (request: RebuildRequest) => boolean,
  from: readonly RebuildRequestState[],
  apply: (tx: AuditedChanges, request: RebuildRequest) => Promise<RebuildRequestState>,
): Promise<StateChange> {
  const change = await lockingTransaction(db, user, async (tx): Promise<StateChange> => {
    const request = await lockedRequest(tx, id);
    if (request === undefined) return { refused: "not found" };
    if (!mayEdit(request)) return { refused: "forbidden" };
    if (!from.includes(request.state)) return { refused: "state", state: request.state };
    return { from: request.state, to: await apply(tx, request) };
  });
  return change === BUSY ? { refused: BUSY } : change;
}

/**
 * Cancels a request: it fails with `Cancelled by <user>`, so neither the resolver nor the
 * scheduler takes it up again; rebuilds already running in Copr finish there.
 */
export function cancelRequest(
  db: Db,
  user: User,
  id: number,
  mayEdit: (request: RebuildRequest) => boolean,
): Promise<StateChange> {
  return changeState(db, user, id, mayEdit, CANCELLABLE_STATES, async (tx, request) => {
    await tx.db
      .updateTable("copr_rebuild_request")
      .set({ state: "failed", error: `Cancelled by ${user.name}` })
      .where("id", "=", id)
      .execute();
    await tx.audit(`${requestName(id)} cancelled (was ${request.state})`);
    return "failed";
  });
}

/**
 * Puts a request the services are done with back to work: to the scheduler when it has been
 * resolved, else to the resolver. Its error, if any, is cleared.
 */
export function rescheduleRequest(
  db: Db,
  user: User,
  id: number,
  mayEdit: (request: RebuildRequest) => boolean,
): Promise<StateChange> {
  return changeState(db, user, id, mayEdit, RESCHEDULABLE_STATES, async (tx, request) => {
    const hasRow = async (table: "copr_rebuild" | "copr_resolution_change") =>
      (await tx.db
        .selectFrom(table)
        .select("package_id")
        .where("request_id", "=", id)
        .limit(1)
        .executeTakeFirst()) !== undefined;
    const resolved = (await hasRow("copr_rebuild")) || (await hasRow("copr_resolution_change"));
    const state = rescheduledState(resolved);
    await tx.db
      .updateTable("copr_rebuild_request")
      .set({ state, error: null })
      .where("id", "=", id)
      .execute();
    await tx.audit(`${requestName(id)} rescheduled (${request.state} → ${state})`);
    return state;
  });
}
