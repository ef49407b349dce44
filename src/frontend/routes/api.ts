// The JSON API (spec 09): `/api/v1/packages`, `/api/v1/collections/diff/<a>/<b>` and their
// OpenAPI document. The routes live in their own plugin scope so that every error under
// /api/v1 — including the global `collection` check of request-state.ts, which runs before
// them — answers JSON with a message instead of an HTML page, and never a stack trace.
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Kysely } from "kysely";
import {
  collectionDiffJson,
  packageListJson,
  SharedAnswers,
  unchangedSince,
  type DataVersion,
  type VersionedJson,
} from "../api-query.js";
import type { Schema } from "../../db/index.js";
import { HttpError, notFound } from "../errors.js";
import { openApiDocument } from "../openapi.js";
import type { FrontendDeps } from "../request-state.js";

export const API_PREFIX = "/api/v1";
/**
 * How long an answer without a name filter is reused (5 s), and served while it is refreshed
 * (25 s more); spec 09 has no freshness rule. A refresh finding the data unchanged keeps it.
 */
const SHARED_ANSWER_LIMITS = { maxAgeMs: 5000, staleMs: 25_000, maxKeys: 16 };

/**
 * A shared answer as it is and gzipped, with the version of the data it was computed from. Level
 * 6 makes 14 MB of packages 1.7 MB in ~160 ms (level 1: 2.0 MB in ~60 ms): computed once per
 * change in the thread pool, the 16% less is saved on every client's download.
 */
interface EncodedAnswer {
  json: Buffer;
  gzip: Buffer;
  version: DataVersion;
}

const gzipAsync = promisify(gzip);

/**
 * The previous answer when the data has not changed since (a query of a millisecond), else
 * the query's new one, encoded.
 */
async function refreshed(
  db: Kysely<Schema>,
  previous: EncodedAnswer | undefined,
  query: () => Promise<VersionedJson>,
): Promise<EncodedAnswer> {
  if (previous !== undefined && (await unchangedSince(db, previous.version))) return previous;
  const { json, version } = await query();
  const buffer = Buffer.from(json);
  return { json: buffer, gzip: await gzipAsync(buffer, { level: 6 }), version };
}

export function registerApiRoutes(app: FastifyInstance, deps: FrontendDeps): void {
  void app.register(
    async (api) => {
      api.setErrorHandler(sendJsonError);
      api.setNotFoundHandler((request, reply) =>
        sendError(reply, 404, `No API endpoint at ${request.url}.`),
      );

      const db = deps.database.db;
      const answers = new SharedAnswers<EncodedAnswer>(SHARED_ANSWER_LIMITS);

      api.get("/packages", async (request, reply) => {
        const names = queryValues(request, "name");
        const collections = queryValues(request, "collection");
        // A name filter makes a small answer from the name index: never shared. Without one,
        // names that are no collection match nothing, so the key is the existing ones.
        if (names !== undefined) {
          return sendJson(reply, (await packageListJson(db, { names, collections })).json);
        }
        const existing = collections && existingCollectionNames(request, collections);
        const answer = answers.get(
          `packages ${JSON.stringify(existing)}`,
          freshness(request),
          (previous) =>
            refreshed(db, previous, () => packageListJson(db, { collections: existing })),
        );
        return sendShared(request, reply, await answer);
      });

      api.get<{ Params: { first: string; second: string } }>(
        "/collections/diff/:first/:second",
        async (request, reply) => {
          const byName = new Map(request.koschei.allCollections.map((c) => [c.name, c]));
          const [first, second] = [request.params.first, request.params.second].map((name) => {
            const collection = byName.get(name);
            if (collection === undefined) throw notFound(`Collection not found: ${name}`);
            return collection;
          });
          const answer = answers.get(
            `diff ${first!.id} ${second!.id}`,
            freshness(request),
            (previous) => refreshed(db, previous, () => collectionDiffJson(db, first!, second!)),
          );
          return sendShared(request, reply, await answer);
        },
      );

      const openApiJson = JSON.stringify(openApiDocument(API_PREFIX));
      api.get("/openapi.json", (_request, reply) => sendJson(reply, openApiJson));
    },
    { prefix: API_PREFIX },
  );
}

/** The given names that are collections, each once, sorted. */
function existingCollectionNames(request: FastifyRequest, names: string[]): string[] {
  const existing = new Set(request.koschei.allCollections.map((collection) => collection.name));
  return [...new Set(names)].filter((name) => existing.has(name)).sort();
}

/** `Cache-Control: no-cache` asks for an answer computed after the request arrived. */
function freshness(request: FastifyRequest): { fresh: boolean } {
  return { fresh: /\bno-cache\b/i.test(request.headers["cache-control"] ?? "") };
}

/** Every value of a repeatable query parameter, in order; undefined when it is absent. */
function queryValues(request: FastifyRequest, key: string): string[] | undefined {
  const query = request.query as Record<string, string | string[]>;
  if (!Object.hasOwn(query, key)) return undefined;
  const value = query[key]!;
  return Array.isArray(value) ? value : [value];
}

/**
 * The spec wants `application/json` without a charset parameter (JSON is UTF-8 anyway); Fastify
 * adds one to a string body, not to a Buffer.
 */
function sendJson(reply: FastifyReply, json: string | Buffer): FastifyReply {
  return reply.type("application/json").send(typeof json === "string" ? Buffer.from(json) : json);
}

function sendShared(request: FastifyRequest, reply: FastifyReply, answer: EncodedAnswer) {
  reply.header("vary", "accept-encoding");
  if (!acceptsGzip(request)) return sendJson(reply, answer.json);
  return sendJson(reply.header("content-encoding", "gzip"), answer.gzip);
}

/** Whether Accept-Encoding lists gzip without `q=0`. */
function acceptsGzip(request: FastifyRequest): boolean {
  return (request.headers["accept-encoding"] ?? "").split(",").some((item) => {
    const [coding, ...parameters] = item.split(";").map((part) => part.trim().toLowerCase());
    return coding === "gzip" && !parameters.some((parameter) => /^q=0(\.0*)?$/.test(parameter));
  });
}

function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return sendJson(reply.code(status), JSON.stringify({ status, message }));
}

function sendJsonError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof HttpError) return sendError(reply, error.statusCode, error.message);
  const status = error.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return sendError(reply, status, error.message);
  }
  request.log.error({ err: error, url: request.url }, "API request failed");
  return sendError(reply, 500, "Koschei failed to answer this request; the error is in its log.");
}
