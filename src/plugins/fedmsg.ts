// `fedmsg` in `plugins` turned on the original's watcher and publisher. Here both are core:
// the watcher is the `watcher` service and the publisher follows `fedmsg-publisher.enabled`,
// so the name is accepted and adds nothing, and configurations written for the original load.
import type { KoscheiPlugin } from "./plugin.js";

export const fedmsgPlugin: KoscheiPlugin = {
  name: "fedmsg",
  summary: "the watcher and the publisher (core services here)",
};
