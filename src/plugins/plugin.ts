// What a plugin is (spec 11 §1): optional behaviour enabled by the `plugins` configuration
// key. A plugin declares everything it adds — the backend events it listens to, backend
// services, web routes and user tabs, user-package sources, documentation, admin commands and
// the migrations of its tables — so that the processes can wire it in and a disabled plugin adds
// nothing.
import type { VNode } from "preact";
import type { CommandEntry } from "../cli/command.js";
import type { KoscheiConfig } from "../config/index.js";
import type { BackendEvents, EventName } from "../backend/events.js";
import type { ServiceDefinition } from "../backend/registry.js";
import type { Database } from "../db/index.js";
import type { BackendSession } from "../backend/session.js";
import type { UserPackageSource } from "../frontend/routes/user-packages.js";
import type { RouteModule } from "../frontend/routes/index.js";
import type { Logger } from "../log/logger.js";

/** What a plugin's backend listener runs with. */
export interface PluginContext {
  readonly config: KoscheiConfig;
  /** Named after the plugin. */
  readonly log: Logger;
  /** The plugin's own database and Koji sessions, opened on first use (logging in to Koji). */
  session(): Promise<BackendSession>;
  /** The process's database alone, for listeners that need no Koji. */
  database(): Promise<Database>;
}

/**
 * Listeners by event name. They run after the change the event describes is committed; one
 * that throws is logged and the service that dispatched the event goes on.
 */
export type PluginListeners = {
  readonly [N in EventName]?: (
    payload: BackendEvents[N],
    context: PluginContext,
  ) => Promise<unknown>;
};

/** A section of the user documentation page about what a plugin adds. */
export interface DocumentationSection {
  /** The section's anchor. */
  readonly id: string;
  readonly title: string;
  /** What this installation's configuration makes of it (limits, URLs). */
  readonly Content: (props: { config: KoscheiConfig }) => VNode;
}

/** A link in the logged-in user's menu of the web pages. */
export interface UserTab {
  readonly label: string;
  href(userName: string): string;
}

export interface KoscheiPlugin {
  readonly name: string;
  /** One line for the README and `koschei-admin --help`. */
  readonly summary: string;
  /** Loaded by every backend service process and by `koschei-admin cleanup`. */
  readonly backend?: {
    readonly listeners?: PluginListeners;
    /**
     * Topics of the fedora-messaging messages its `fedmsg_event` listener acts on; the watcher
     * binds them when the configuration names no bindings.
     */
    messageTopics?(config: KoscheiConfig): string[];
    /** Services `koschei backend NAME` runs when the plugin is enabled. */
    readonly services?: readonly ServiceDefinition[];
  };
  /** Loaded by the web frontend. */
  readonly frontend?: {
    readonly routes?: readonly RouteModule[];
    readonly userTabs?: readonly UserTab[];
    /** Accounts of the packages a user maintains, for the user's package page. */
    readonly userPackageSources?: readonly UserPackageSource[];
    /** Sections of the documentation page, after the core ones. */
    readonly documentation?: readonly DocumentationSection[];
  };
  /** Commands `koschei-admin` offers when the plugin is enabled. */
  readonly adminCommands?: readonly CommandEntry[];
  /**
   * Its migrations (ids of src/db/migrations) and the tables they create. `koschei-admin
   * migrate` applies them whether or not the plugin is enabled, so enabling it later needs no
   * schema change.
   */
  readonly migrations?: readonly { readonly id: string; readonly tables: readonly string[] }[];
}
