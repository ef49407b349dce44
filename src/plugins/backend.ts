// Wires enabled plugins into a backend process: their listeners on the process's event bus,
// each with a context of its own, and their services beside the core ones.
import type { KoscheiConfig } from "../config/index.js";
import type { BackendEvents, EventBus, EventName } from "../backend/events.js";
import type { ServiceDefinition } from "../backend/registry.js";
import type { BackendSession } from "../backend/session.js";
import type { Database } from "../db/index.js";
import type { Logger } from "../log/logger.js";
import type { KoscheiPlugin, PluginContext } from "./plugin.js";

export interface PluginInstallation {
  readonly config: KoscheiConfig;
  readonly log: Logger;
  readonly events: EventBus;
  /** Opens (once) the database and Koji sessions kept under this name. */
  openSession(name: string): Promise<BackendSession>;
  /** Opens (once) the process's database. */
  openDatabase(): Promise<Database>;
}

/** Registers every listener of the plugins; returns a function that removes them all. */
export function installPluginListeners(
  plugins: readonly KoscheiPlugin[],
  installation: PluginInstallation,
): () => void {
  const removals: (() => void)[] = [];
  for (const plugin of plugins) {
    const context: PluginContext = {
      config: installation.config,
      log: installation.log.child({ plugin: plugin.name }),
      session: () => installation.openSession(`plugin:${plugin.name}`),
      database: () => installation.openDatabase(),
    };
    const listeners = plugin.backend?.listeners ?? {};
    for (const name of Object.keys(listeners) as EventName[]) {
      removals.push(listen(installation.events, name, listeners, context));
    }
  }
  return () => removals.forEach((remove) => remove());
}

function listen<N extends EventName>(
  events: EventBus,
  name: N,
  listeners: NonNullable<NonNullable<KoscheiPlugin["backend"]>["listeners"]>,
  context: PluginContext,
): () => void {
  const listener = listeners[name] as (
    payload: BackendEvents[N],
    context: PluginContext,
  ) => Promise<unknown>;
  return events.on(name, (payload) => listener(payload, context));
}

/** The services the plugins add, after the core ones. */
export function withPluginServices(
  core: readonly ServiceDefinition[],
  plugins: readonly KoscheiPlugin[],
): ServiceDefinition[] {
  return [...core, ...plugins.flatMap((plugin) => plugin.backend?.services ?? [])];
}
