CREATE TABLE `audit_events` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`actor` text NOT NULL,
	`actor_kind` text NOT NULL,
	`action` text NOT NULL,
	`target_type` text NOT NULL,
	`target_id` text NOT NULL,
	`request_id` text NOT NULL,
	`changes` text,
	`at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_tenant_id_idx` ON `audit_events` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `audit_tenant_target_idx` ON `audit_events` (`tenant_id`,`target_type`,`target_id`,`id`);--> statement-breakpoint
CREATE INDEX `audit_tenant_actor_idx` ON `audit_events` (`tenant_id`,`actor`,`id`);--> statement-breakpoint
CREATE TABLE `divisions` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`parent_id` text,
	`level` text NOT NULL,
	`name` text NOT NULL,
	`code` text,
	`path` text NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`code`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `divisions_tenant_parent_idx` ON `divisions` (`tenant_id`,`parent_id`,`id`);--> statement-breakpoint
CREATE INDEX `divisions_tenant_level_idx` ON `divisions` (`tenant_id`,`level`,`id`);--> statement-breakpoint
CREATE INDEX `divisions_tenant_path_idx` ON `divisions` (`tenant_id`,`path`);--> statement-breakpoint
CREATE UNIQUE INDEX `divisions_tenant_code_uq` ON `divisions` (`tenant_id`,`code`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`tenant_id` text NOT NULL,
	`caller` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`status` integer NOT NULL,
	`body` text NOT NULL,
	`headers` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `idempotency_pk` ON `idempotency_keys` (`tenant_id`,`caller`,`key`);--> statement-breakpoint
CREATE INDEX `idempotency_expiry_idx` ON `idempotency_keys` (`expires_at`);--> statement-breakpoint
CREATE TABLE `outbox_events` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`type` text NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`payload` text NOT NULL,
	`created_at` text NOT NULL,
	`dispatched_at` text
);
--> statement-breakpoint
CREATE INDEX `outbox_pending_idx` ON `outbox_events` (`dispatched_at`,`id`);--> statement-breakpoint
CREATE INDEX `outbox_tenant_idx` ON `outbox_events` (`tenant_id`,`id`);--> statement-breakpoint
CREATE TABLE `tenants` (
	`code` text PRIMARY KEY NOT NULL,
	`parent_code` text,
	`level` text NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text NOT NULL,
	`kind` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `tenants_parent_idx` ON `tenants` (`parent_code`,`code`);