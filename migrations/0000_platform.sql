CREATE TABLE `audit_events` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`actor` text NOT NULL,
	`actor_kind` text NOT NULL,
	`action` text NOT NULL,
	`target_type` text NOT NULL,
	`target_id` text NOT NULL,
	`division_path` text,
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
CREATE INDEX `tenants_parent_idx` ON `tenants` (`parent_code`,`code`);--> statement-breakpoint
CREATE TABLE `activities` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`community_id` text NOT NULL,
	`division_path` text NOT NULL,
	`organiser_org_id` text NOT NULL,
	`kind` text NOT NULL,
	`lecture_talk` text,
	`title` text NOT NULL,
	`starts_at` text NOT NULL,
	`ends_at` text NOT NULL,
	`place` text NOT NULL,
	`capacity` integer NOT NULL,
	`points_per_hour` integer DEFAULT 10 NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `activities_tenant_id_idx` ON `activities` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `activities_tenant_community_idx` ON `activities` (`tenant_id`,`community_id`,`starts_at`);--> statement-breakpoint
CREATE TABLE `ledger_entries` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`member_id` text NOT NULL,
	`division_path` text NOT NULL,
	`year` integer NOT NULL,
	`quarter` text NOT NULL,
	`hours` real NOT NULL,
	`points` integer NOT NULL,
	`source_type` text NOT NULL,
	`source_id` text NOT NULL,
	`reverses_id` text,
	`reason` text,
	`created_by` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `ledger_tenant_id_idx` ON `ledger_entries` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `ledger_tenant_member_year_idx` ON `ledger_entries` (`tenant_id`,`member_id`,`year`);--> statement-breakpoint
