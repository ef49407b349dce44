// What every page request knows (spec 08 §1.1): all collections and the ones the `collection`
// parameter selects, the signed session, the logged-in user. Routes read it from
// `request.koschei`, set by the hook in server.ts.
import type { FastifyRequest } from "fastify";
import type { Selectable } from "kysely";
import type { CollectionTable, Database, UserTable } from "../db/index.js";
import type { KoscheiConfig } from "../config/index.js";
import { HttpError, notFound } from "./errors.js";
import type { DocumentationSection, UserTab } from "../plugins/plugin.js";
import type { UserPackageSource } from "./routes/user-packages.js";
import type { Session } from "./session.js";

export type Collection = Selectable<CollectionTable>;
export type User = Selectable<UserTable>;

export interface RequestState {
  session: Session;
  user: User | undefined;
  /** Every collection, by `order` then name, both descending; the first is the default. */
  allCollections: Collection[];
  /** The collections named by `?collection=a,b` in that order, or all of them. */
  currentCollections: Collection[];
}

/** What the routes are built with. */
export interface FrontendDeps {
  database: Database;
  config: KoscheiConfig;
  /** What the enabled plugins add to the pages. */
  extensions: FrontendExtensions;
}

export interface FrontendExtensions {
  /** Links in the user menu after the core ones. */
  userTabs: readonly UserTab[];
  /** Accounts of a user's packages besides the groups the user maintains. */
  userPackageSources: readonly UserPackageSource[];
  /** Sections of the documentation page. */
  documentation: readonly DocumentationSection[];
}

declare module "fastify" {
  interface FastifyRequest {
    koschei: RequestState;
  }
}

/** The first value of a query parameter given once or several times. */
export function firstQueryValue(request: FastifyRequest, key: string): string | undefined {
  const query = request.query as Record<string, unknown> | undefined;
  if (query === undefined || !Object.hasOwn(query, key)) return undefined;
  const value = query[key];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === "string" ? first : undefined;
}

export async function loadRequestState(
  request: FastifyRequest,
  deps: FrontendDeps,
  session: Session,
): Promise<RequestState> {
  const db = deps.database.db;
  const allCollections = await db
    .selectFrom("collection")
    .selectAll()
    .orderBy("order", "desc")
    .orderBy("name", "desc")
    .execute();
  if (allCollections.length === 0) {
    throw new HttpError(503, "No collections set up yet (koschei-admin create-collection).");
  }
  const currentCollections = selectedCollections(
    allCollections,
    firstQueryValue(request, "collection"),
  );
  const userName = session.get("user");
  const user =
    userName === undefined
      ? undefined
      : await db.selectFrom("user").selectAll().where("name", "=", userName).executeTakeFirst();
  return { session, user, allCollections, currentCollections };
}

function selectedCollections(all: Collection[], parameter: string | undefined): Collection[] {
  if (parameter === undefined || parameter === "") return all;
  const byName = new Map(all.map((collection) => [collection.name, collection]));
  return parameter.split(",").map((name) => {
    const collection = byName.get(name);
    if (collection === undefined) throw notFound("Collection not found");
    return collection;
  });
}
