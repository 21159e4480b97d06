import { createRouter } from "../../shared/api/openapi.js";
import { areaRoutes } from "./areas.js";
import { pointsRoutes } from "./points.js";
import { quickReportRoutes } from "./reports.js";
import { stationRoutes } from "./stations.js";
import { workerRoutes } from "./workers.js";

/** 新就业群体: workers, warm stations, communities' areas, quick reports (随手拍) and the points ledger. */
export const newEmploymentRoutes = createRouter();
for (const routes of [areaRoutes, stationRoutes, workerRoutes, pointsRoutes, quickReportRoutes])
  newEmploymentRoutes.route("/", routes);
