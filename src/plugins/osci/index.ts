import type { KoscheiPlugin } from "../plugin.js";

export const osciPlugin: KoscheiPlugin = { name: "osci", summary: "" };
