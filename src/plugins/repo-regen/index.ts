// The repo_regen plugin (spec 11 §5): in secondary mode, scratch builds run on the primary hub
// against the secondary hub's buildroot; every polling pass keeps the primary's tags and
// target in place and makes it regenerate its repo from the secondary's latest one.
import type { KoscheiPlugin } from "../plugin.js";
import { mirrorSecondaryRepos } from "./mirror.js";

export const repoRegenPlugin: KoscheiPlugin = {
  name: "repo_regen",
  summary: "secondary mode: mirrors the secondary Koji's repos into the primary hub",
  backend: {
    listeners: { polling_event: (_payload, context) => mirrorSecondaryRepos(context) },
  },
};
