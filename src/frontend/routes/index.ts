// Every route of the web interface; each module registers the routes of one part of it.
import type { FastifyInstance } from "fastify";
import type { FrontendDeps } from "../request-state.js";
import { registerApiRoutes } from "./api.js";
import { registerCollectionRoutes } from "./collections.js";
import { registerDocumentationRoutes } from "./documentation.js";
import { registerPackageDetailRoutes } from "./package-detail.js";
import { registerAddPackagesRoutes } from "./add-packages.js";
import { registerGroupRoutes } from "./groups.js";
import { registerUserPackagesRoutes } from "./user-packages.js";

export type RouteModule = (app: FastifyInstance, deps: FrontendDeps) => void;

export const routeModules: RouteModule[] = [
  registerApiRoutes,
  registerCollectionRoutes,
  registerDocumentationRoutes,
  registerPackageDetailRoutes,
  registerGroupRoutes,
  registerAddPackagesRoutes,
  registerUserPackagesRoutes,
];