CREATE INDEX `ledger_tenant_quarter_idx` ON `ledger_entries` (`tenant_id`,`quarter`,`member_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_source_uq` ON `ledger_entries` (`tenant_id`,`source_type`,`source_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_reverses_uq` ON `ledger_entries` (`reverses_id`);--> statement-breakpoint
CREATE TABLE `participations` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`activity_id` text NOT NULL,
	`member_id` text NOT NULL,
	`division_path` text NOT NULL,
	`status` text NOT NULL,
	`checked_in_at` text,
	`checked_out_at` text,
	`hours` real,
	`rating` integer,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `participations_tenant_id_idx` ON `participations` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `participations_activity_idx` ON `participations` (`tenant_id`,`activity_id`,`status`);--> statement-breakpoint
CREATE INDEX `participations_tenant_member_idx` ON `participations` (`tenant_id`,`member_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `participations_activity_member_uq` ON `participations` (`activity_id`,`member_id`);--> statement-breakpoint
CREATE TABLE `needs` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`community_id` text NOT NULL,
	`division_path` text NOT NULL,
	`category` text NOT NULL,
	`title` text NOT NULL,
	`description` text NOT NULL,
	`quantity` integer NOT NULL,
	`deadline` text,
	`status` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `needs_tenant_id_idx` ON `needs` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `needs_tenant_status_idx` ON `needs` (`tenant_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `needs_tenant_community_idx` ON `needs` (`tenant_id`,`community_id`,`status`,`id`);--> statement-breakpoint
CREATE TABLE `post_claims` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`post_id` text NOT NULL,
	`member_id` text NOT NULL,
	`division_path` text NOT NULL,
	`status` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `post_claims_tenant_id_idx` ON `post_claims` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `post_claims_post_status_idx` ON `post_claims` (`tenant_id`,`post_id`,`status`);--> statement-breakpoint
CREATE INDEX `post_claims_tenant_member_idx` ON `post_claims` (`tenant_id`,`member_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `post_claims_one_live_uq` ON `post_claims` (`post_id`,`member_id`) WHERE status in ('applied', 'approved', 'active');--> statement-breakpoint
CREATE TABLE `project_resources` (
	`tenant_id` text NOT NULL,
	`project_id` text NOT NULL,
	`resource_id` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `project_id`, `resource_id`)
);
--> statement-breakpoint
CREATE INDEX `project_resources_resource_idx` ON `project_resources` (`tenant_id`,`resource_id`);--> statement-breakpoint
CREATE TABLE `projects` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`need_id` text NOT NULL,
	`division_path` text NOT NULL,
	`title` text NOT NULL,
	`owner_org_id` text,
	`status` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `projects_tenant_id_idx` ON `projects` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `projects_tenant_status_idx` ON `projects` (`tenant_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `projects_tenant_need_idx` ON `projects` (`tenant_id`,`need_id`);--> statement-breakpoint
CREATE TABLE `resources` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`offered_by` text NOT NULL,
	`unit_org_id` text,
	`member_id` text,
	`division_path` text NOT NULL,
	`category` text NOT NULL,
	`title` text NOT NULL,
	`description` text NOT NULL,
	`quantity` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `resources_tenant_id_idx` ON `resources` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `resources_tenant_unit_idx` ON `resources` (`tenant_id`,`unit_org_id`,`id`);--> statement-breakpoint
CREATE INDEX `resources_tenant_member_idx` ON `resources` (`tenant_id`,`member_id`,`id`);--> statement-breakpoint
CREATE TABLE `service_posts` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`community_id` text NOT NULL,
	`division_path` text NOT NULL,
	`category` text NOT NULL,
	`title` text NOT NULL,
	`description` text NOT NULL,
	`headcount` integer NOT NULL,
	`status` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `service_posts_tenant_id_idx` ON `service_posts` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `service_posts_tenant_community_idx` ON `service_posts` (`tenant_id`,`community_id`,`status`,`id`);--> statement-breakpoint
CREATE TABLE `members` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`gender` text NOT NULL,
	`birth_date` text NOT NULL,
	`id_card_cipher` text NOT NULL,
	`id_card_hash` text NOT NULL,
	`id_card_masked` text NOT NULL,
	`phone_cipher` text,
	`phone_hash` text,
	`phone_masked` text,
	`join_date` text NOT NULL,
	`status` text NOT NULL,
	`classification` text NOT NULL,
	`org_id` text,
	`employer_unit_id` text,
	`employer_org_id` text,
	`employer_tenant_id` text,
	`residence_division_id` text,
	`division_path` text NOT NULL,
	`skills` text DEFAULT '[]' NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `members_tenant_id_idx` ON `members` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `members_tenant_org_idx` ON `members` (`tenant_id`,`org_id`,`id`);--> statement-breakpoint
CREATE INDEX `members_tenant_path_idx` ON `members` (`tenant_id`,`division_path`);--> statement-breakpoint
CREATE INDEX `members_tenant_employer_idx` ON `members` (`tenant_id`,`employer_org_id`,`id`);--> statement-breakpoint
CREATE INDEX `members_tenant_phone_idx` ON `members` (`tenant_id`,`phone_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `members_id_card_uq` ON `members` (`id_card_hash`);--> statement-breakpoint
CREATE TABLE `party_orgs` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`type` text NOT NULL,
	`category` text NOT NULL,
	`parent_id` text,
	`division_id` text NOT NULL,
	`division_path` text NOT NULL,
	`unit_id` text,
	`secretary_name` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `party_orgs_tenant_id_idx` ON `party_orgs` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `party_orgs_tenant_parent_idx` ON `party_orgs` (`tenant_id`,`parent_id`,`id`);--> statement-breakpoint
CREATE INDEX `party_orgs_tenant_category_idx` ON `party_orgs` (`tenant_id`,`category`,`id`);--> statement-breakpoint
CREATE INDEX `party_orgs_tenant_path_idx` ON `party_orgs` (`tenant_id`,`division_path`);--> statement-breakpoint
CREATE INDEX `party_orgs_tenant_unit_idx` ON `party_orgs` (`tenant_id`,`unit_id`);--> statement-breakpoint
CREATE TABLE `units` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`credit_code` text,
	`kind` text NOT NULL,
	`division_id` text NOT NULL,
	`division_path` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `units_tenant_id_idx` ON `units` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `units_tenant_path_idx` ON `units` (`tenant_id`,`division_path`);--> statement-breakpoint
CREATE UNIQUE INDEX `units_tenant_credit_code_uq` ON `units` (`tenant_id`,`credit_code`);--> statement-breakpoint
CREATE TABLE `agreements` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`unit_org_id` text NOT NULL,
	`community_org_id` text NOT NULL,
	`division_path` text NOT NULL,
	`starts_on` text NOT NULL,
	`ends_on` text NOT NULL,
	`liaison_name` text NOT NULL,
	`links` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `agreements_tenant_id_idx` ON `agreements` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `agreements_tenant_unit_idx` ON `agreements` (`tenant_id`,`unit_org_id`,`id`);--> statement-breakpoint
CREATE INDEX `agreements_tenant_community_idx` ON `agreements` (`tenant_id`,`community_org_id`,`id`);--> statement-breakpoint
CREATE TABLE `employer_feedback` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`member_report_id` text NOT NULL,
	`member_id` text NOT NULL,
	`division_path` text NOT NULL,
	`quarter` text NOT NULL,
	`hours` real NOT NULL,
	`points` integer NOT NULL,
	`rating` real,
	`comment` text,
	`recipient_org_id` text NOT NULL,
	`recipient_tenant_id` text NOT NULL,
	`status` text NOT NULL,
	`sent_at` text,
	`acknowledged_at` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `feedback_tenant_id_idx` ON `employer_feedback` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `feedback_tenant_quarter_idx` ON `employer_feedback` (`tenant_id`,`quarter`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `feedback_recipient_idx` ON `employer_feedback` (`recipient_tenant_id`,`recipient_org_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `feedback_member_quarter_uq` ON `employer_feedback` (`tenant_id`,`member_id`,`quarter`);--> statement-breakpoint
CREATE TABLE `evaluations` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`subject_kind` text NOT NULL,
	`subject_id` text NOT NULL,
	`community_org_id` text NOT NULL,
	`division_path` text NOT NULL,
	`year` integer NOT NULL,
	`grade` text NOT NULL,
	`comment` text,
	`approver` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `evaluations_tenant_id_idx` ON `evaluations` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `evaluations_tenant_subject_idx` ON `evaluations` (`tenant_id`,`subject_kind`,`subject_id`,`year`);--> statement-breakpoint
CREATE UNIQUE INDEX `evaluations_subject_year_uq` ON `evaluations` (`tenant_id`,`community_org_id`,`subject_kind`,`subject_id`,`year`);--> statement-breakpoint
CREATE TABLE `five_links` (
	`code` text PRIMARY KEY NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text NOT NULL,
	`position` integer NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `member_reports` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`member_id` text NOT NULL,
	`community_id` text NOT NULL,
	`grid_id` text,
	`division_path` text NOT NULL,
	`channel` text NOT NULL,
	`skills` text DEFAULT '[]' NOT NULL,
	`intentions` text DEFAULT '[]' NOT NULL,
	`status` text NOT NULL,
	`end_reason` text,
	`employer_org_id` text,
	`employer_tenant_id` text,
	`confirmed_at` text,
	`last_recheck_at` text,
	`recheck_due_on` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `member_reports_tenant_id_idx` ON `member_reports` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `member_reports_tenant_status_idx` ON `member_reports` (`tenant_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `member_reports_tenant_community_status_idx` ON `member_reports` (`tenant_id`,`community_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `member_reports_tenant_member_idx` ON `member_reports` (`tenant_id`,`member_id`,`id`);--> statement-breakpoint
CREATE INDEX `member_reports_tenant_path_idx` ON `member_reports` (`tenant_id`,`division_path`);--> statement-breakpoint
CREATE UNIQUE INDEX `member_reports_one_live_uq` ON `member_reports` (`member_id`) WHERE status <> 'ended';--> statement-breakpoint
CREATE TABLE `org_reports` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`unit_org_id` text NOT NULL,
	`community_org_id` text NOT NULL,
	`division_path` text NOT NULL,
	`slip_number` text NOT NULL,
	`report_date` text NOT NULL,
	`liaison_name` text NOT NULL,
	`status` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `org_reports_tenant_id_idx` ON `org_reports` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `org_reports_tenant_status_idx` ON `org_reports` (`tenant_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `org_reports_tenant_unit_idx` ON `org_reports` (`tenant_id`,`unit_org_id`,`id`);--> statement-breakpoint
CREATE INDEX `org_reports_tenant_community_idx` ON `org_reports` (`tenant_id`,`community_org_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `org_reports_tenant_slip_uq` ON `org_reports` (`tenant_id`,`slip_number`);