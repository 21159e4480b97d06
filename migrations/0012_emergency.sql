CREATE TABLE `incidents` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`type` text NOT NULL,
	`level` text NOT NULL,
	`headline` text NOT NULL,
	`instruction` text NOT NULL,
	`drill` integer NOT NULL,
	`dedup_key` text NOT NULL,
	`affected_division_ids` text NOT NULL,
	`affected_paths` text NOT NULL,
	`division_path` text NOT NULL,
	`include_normal_teams` integer DEFAULT false NOT NULL,
	`skills` text DEFAULT '[]' NOT NULL,
	`message_prefix` text NOT NULL,
	`message_suffix` text NOT NULL,
	`status` text NOT NULL,
	`declared_by` text NOT NULL,
	`activated_at` text,
	`stood_down_at` text,
	`closed_at` text,
	`cancelled_at` text,
	`served_by_site` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `incidents_tenant_id_idx` ON `incidents` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `incidents_tenant_path_idx` ON `incidents` (`tenant_id`,`division_path`);--> statement-breakpoint
CREATE UNIQUE INDEX `incidents_tenant_dedup_uq` ON `incidents` (`tenant_id`,`dedup_key`);--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`incident_id` text NOT NULL,
	`volunteer_id` text NOT NULL,
	`division_path` text NOT NULL,
	`token` text NOT NULL,
	`channel` text NOT NULL,
	`message` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`answer` text,
	`eta_minutes` integer,
	`answered_at` text,
	`site_id` text,
	`checked_in_at` text,
	`checked_out_at` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_tenant_incident_volunteer_uq` ON `notifications` (`tenant_id`,`incident_id`,`volunteer_id`);--> statement-breakpoint
CREATE INDEX `notifications_tenant_incident_idx` ON `notifications` (`tenant_id`,`incident_id`,`id`);--> statement-breakpoint
CREATE INDEX `notifications_tenant_incident_status_idx` ON `notifications` (`tenant_id`,`incident_id`,`status`);--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_token_uq` ON `notifications` (`token`);--> statement-breakpoint
CREATE TABLE `roster_entries` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`incident_id` text NOT NULL,
	`team_activation_id` text NOT NULL,
	`volunteer_id` text NOT NULL,
	`role` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `roster_entries_tenant_activation_volunteer_uq` ON `roster_entries` (`tenant_id`,`team_activation_id`,`volunteer_id`);--> statement-breakpoint
CREATE INDEX `roster_entries_tenant_incident_volunteer_idx` ON `roster_entries` (`tenant_id`,`incident_id`,`volunteer_id`);--> statement-breakpoint
CREATE TABLE `sites` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`division_id` text NOT NULL,
	`division_path` text NOT NULL,
	`address` text NOT NULL,
	`latitude` real,
	`longitude` real,
	`capacity` integer NOT NULL,
	`occupancy` integer DEFAULT 0 NOT NULL,
	`status` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sites_tenant_id_idx` ON `sites` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `sites_tenant_path_idx` ON `sites` (`tenant_id`,`division_path`);--> statement-breakpoint
CREATE TABLE `team_activations` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`incident_id` text NOT NULL,
	`team_id` text NOT NULL,
	`team_name` text NOT NULL,
	`mode` text NOT NULL,
	`division_path` text NOT NULL,
	`quorum` integer NOT NULL,
	`deadline_at` text NOT NULL,
	`roster_size` integer NOT NULL,
	`escalation` text DEFAULT 'pending' NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `team_activations_tenant_incident_team_uq` ON `team_activations` (`tenant_id`,`incident_id`,`team_id`);--> statement-breakpoint
CREATE INDEX `team_activations_tenant_incident_idx` ON `team_activations` (`tenant_id`,`incident_id`,`id`);--> statement-breakpoint
CREATE INDEX `team_activations_due_idx` ON `team_activations` (`escalation`,`deadline_at`);--> statement-breakpoint
CREATE TABLE `team_members` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`team_id` text NOT NULL,
	`volunteer_id` text NOT NULL,
	`role` text NOT NULL,
	`division_path` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `team_members_tenant_team_volunteer_uq` ON `team_members` (`tenant_id`,`team_id`,`volunteer_id`);--> statement-breakpoint
CREATE INDEX `team_members_tenant_team_idx` ON `team_members` (`tenant_id`,`team_id`,`id`);--> statement-breakpoint
CREATE INDEX `team_members_tenant_volunteer_idx` ON `team_members` (`tenant_id`,`volunteer_id`);--> statement-breakpoint
CREATE TABLE `teams` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`mode` text NOT NULL,
	`division_id` text NOT NULL,
	`division_path` text NOT NULL,
	`division_level` text NOT NULL,
	`org_id` text,
	`skills` text DEFAULT '[]' NOT NULL,
	`quorum` integer NOT NULL,
	`response_deadline_minutes` integer NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `teams_tenant_id_idx` ON `teams` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `teams_tenant_mode_path_idx` ON `teams` (`tenant_id`,`mode`,`division_path`);--> statement-breakpoint
CREATE INDEX `teams_tenant_path_idx` ON `teams` (`tenant_id`,`division_path`);--> statement-breakpoint
CREATE TABLE `volunteers` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`phone_cipher` text NOT NULL,
	`phone_hash` text NOT NULL,
	`phone_masked` text NOT NULL,
	`id_card_cipher` text,
	`id_card_hash` text,
	`id_card_masked` text,
	`member_id` text,
	`source` text NOT NULL,
	`skills` text DEFAULT '[]' NOT NULL,
	`certificates` text DEFAULT '[]' NOT NULL,
	`home_division_id` text NOT NULL,
	`division_path` text NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `volunteers_tenant_id_idx` ON `volunteers` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `volunteers_tenant_path_idx` ON `volunteers` (`tenant_id`,`division_path`);--> statement-breakpoint
CREATE INDEX `volunteers_tenant_phone_idx` ON `volunteers` (`tenant_id`,`phone_hash`);--> statement-breakpoint
CREATE INDEX `volunteers_tenant_member_idx` ON `volunteers` (`tenant_id`,`member_id`);--> statement-breakpoint
-- The hours ledger also credits volunteers who are not party members (libSQL ALTER COLUMN keeps the append-only triggers).
ALTER TABLE `ledger_entries` ALTER COLUMN "member_id" TO "member_id" text;--> statement-breakpoint
ALTER TABLE `ledger_entries` ADD `volunteer_id` text;--> statement-breakpoint
CREATE INDEX `ledger_tenant_volunteer_idx` ON `ledger_entries` (`tenant_id`,`volunteer_id`,`year`);
