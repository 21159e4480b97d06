import { createRouter } from "../../shared/api/openapi.js";
import { divisionImportRoutes } from "./import-route.js";
import { divisionReadRoutes } from "./read.js";
import { divisionWriteRoutes } from "./write.js";

/** County → street/town → community → grid: reads for everyone in reach, edits for county (and street) admins. */
export const divisionRoutes = createRouter()
  .route("/", divisionReadRoutes)
  .route("/", divisionImportRoutes)
  .route("/", divisionWriteRoutes);
