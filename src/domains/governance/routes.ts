import { createRouter } from "../../shared/api/openapi.js";
import { admissionRoutes } from "./admission.js";
import { calendarRoutes } from "./calendars.js";
import { mobilityRoutes } from "./mobility.js";
import { orgLifeRoutes } from "./org-life.js";
import { refusalRoutes } from "./refusals.js";
import { standardsRoutes } from "./standards.js";
import { streetBodyRoutes } from "./street-bodies.js";
import { workerRoutes } from "./workers.js";
import { dutyItemRoutes } from "./duty-items.js";
import { dutyListRoutes } from "./duty-lists.js";
import { publicDutyListRoutes } from "./public.js";

/** Street and community governance (DOMAIN.md §5–§6): duty lists and their public read,
 * community affairs admission with its working-day calendar, refusals and stats. */
export const governanceRoutes = createRouter()
  .route("/", dutyListRoutes)
  .route("/", dutyItemRoutes)
  .route("/", publicDutyListRoutes)
  .route("/", calendarRoutes)
  .route("/", admissionRoutes)
  .route("/", refusalRoutes)
  .route("/", mobilityRoutes)
  .route("/", standardsRoutes)
  .route("/", orgLifeRoutes)
  .route("/", workerRoutes)
  .route("/", streetBodyRoutes);
