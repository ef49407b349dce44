// Pagination of lists (spec 08 §3.5): the `page` parameter, the row text
// `{what} from {first} to {last} from total {total}` and the list of page numbers with gaps.
// Pure; the routes turn a `null` page into a 404.

/** The 1-based page a `page` query value names, or null when it is not a positive integer. */
export function parsePage(value: string | undefined): number | null {
  if (value === undefined) return 1;
  const text = value.trim();
  if (!/^\+?\d+$/.test(text)) return null;
  const page = Number(text);
  return Number.isSafeInteger(page) && page >= 1 ? page : null;
}

export interface Pagination {
  page: number;
  perPage: number;
  total: number;
  /** Number of pages (0 for an empty list). */
  pages: number;
  /** 1-based position of the first item shown (1 also for an empty list). */
  first: number;
  /** Position of the last item shown (0 for an empty list). */
  last: number;
  offset: number;
  hasPrevious: boolean;
  hasNext: boolean;
}

/**
 * The pagination of `total` items at `page`; null when the page is past the end (a page > 1
 * without items), which the routes answer with 404.
 */
export function paginate(page: number, perPage: number, total: number): Pagination | null {
  if (!Number.isInteger(perPage) || perPage < 1) throw new Error(`bad page size ${perPage}`);
  const pages = Math.ceil(total / perPage);
  if (page > 1 && page > pages) return null;
  const offset = (page - 1) * perPage;
  return {
    page,
    perPage,
    total,
    pages,
    first: offset + 1,
    last: Math.min(page * perPage, total),
    offset,
    hasPrevious: page > 1,
    hasNext: page < pages,
  };
}

/** `Packages from 1 to 100 from total 1,234`-style text (numbers as given). */
export function paginationText(what: string, pagination: Pagination): string {
  return `${what} from ${pagination.first} to ${pagination.last} from total ${pagination.total}`;
}

/**
 * The page numbers to offer: the first 2, the 2 before the current one, the current one, the
 * 4 after it and the last 2; null stands for a gap (`…`). Empty when there are no pages.
 */
export function pageNumbers(page: number, pages: number): (number | null)[] {
  const LEFT_EDGE = 2;
  const LEFT_CURRENT = 2;
  const RIGHT_CURRENT = 4;
  const RIGHT_EDGE = 2;
  const numbers: (number | null)[] = [];
  let last = 0;
  for (let number = 1; number <= pages; number++) {
    const shown =
      number <= LEFT_EDGE ||
      (number >= page - LEFT_CURRENT && number <= page + RIGHT_CURRENT) ||
      number > pages - RIGHT_EDGE;
    if (!shown) continue;
    if (number !== last + 1) numbers.push(null);
    numbers.push(number);
    last = number;
  }
  return numbers;
}
