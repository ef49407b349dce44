import type { KoscheiPlugin } from "../plugin.js";

export const coprPlugin: KoscheiPlugin = { name: "copr", summary: "" };
