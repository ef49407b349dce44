// Statistics (spec 08 §5.14).
import type { FastifyInstance } from "fastify";
import type { FrontendDeps } from "../request-state.js";

export function registerStatsRoutes(_app: FastifyInstance, _deps: FrontendDeps): void {}
