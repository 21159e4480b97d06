CREATE TABLE `community_workers` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`community_id` text NOT NULL,
	`division_path` text NOT NULL,
	`name` text NOT NULL,
	`id_card_cipher` text NOT NULL,
	`id_card_hash` text NOT NULL,
	`id_card_masked` text NOT NULL,
	`phone_cipher` text,
	`phone_masked` text,
	`post` text NOT NULL,
	`tier` text NOT NULL,
	`grade` integer NOT NULL,
	`education` text NOT NULL,
	`service_start_date` text NOT NULL,
	`social_worker_level` text NOT NULL,
	`status` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `community_workers_tenant_id_idx` ON `community_workers` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `community_workers_tenant_path_idx` ON `community_workers` (`tenant_id`,`division_path`,`id`);--> statement-breakpoint
CREATE INDEX `community_workers_tenant_community_idx` ON `community_workers` (`tenant_id`,`community_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `community_workers_tenant_id_card_uq` ON `community_workers` (`tenant_id`,`id_card_hash`);--> statement-breakpoint
CREATE TABLE `grade_scales` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`scale` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `street_bodies` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`street_id` text NOT NULL,
	`division_path` text NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`quota` integer NOT NULL,
	`filled` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `street_bodies_tenant_id_idx` ON `street_bodies` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `street_bodies_tenant_path_idx` ON `street_bodies` (`tenant_id`,`division_path`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `street_bodies_tenant_street_name_uq` ON `street_bodies` (`tenant_id`,`street_id`,`name`);--> statement-breakpoint
CREATE TABLE `worker_assessments` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`worker_id` text NOT NULL,
	`division_path` text NOT NULL,
	`year` integer NOT NULL,
	`result` text NOT NULL,
	`grade_before` integer NOT NULL,
	`grade_after` integer NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `worker_assessments_worker_year_uq` ON `worker_assessments` (`tenant_id`,`worker_id`,`year`);--> statement-breakpoint
CREATE INDEX `worker_assessments_tenant_path_idx` ON `worker_assessments` (`tenant_id`,`division_path`,`year`);--> statement-breakpoint
CREATE TABLE `worker_grade_changes` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`worker_id` text NOT NULL,
	`division_path` text NOT NULL,
	`from_grade` integer,
	`to_grade` integer NOT NULL,
	`tier` text NOT NULL,
	`reason` text NOT NULL,
	`effective_on` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `worker_grade_changes_tenant_worker_idx` ON `worker_grade_changes` (`tenant_id`,`worker_id`,`id`);