-- alerts
CREATE TABLE "alerts" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "user_id" integer NOT NULL, "ccu_id" varchar NULL, "outlet_id" integer NULL, "kind" varchar NOT NULL, "message" text NOT NULL, "value" integer NULL, "threshold" integer NULL, "raised_at" integer NOT NULL, "cleared_at" integer NULL, "acknowledged_at" integer NULL, "acknowledged_by" integer NULL, FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE );
-- api_tokens
CREATE TABLE "api_tokens" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "user_id" integer NOT NULL, "name" varchar NOT NULL, "token_hash" varchar NOT NULL UNIQUE, "prefix" varchar NOT NULL, "created_at" integer NOT NULL, "last_used_at" integer NULL, "revoked_at" integer NULL, FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE );
-- breaker_readings
CREATE TABLE "breaker_readings" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "ccu_id" varchar NOT NULL, "ts" integer NOT NULL, "current_ma" integer NOT NULL, "threshold_ma" integer NOT NULL, slot BIGINT, FOREIGN KEY ("ccu_id") REFERENCES "ccus" ("id") ON DELETE CASCADE ON UPDATE CASCADE );
-- ccus
CREATE TABLE "ccus" ( "id" varchar NOT NULL PRIMARY KEY, "owner_id" integer NOT NULL, "name" varchar NOT NULL, "location" varchar NOT NULL DEFAULT '', "secret_hash" varchar NOT NULL, "transport" varchar NOT NULL DEFAULT 'mqtt', "breaker_threshold_ma" integer NOT NULL, "online" boolean NOT NULL DEFAULT FALSE, "firmware" varchar NULL, "last_seen" integer NULL, "breaker_ma" integer NULL, "breaker_at" integer NULL, "created_at" integer NOT NULL, "updated_at" integer NOT NULL, "legacy_addr" varchar NULL, "legacy_bind_until" integer NULL, "legacy_focus" varchar NULL, "legacy_focus_until" integer NULL, "readings_dropped" integer NOT NULL DEFAULT 0, auto_cutoff_pct INTEGER, last_cutoff_at BIGINT, FOREIGN KEY ("owner_id") REFERENCES "users" ("id") ON DELETE CASCADE );
-- commands
CREATE TABLE "commands" ( "id" varchar NOT NULL PRIMARY KEY, "ccu_id" varchar NOT NULL, "outlet_id" integer NOT NULL, "user_id" integer NULL, "command" varchar NOT NULL, "socket" varchar NULL, "value" integer NULL, "status" varchar NOT NULL, "detail" text NULL, "created_at" integer NOT NULL, "sent_at" integer NULL, "completed_at" integer NULL, "expires_at" integer NOT NULL, FOREIGN KEY ("outlet_id") REFERENCES "outlets" ("id") ON DELETE CASCADE );
-- energy_hourly
CREATE TABLE energy_hourly ( outlet_id integer NOT NULL REFERENCES outlets (id) ON DELETE CASCADE, hour BIGINT NOT NULL, charge_a BIGINT NOT NULL, charge_b BIGINT NOT NULL, covered_ms BIGINT NOT NULL, readings BIGINT NOT NULL, PRIMARY KEY (outlet_id, hour) );
-- events
CREATE TABLE "events" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "user_id" integer NULL, "kind" varchar NOT NULL, "source" varchar NOT NULL, "ccu_id" varchar NULL, "device_id" varchar NULL, "message" text NOT NULL, "data" text NULL, "created_at" integer NOT NULL );
-- idx_alerts_one_active
CREATE UNIQUE INDEX idx_alerts_one_active ON alerts (kind, ccu_id, COALESCE(outlet_id, -1)) WHERE cleared_at IS NULL;
-- idx_alerts_user_cleared
CREATE INDEX "idx_alerts_user_cleared" ON "alerts" ("user_id", "cleared_at");
-- idx_breaker_readings_ccu_ts
CREATE INDEX "idx_breaker_readings_ccu_ts" ON "breaker_readings" ("ccu_id", "ts");
-- idx_ccus_owner
CREATE INDEX "idx_ccus_owner" ON "ccus" ("owner_id");
-- idx_commands_ccu_status
CREATE INDEX "idx_commands_ccu_status" ON "commands" ("ccu_id", "status");
-- idx_commands_outlet_created
CREATE INDEX "idx_commands_outlet_created" ON "commands" ("outlet_id", "created_at");
-- idx_events_created
CREATE INDEX "idx_events_created" ON "events" ("created_at");
-- idx_events_user_created
CREATE INDEX "idx_events_user_created" ON "events" ("user_id", "created_at");
-- idx_notification_targets_user
CREATE INDEX idx_notification_targets_user ON notification_targets (user_id);
-- idx_schedules_next_run
CREATE INDEX idx_schedules_next_run ON schedules (next_run_at);
-- idx_schedules_outlet
CREATE INDEX idx_schedules_outlet ON schedules (outlet_id);
-- idx_sensor_readings_outlet_ts
CREATE INDEX "idx_sensor_readings_outlet_ts" ON "sensor_readings" ("outlet_id", "ts");
-- leases
CREATE TABLE "leases" ( "name" varchar NOT NULL PRIMARY KEY, "holder" varchar NOT NULL, "expires_at" integer NOT NULL );
-- notification_targets
CREATE TABLE notification_targets ( id integer NOT NULL PRIMARY KEY AUTOINCREMENT, user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE, kind varchar NOT NULL, url varchar NOT NULL, created_at BIGINT NOT NULL );
-- outlets
CREATE TABLE "outlets" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "ccu_id" varchar NOT NULL, "device_id" varchar NOT NULL, "name" varchar NOT NULL, "location" varchar NOT NULL DEFAULT '', "threshold_ma" integer NOT NULL DEFAULT 0, "current_a" integer NULL, "current_b" integer NULL, "relay_a" boolean NULL, "relay_b" boolean NULL, "is_overload" boolean NOT NULL DEFAULT FALSE, "online" boolean NOT NULL DEFAULT FALSE, "last_seen" integer NULL, "created_at" integer NOT NULL, "updated_at" integer NOT NULL, cutoff_protected BOOLEAN NOT NULL DEFAULT FALSE, FOREIGN KEY ("ccu_id") REFERENCES "ccus" ("id") ON DELETE CASCADE ON UPDATE CASCADE );
-- schedules
CREATE TABLE schedules ( id integer NOT NULL PRIMARY KEY AUTOINCREMENT, outlet_id integer NOT NULL REFERENCES outlets (id) ON DELETE CASCADE, socket varchar NOT NULL, turn_on boolean NOT NULL, minute_of_day integer NOT NULL, weekdays integer NOT NULL, timezone varchar NOT NULL, next_run_at BIGINT NOT NULL, created_at BIGINT NOT NULL );
-- seaql_migrations
CREATE TABLE "seaql_migrations" ( "version" varchar NOT NULL PRIMARY KEY, "applied_at" integer NOT NULL );
-- sensor_readings
CREATE TABLE "sensor_readings" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "outlet_id" integer NOT NULL, "ts" integer NOT NULL, "current_a" integer NOT NULL, "current_b" integer NOT NULL, "relay_a" boolean NULL, "relay_b" boolean NULL, "is_overload" boolean NOT NULL, slot BIGINT, FOREIGN KEY ("outlet_id") REFERENCES "outlets" ("id") ON DELETE CASCADE );
-- sessions
CREATE TABLE "sessions" ( "id" varchar NOT NULL PRIMARY KEY, "user_id" integer NOT NULL, "csrf_token" varchar NOT NULL, "created_at" integer NOT NULL, "expires_at" integer NOT NULL, FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE );
-- spool_positions
CREATE TABLE "spool_positions" ( "name" varchar NOT NULL PRIMARY KEY, "seq" integer NOT NULL );
-- uq_breaker_readings_ccu_slot
CREATE UNIQUE INDEX uq_breaker_readings_ccu_slot ON breaker_readings (ccu_id, slot) WHERE slot IS NOT NULL;
-- uq_outlets_ccu_device
CREATE UNIQUE INDEX "uq_outlets_ccu_device" ON "outlets" ("ccu_id", "device_id");
-- uq_sensor_readings_outlet_slot
CREATE UNIQUE INDEX uq_sensor_readings_outlet_slot ON sensor_readings (outlet_id, slot) WHERE slot IS NOT NULL;
-- users
CREATE TABLE "users" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "username" varchar NOT NULL UNIQUE, "password_hash" varchar NOT NULL, "created_at" integer NOT NULL , "is_admin" boolean NOT NULL DEFAULT FALSE, "disabled" boolean NOT NULL DEFAULT FALSE);
