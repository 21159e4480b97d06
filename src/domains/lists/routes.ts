import { createRouter } from "../../shared/api/openapi.js";
import { needRoutes } from "./needs.js";
import { postClaimRoutes } from "./post-claims.js";
import { postRoutes } from "./posts.js";
import { projectRoutes } from "./projects.js";
import { resourceRoutes } from "./resources.js";

/** 三张清单 (needs, resources, projects) and service posts with their claims. */
export const listRoutes = createRouter()
  .route("/", needRoutes)
  .route("/", resourceRoutes)
  .route("/", projectRoutes)
  .route("/", postRoutes)
  .route("/", postClaimRoutes);
