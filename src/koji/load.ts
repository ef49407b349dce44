// Koji load (02-scheduling.md §5): how busy the builders of the needed arches are, 0 … 1.

import type { KojiApi } from "./api.js";
import { canonArch, splitWords } from "@koschei/koji-protocol/arches.js";
import type { KojiHost } from "@koschei/koji-protocol/koji-types.js";

/** The arches whose hosts are asked for; a noarch package can go to any tag arch. */
export function loadArches(
  arches: Iterable<string>,
  tagArches: string[],
): { arches: string[]; noarch: boolean } {
  const list = [...arches];
  if (list.length === 0) throw new Error("Koji load needs at least one arch");
  return list.includes("noarch")
    ? { arches: tagArches, noarch: true }
    : { arches: list, noarch: false };
}

/**
 * Per canonical arch, the used share of its hosts' capacity (a host that is not ready counts as
 * fully used; no capacity counts as full). A noarch build can take the least loaded arch;
 * otherwise the most loaded arch holds the build up.
 */
export function kojiLoad(hosts: KojiHost[], arches: string[], noarch: boolean): number {
  const loads = [...new Set(arches.map(canonArch))].map((arch) => {
    let capacity = 0;
    let load = 0;
    for (const host of hosts) {
      if (!splitWords(host.arches).includes(arch)) continue;
      capacity += host.capacity;
      load += host.ready ? Math.min(host.task_load, host.capacity) : host.capacity;
    }
    return capacity === 0 ? 1 : load / capacity;
  });
  return noarch ? Math.min(...loads) : Math.max(...loads);
}

/** Asks the hub for the enabled hosts of the default channel and computes the load. */
export async function fetchKojiLoad(
  api: KojiApi,
  tagArches: string[],
  buildArches: Iterable<string>,
): Promise<number> {
  const { arches, noarch } = loadArches(buildArches, tagArches);
  const channel = await api.getChannel("default");
  if (!channel) throw new Error("Koji has no 'default' channel");
  const hosts = await api.listHosts({ arches, channelID: channel.id, enabled: true });
  return kojiLoad(hosts, arches, noarch);
}
