import { createRouter } from "../../shared/http/openapi.js";
import { dutyItemRoutes } from "./duty-items.js";
import { dutyListRoutes } from "./duty-lists.js";
import { publicDutyListRoutes } from "./public.js";

/** Street and community governance (DOMAIN.md §5–§6): duty lists and their public read. */
export const governanceRoutes = createRouter()
  .route("/", dutyListRoutes)
  .route("/", dutyItemRoutes)
  .route("/", publicDutyListRoutes);
