// Koschei's state messages (contracts/fedora-messaging.md §7, spec 05 §4.1), written to the
// outbox table inside the transaction of the state change, so that a message exists exactly
// when its change committed; the publisher sends it afterwards.
import {
  KOSCHEI_SCHEMA_PACKAGE,
  KoscheiTopic,
  Severity,
  type CollectionStateChangeBody,
  type FedoraMessage,
  type PackageStateChangeBody,
} from "@koschei/koji-protocol/messages.js";
import type { Transaction } from "kysely";
import type { BackendEvents, EventBus } from "../backend/events.js";
import type { KoscheiConfig } from "../config/index.js";
import type { Schema } from "../db/index.js";

/** The parts of a message besides topic and body, stored in outbox.headers. */
export type OutboxHeaders = Omit<FedoraMessage, "topic" | "body">;

/**
 * With `fedmsg-publisher.enabled`, makes every transaction of the bus that announces a
 * package or collection state change write its message to the outbox.
 */
export function installOutbox(bus: EventBus, config: KoscheiConfig): void {
  if (!config["fedmsg-publisher"].enabled) return;
  bus.inTransaction("package_state_change", async (trx, change) =>
    insertMessage(trx, await packageStateMessage(trx, config, change)),
  );
  bus.inTransaction("collection_state_change", async (trx, change) => {
    const message = await collectionStateMessage(trx, config, change);
    if (message) await insertMessage(trx, message);
  });
}

/** Queues a message for the relay; it is published only if the transaction commits. */
export async function insertMessage(
  trx: Transaction<Schema>,
  message: FedoraMessage,
): Promise<void> {
  const { topic, body, ...headers } = message;
  await trx.insertInto("outbox").values({ topic, body, headers }).execute();
}

/** `koschei.package.state.change` with `fedmsg-publisher.modname` in place of "koschei". */
function topic(config: KoscheiConfig, koscheiTopic: string): string {
  return config["fedmsg-publisher"].modname + koscheiTopic.slice("koschei".length);
}

async function packageStateMessage(
  trx: Transaction<Schema>,
  config: KoscheiConfig,
  change: BackendEvents["package_state_change"],
): Promise<FedoraMessage> {
  const collection = await trx
    .selectFrom("collection")
    .select(["name", "display_name"])
    .where("id", "=", change.package.collection_id)
    .executeTakeFirstOrThrow();
  const groups = await trx
    .selectFrom("package")
    .innerJoin("package_group_relation", "package_group_relation.base_id", "package.base_id")
    .innerJoin("package_group", "package_group.id", "package_group_relation.group_id")
    .select(["package_group.namespace", "package_group.name"])
    .where("package.id", "=", change.package.id)
    .orderBy("package_group.name")
    .orderBy("package_group.namespace")
    .execute();
  const groupNames = groups.map(({ namespace, name }) =>
    namespace ? `${namespace}/${name}` : name,
  );
  const body: PackageStateChangeBody = {
    name: change.package.name,
    old: change.prevState,
    new: change.newState,
    koji_instance: config.fedmsg.instance,
    repo: collection.name,
    collection: collection.name,
    collection_name: collection.display_name,
    groups: groupNames,
  };
  return {
    topic: topic(config, KoscheiTopic.packageStateChange),
    body,
    schema: KoscheiTopic.packageStateChange,
    schemaPackage: KOSCHEI_SCHEMA_PACKAGE,
    severity: Severity.INFO,
    packages: [change.package.name],
    groups: groupNames,
  };
}

/**
 * The repo resolver announces every new repo; only a change of state is a message, and
 * `unknown` is no state the schema lets a collection change to.
 */
async function collectionStateMessage(
  trx: Transaction<Schema>,
  config: KoscheiConfig,
  change: BackendEvents["collection_state_change"],
): Promise<FedoraMessage | null> {
  if (change.prevState === change.newState || change.newState === "unknown") return null;
  const collection = await trx
    .selectFrom("collection")
    .select(["name", "display_name"])
    .where("id", "=", change.collection.id)
    .executeTakeFirstOrThrow();
  const body: CollectionStateChangeBody = {
    old: change.prevState,
    new: change.newState,
    koji_instance: config.fedmsg.instance,
    collection: collection.name,
    collection_name: collection.display_name,
    // A string, as the schema says (contract §7.2: the original sent an integer).
    repo_id: String(change.repoId),
  };
  return {
    topic: topic(config, KoscheiTopic.collectionStateChange),
    body,
    schema: KoscheiTopic.collectionStateChange,
    schemaPackage: KOSCHEI_SCHEMA_PACKAGE,
    severity: Severity.INFO,
  };
}
