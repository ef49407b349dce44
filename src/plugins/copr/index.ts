// The copr plugin (spec 11 §2): user rebuilds. A user names a Copr project (a new version of
// a library, say); copr-resolver resolves the collection with and without it and queues the
// packages whose dependencies change, copr-scheduler rebuilds them in Copr projects of
// Koschei's own, and the request's page shows what changed, broke or got fixed.
import type { KoscheiPlugin } from "../plugin.js";
import { cleanupOldRequests } from "./cleanup.js";
import { userRebuildsSection } from "./frontend/documentation.js";
import { registerCoprRoutes, userRebuildsTab } from "./frontend/routes.js";
import { onCoprMessage, refreshRunningRebuilds } from "./rebuild-refresh.js";
import { coprResolverService } from "./resolver.js";
import { coprSchedulerService } from "./scheduler.js";

export const coprPlugin: KoscheiPlugin = {
  name: "copr",
  summary: "user rebuilds: what a Copr repository would change, break or fix in a collection",
  backend: {
    listeners: {
      polling_event: (_payload, context) => refreshRunningRebuilds(context),
      fedmsg_event: (message, context) => onCoprMessage(message, context),
      cleanup: (payload, context) =>
        cleanupOldRequests(payload.olderThanMonths, context, payload.userName),
    },
    messageTopics: (config) => [config.copr.fedmsg_topic],
    services: [coprResolverService, coprSchedulerService],
  },
  frontend: {
    routes: [registerCoprRoutes],
    userTabs: [userRebuildsTab],
    documentation: [userRebuildsSection],
  },
  migrations: [
    {
      id: "0008_copr_tables",
      tables: ["copr_rebuild_request", "copr_resolution_change", "copr_rebuild"],
    },
  ],
};
