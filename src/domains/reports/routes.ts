import { createRouter } from "../../shared/http/openapi.js";

export const reportRoutes = createRouter();
