import { createRouter } from "../../shared/api/openapi.js";
import { agreementRoutes } from "./agreements.js";
import { evaluationRoutes } from "./evaluations.js";
import { fiveLinkRoutes } from "./five-links.js";
import { memberReportRoutes } from "./member-reports.js";
import { orgReportRoutes } from "./org-reports.js";

/** 双报到: unit and member reports, co-building agreements, the five links and evaluations. */
export const reportRoutes = createRouter()
  .route("/", orgReportRoutes)
  .route("/", memberReportRoutes)
  .route("/", agreementRoutes)
  .route("/", fiveLinkRoutes)
  .route("/", evaluationRoutes);
