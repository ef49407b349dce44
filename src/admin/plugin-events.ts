// Backend events raised by admin commands (spec 07: `cleanup` loads the backend plugins and
// dispatches its event), delivered to the enabled plugins' listeners in this process.
import type { BackendEvents, EventName } from "../backend/events.js";
import { EventBus } from "../backend/events.js";
import type { BackendSession } from "../backend/session.js";
import { createLogger } from "../log/logger.js";
import { installPluginListeners } from "../plugins/backend.js";
import { loadPlugins } from "../plugins/registry.js";
import type { AdminEnvironment } from "./admin-command.js";

/**
 * Dispatches the event to the listeners of the enabled plugins. A listener that fails is
 * reported on standard error and makes the command fail, after the others ran.
 */
export async function dispatchToPlugins<N extends EventName>(
  env: AdminEnvironment,
  name: N,
  payload: BackendEvents[N],
): Promise<void> {
  const plugins = await loadPlugins(env.config);
  if (plugins.length === 0) return;
  const log = createLogger({ level: "warn" });
  const events = new EventBus(log);
  let failed = false;
  const session = async (): Promise<BackendSession> => ({
    config: env.config,
    database: env.database,
    koji: await env.koji(),
    events,
    log,
    now: () => new Date(),
  });
  installPluginListeners(plugins, {
    config: env.config,
    log,
    events,
    openSession: session,
    openDatabase: async () => env.database,
  });
  await events.dispatch(name, payload, () => (failed = true));
  if (failed) throw new Error(`a plugin's ${name} failed (see the log above)`);
}
