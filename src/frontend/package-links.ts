// Links of the package page built from configured templates (spec 08 §5.5, §5.13): the
// external links of config `links` ({package.name}, {package.collection.bugzilla_product})
// and the pre-filled Bugzilla form of config `bugreport`. Pure.
import type { BugreportConfig, LinkConfig } from "../config/index.js";

const PLACEHOLDER = /\{([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\}/g;

type Attributes = { readonly [key: string]: unknown };

/** The value at a dotted attribute path, or undefined when any step is missing or null. */
function attributeAt(root: Attributes, path: string): unknown {
  let value: unknown = root;
  for (const key of path.split(".")) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Attributes)[key];
  }
  return value ?? undefined;
}

export interface ExternalLink {
  name: string;
  url: string;
}

/**
 * The configured links for a package, placeholders replaced by URL-encoded values. A link
 * naming anything but the package's attributes, or an attribute that is unset, is left out.
 */
export function externalLinks(links: readonly LinkConfig[], pkg: Attributes): ExternalLink[] {
  return links.flatMap((link) => {
    let complete = true;
    const url = link.url.replace(PLACEHOLDER, (_whole, path: string) => {
      const value = path.startsWith("package.") ? attributeAt({ package: pkg }, path) : undefined;
      if (value === undefined || typeof value === "object") complete = false;
      return encodeURIComponent(String(value));
    });
    return complete ? [{ name: link.name, url }] : [];
  });
}

/** What a bug report template may name: the build, the package, the collection, the page. */
export interface BugReportValues {
  name: string;
  version: string;
  release: string;
  arch: string;
  /** The package page's absolute URL. */
  url: string;
  package: Attributes;
  /** `{collection}` alone is its display name. */
  collection: Attributes & { display_name: string };
}

function bugReportText(values: BugReportValues, template: string): string {
  return template.replace(PLACEHOLDER, (_whole, path: string) => {
    if (path === "collection") return values.collection.display_name;
    const value = attributeAt(values as unknown as Attributes, path);
    return value === undefined || typeof value === "object" ? "" : String(value);
  });
}

/** Removes the indentation all non-blank lines share, then surrounding blank space. */
export function dedent(text: string): string {
  const lines = text.split("\n");
  const indents = lines
    .filter((line) => line.trim() !== "")
    .map((line) => /^[ \t]*/.exec(line)![0].length);
  const common = indents.length === 0 ? 0 : Math.min(...indents);
  return lines
    .map((line) => line.slice(common))
    .join("\n")
    .trim();
}

/** The Bugzilla URL with every template field filled in, form-encoded in template order. */
export function bugReportUrl(config: BugreportConfig, values: BugReportValues): string {
  const query = new URLSearchParams();
  for (const [field, template] of Object.entries(config.template)) {
    const text = bugReportText(values, template);
    query.append(field, field === "comment" ? dedent(text) : text);
  }
  return config.url.replace("{query}", query.toString());
}
