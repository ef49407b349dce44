// The OpenAPI 3.1 description of the JSON API (spec 09), served at /api/v1/openapi.json. The
// tests validate real answers against these schemas, so they say exactly what is sent: every
// key, which may be null, and the timestamp format.

const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const jsonContent = (schema: object) => ({ "application/json": { schema } });

const errorResponse = (description: string) => ({
  description,
  content: jsonContent(schemaRef("Error")),
});

const repeatableQuery = (name: string, description: string) => ({
  name,
  in: "query",
  required: false,
  style: "form",
  explode: true,
  description,
  schema: { type: "array", items: { type: "string" } },
});

const collectionPath = (name: string, description: string) => ({
  name,
  in: "path",
  required: true,
  description,
  schema: { type: "string" },
});

const SCHEMAS = {
  PackageState: {
    description:
      "blocked, else untracked, else unresolved (dependencies not installable), else ok or " +
      "failing by the last complete build, else unknown.",
    enum: ["blocked", "untracked", "unresolved", "ok", "failing", "unknown"],
  },
  Timestamp: {
    description: "A UTC time without a zone; fractional seconds only when there are some.",
    type: "string",
    pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{0,5}[1-9])?$",
  },
  Build: {
    type: "object",
    required: ["task_id", "time_started", "time_finished", "epoch", "version", "release"],
    additionalProperties: false,
    properties: {
      task_id: { type: "integer", description: "The Koji task id of the build." },
      time_started: schemaRef("Timestamp"),
      time_finished: { anyOf: [schemaRef("Timestamp"), { type: "null" }] },
      epoch: { type: ["integer", "null"] },
      version: { type: "string" },
      release: { type: "string" },
    },
  },
  Package: {
    type: "object",
    required: ["name", "collection", "state", "last_complete_build"],
    additionalProperties: false,
    properties: {
      name: { type: "string" },
      collection: { type: "string", description: "The collection's name." },
      state: schemaRef("PackageState"),
      last_complete_build: { anyOf: [schemaRef("Build"), { type: "null" }] },
    },
  },
  StateDifference: {
    type: "object",
    required: ["name", "state"],
    additionalProperties: false,
    properties: {
      name: { type: "string" },
      state: {
        description:
          "The package's state in each collection, keyed by the collection names in path order.",
        type: "object",
        minProperties: 2,
        maxProperties: 2,
        additionalProperties: schemaRef("PackageState"),
      },
    },
  },
  Error: {
    type: "object",
    required: ["status", "message"],
    additionalProperties: false,
    properties: { status: { type: "integer" }, message: { type: "string" } },
  },
};

export function openApiDocument(prefix: string) {
  return {
    openapi: "3.1.0",
    info: {
      title: "Koschei API",
      version: "1.0.0",
      description:
        "Read-only and anonymous. Every endpoint also takes the site-wide `collection` " +
        "parameter: its first value, split on commas, must name existing collections, else 404. " +
        "Answers without a `name` filter are shared between clients: computed up to 5 s ago, or " +
        "up to 30 s ago while a newer one is computed; send `Cache-Control: no-cache` for a " +
        "fresh one.",
    },
    paths: {
      [`${prefix}/packages`]: {
        get: {
          operationId: "listPackages",
          summary: "Every package of every collection with its state",
          description:
            "One element per package and collection, by package name. Both filters match " +
            "exactly (no wildcards, no comma splitting) and combine with AND.",
          parameters: [
            repeatableQuery("name", "Keep only packages with one of these names."),
            repeatableQuery(
              "collection",
              "Keep only packages of collections with one of these names.",
            ),
          ],
          responses: {
            200: {
              description: "The packages; [] when none match.",
              content: jsonContent({ type: "array", items: schemaRef("Package") }),
            },
            404: errorResponse("The first `collection` value names an unknown collection."),
            503: errorResponse("No collection is set up yet."),
          },
        },
      },
      [`${prefix}/collections/diff/{first}/{second}`]: {
        get: {
          operationId: "diffCollections",
          summary: "Packages whose states differ between two collections",
          description:
            "Packages present in both collections with different states, by name; [] when " +
            "nothing differs.",
          parameters: [
            collectionPath("first", "A collection name."),
            collectionPath("second", "Another collection name."),
          ],
          responses: {
            200: {
              description: "The packages whose states differ.",
              content: jsonContent({ type: "array", items: schemaRef("StateDifference") }),
            },
            404: errorResponse("A collection does not exist."),
            503: errorResponse("No collection is set up yet."),
          },
        },
      },
    },
    components: { schemas: SCHEMAS },
  };
}
