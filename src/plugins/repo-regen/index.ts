import type { KoscheiPlugin } from "../plugin.js";

export const repoRegenPlugin: KoscheiPlugin = { name: "repo-regen", summary: "" };
