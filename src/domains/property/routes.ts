import { createRouter } from "../../shared/api/openapi.js";
import { committeeRoutes } from "./committees.js";
import { complaintRoutes } from "./complaints.js";
import { compoundRoutes } from "./compounds.js";
import { publicComplaintRoutes } from "./public.js";
import { propertyStatsRoutes } from "./stats.js";

/** 红色物业: compounds, owners' committees, complaints (staff and the reporter's link) and the scorecards. */
export const propertyRoutes = createRouter();
// Mounted one by one rather than chained: the chained route types exceed what the compiler represents.
for (const routes of [compoundRoutes, committeeRoutes, complaintRoutes, publicComplaintRoutes, propertyStatsRoutes])
  propertyRoutes.route("/", routes);
