CREATE INDEX `needs_tenant_category_idx` ON `needs` (`tenant_id`,`category`,`id`);--> statement-breakpoint
CREATE INDEX `needs_tenant_deadline_idx` ON `needs` (`tenant_id`,`deadline`,`id`);--> statement-breakpoint
CREATE INDEX `post_claims_tenant_status_idx` ON `post_claims` (`tenant_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `projects_tenant_owner_idx` ON `projects` (`tenant_id`,`owner_org_id`,`id`);--> statement-breakpoint
CREATE INDEX `resources_tenant_offered_by_idx` ON `resources` (`tenant_id`,`offered_by`,`id`);--> statement-breakpoint
CREATE INDEX `resources_tenant_category_idx` ON `resources` (`tenant_id`,`category`,`id`);--> statement-breakpoint
CREATE INDEX `service_posts_tenant_status_idx` ON `service_posts` (`tenant_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `service_posts_tenant_category_idx` ON `service_posts` (`tenant_id`,`category`,`status`,`id`);