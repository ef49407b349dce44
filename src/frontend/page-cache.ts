// Pages rendered for visitors who are not logged in, served again for a few seconds
// (`frontend.anonymous_page_cache`). Package lists and package pages are what most people
// look at, anonymously, and many of them ask for the same few URLs; a rendering costs the
// database and the renderer tens of milliseconds, a cached one nothing. What such a visitor
// sees is at most that many seconds old; logged-in users (who edit) always get a fresh page.

/** The routes whose anonymous pages are cached: the package lists and a package's page. */
export const CACHED_ROUTES: ReadonlySet<string> = new Set([
  "/",
  "/packages",
  "/collection/:name",
  "/package/:name",
]);

/** Keeps memory bounded however many distinct URLs are asked for. */
const MAX_ENTRIES = 500;
/** A page larger than this is not kept (a list of thousands of rows per page, say). */
const MAX_PAGE_CHARACTERS = 2_000_000;

interface CachedPage {
  html: string;
  renderedAt: number;
}

export class PageCache {
  readonly #pages = new Map<string, CachedPage>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get enabled(): boolean {
    return this.maxAgeMs > 0;
  }

  /** The page rendered for `url` less than the maximum age ago, if any. */
  get(url: string): string | undefined {
    const page = this.#pages.get(url);
    if (!page) return undefined;
    if (this.now() - page.renderedAt < this.maxAgeMs) return page.html;
    this.#pages.delete(url);
    return undefined;
  }

  set(url: string, html: string): void {
    if (!this.enabled || html.length > MAX_PAGE_CHARACTERS) return;
    // Re-inserted last, so the oldest renderings are the first to go.
    this.#pages.delete(url);
    this.#pages.set(url, { html, renderedAt: this.now() });
    for (const oldest of this.#pages.keys()) {
      if (this.#pages.size <= MAX_ENTRIES) break;
      this.#pages.delete(oldest);
    }
  }
}
