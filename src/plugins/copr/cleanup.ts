// STUB — replaced by the copr backend work.
import type { PluginContext } from "../plugin.js";

export async function cleanupOldRequests(olderThanMonths: number, context: PluginContext): Promise<void> {
  context.log.warn({ olderThanMonths }, "copr cleanup not implemented yet");
}
