import { createRouter } from "../../shared/http/openapi.js";

export const listRoutes = createRouter();
