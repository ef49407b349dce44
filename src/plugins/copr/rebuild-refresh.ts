// STUB — replaced by the copr backend work.
import type { BackendEvents } from "../../backend/events.js";
import type { PluginContext } from "../plugin.js";

export async function refreshRunningRebuilds(context: PluginContext): Promise<void> {
  context.log.debug("copr refresh not implemented yet");
}

export async function onCoprMessage(
  message: BackendEvents["fedmsg_event"],
  context: PluginContext,
): Promise<void> {
  context.log.debug({ topic: message.topic }, "copr messages not implemented yet");
}
