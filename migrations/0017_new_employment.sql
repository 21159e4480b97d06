CREATE TABLE `community_areas` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`community_id` text NOT NULL,
	`division_path` text NOT NULL,
	`centre_lat` real NOT NULL,
	`centre_long` real NOT NULL,
	`boundary` text,
	`min_lat` real,
	`max_lat` real,
	`min_long` real,
	`max_long` real,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `community_areas_tenant_community_uq` ON `community_areas` (`tenant_id`,`community_id`);--> statement-breakpoint
CREATE INDEX `community_areas_tenant_id_idx` ON `community_areas` (`tenant_id`,`id`);--> statement-breakpoint
CREATE TABLE `gig_workers` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`phone_cipher` text NOT NULL,
	`phone_hash` text NOT NULL,
	`phone_masked` text NOT NULL,
	`id_card_cipher` text,
	`id_card_hash` text,
	`id_card_masked` text,
	`trade` text NOT NULL,
	`platform_unit_id` text NOT NULL,
	`vehicle_type` text NOT NULL,
	`base_division_id` text NOT NULL,
	`division_path` text NOT NULL,
	`station_id` text,
	`volunteer_id` text,
	`active` integer DEFAULT true NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `gig_workers_tenant_id_idx` ON `gig_workers` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `gig_workers_tenant_path_idx` ON `gig_workers` (`tenant_id`,`division_path`);--> statement-breakpoint
CREATE INDEX `gig_workers_tenant_platform_idx` ON `gig_workers` (`tenant_id`,`platform_unit_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `gig_workers_tenant_phone_uq` ON `gig_workers` (`tenant_id`,`phone_hash`);--> statement-breakpoint
CREATE TABLE `quick_report_photos` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`report_id` text NOT NULL,
	`storage_key` text NOT NULL,
	`content_type` text NOT NULL,
	`bytes` integer NOT NULL,
	`sha256` text NOT NULL,
	`author` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `quick_report_photos_tenant_report_idx` ON `quick_report_photos` (`tenant_id`,`report_id`,`id`);--> statement-breakpoint
CREATE TABLE `quick_report_points` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`worker_id` text NOT NULL,
	`platform_unit_id` text NOT NULL,
	`division_path` text NOT NULL,
	`report_id` text,
	`points` integer NOT NULL,
	`reason` text NOT NULL,
	`note` text,
	`created_by` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `quick_report_points_tenant_worker_idx` ON `quick_report_points` (`tenant_id`,`worker_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `quick_report_points_report_uq` ON `quick_report_points` (`tenant_id`,`report_id`);--> statement-breakpoint
CREATE TABLE `quick_reports` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`worker_id` text NOT NULL,
	`platform_unit_id` text NOT NULL,
	`category` text NOT NULL,
	`description` text NOT NULL,
	`lat` real NOT NULL,
	`long` real NOT NULL,
	`datum` text NOT NULL,
	`address` text,
	`community_id` text NOT NULL,
	`division_path` text NOT NULL,
	`routed_by` text NOT NULL,
	`distance_metres` integer NOT NULL,
	`status` text NOT NULL,
	`due_at` text NOT NULL,
	`handler` text,
	`resolution` text,
	`resolved_at` text,
	`on_time` integer,
	`rejection_reason` text,
	`points` integer DEFAULT 0 NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `quick_reports_tenant_id_idx` ON `quick_reports` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `quick_reports_tenant_path_idx` ON `quick_reports` (`tenant_id`,`division_path`);--> statement-breakpoint
CREATE INDEX `quick_reports_tenant_worker_idx` ON `quick_reports` (`tenant_id`,`worker_id`,`id`);--> statement-breakpoint
CREATE INDEX `quick_reports_tenant_platform_idx` ON `quick_reports` (`tenant_id`,`platform_unit_id`,`id`);--> statement-breakpoint
CREATE INDEX `quick_reports_tenant_status_idx` ON `quick_reports` (`tenant_id`,`status`,`id`);--> statement-breakpoint
CREATE TABLE `warm_stations` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`division_id` text NOT NULL,
	`division_path` text NOT NULL,
	`address` text NOT NULL,
	`lat` real NOT NULL,
	`long` real NOT NULL,
	`services` text NOT NULL,
	`opening_hours` text NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `warm_stations_tenant_id_idx` ON `warm_stations` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `warm_stations_tenant_path_idx` ON `warm_stations` (`tenant_id`,`division_path`);--> statement-breakpoint
ALTER TABLE `teams` ADD `source` text;--> statement-breakpoint
CREATE INDEX `teams_tenant_source_idx` ON `teams` (`tenant_id`,`source`,`id`);--> statement-breakpoint
-- The 新就业群体 volunteer teams already on record (named so by the seed and by hand) get their source.
UPDATE `teams` SET `source` = 'new_employment' WHERE `name` LIKE '%新就业群体%';