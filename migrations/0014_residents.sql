CREATE TABLE `complaint_notes` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`complaint_id` text NOT NULL,
	`author` text NOT NULL,
	`text` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `complaint_notes_tenant_complaint_idx` ON `complaint_notes` (`tenant_id`,`complaint_id`,`id`);--> statement-breakpoint
CREATE TABLE `complaint_photos` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`complaint_id` text NOT NULL,
	`storage_key` text NOT NULL,
	`content_type` text NOT NULL,
	`bytes` integer NOT NULL,
	`sha256` text NOT NULL,
	`author` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `complaint_photos_tenant_complaint_idx` ON `complaint_photos` (`tenant_id`,`complaint_id`,`id`);--> statement-breakpoint
CREATE TABLE `complaints` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`compound_id` text NOT NULL,
	`community_id` text NOT NULL,
	`division_path` text NOT NULL,
	`company_unit_id` text,
	`category` text NOT NULL,
	`description` text NOT NULL,
	`channel` text NOT NULL,
	`reporter_cipher` text,
	`reporter_masked` text,
	`token_hash` text NOT NULL,
	`lat` real,
	`long` real,
	`address_string` text,
	`status` text NOT NULL,
	`level` text NOT NULL,
	`assignee_type` text,
	`assignee_id` text,
	`assignee_name` text,
	`due_at` text NOT NULL,
	`resolved_at` text,
	`resolution` text,
	`on_time` integer,
	`closed_at` text,
	`closure` text,
	`duplicate_of_id` text,
	`referred_to` text,
	`reopen_count` integer DEFAULT 0 NOT NULL,
	`escalation_count` integer DEFAULT 0 NOT NULL,
	`rating` integer,
	`rating_comment` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `complaints_tenant_id_idx` ON `complaints` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `complaints_tenant_path_idx` ON `complaints` (`tenant_id`,`division_path`);--> statement-breakpoint
CREATE INDEX `complaints_tenant_status_due_idx` ON `complaints` (`tenant_id`,`status`,`due_at`);--> statement-breakpoint
CREATE INDEX `complaints_tenant_compound_idx` ON `complaints` (`tenant_id`,`compound_id`,`id`);--> statement-breakpoint
CREATE INDEX `complaints_tenant_company_idx` ON `complaints` (`tenant_id`,`company_unit_id`,`id`);--> statement-breakpoint
CREATE INDEX `complaints_tenant_category_idx` ON `complaints` (`tenant_id`,`category`,`id`);--> statement-breakpoint
CREATE INDEX `complaints_tenant_closed_idx` ON `complaints` (`tenant_id`,`closed_at`) WHERE reporter_cipher is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `complaints_token_hash_uq` ON `complaints` (`token_hash`);--> statement-breakpoint
CREATE TABLE `compounds` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`community_id` text NOT NULL,
	`division_path` text NOT NULL,
	`address` text NOT NULL,
	`households` integer NOT NULL,
	`property_unit_id` text,
	`party_org_id` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `compounds_tenant_id_idx` ON `compounds` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `compounds_tenant_path_idx` ON `compounds` (`tenant_id`,`division_path`);--> statement-breakpoint
CREATE INDEX `compounds_tenant_community_idx` ON `compounds` (`tenant_id`,`community_id`,`id`);--> statement-breakpoint
CREATE INDEX `compounds_tenant_property_unit_idx` ON `compounds` (`tenant_id`,`property_unit_id`,`id`);--> statement-breakpoint
CREATE TABLE `owners_committees` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`compound_id` text NOT NULL,
	`division_path` text NOT NULL,
	`property_unit_id` text,
	`name` text NOT NULL,
	`party_org_id` text,
	`term_ends_on` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `owners_committees_tenant_id_idx` ON `owners_committees` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `owners_committees_tenant_compound_idx` ON `owners_committees` (`tenant_id`,`compound_id`,`id`);