-- Virtual keys, teams, users and spend logs. One dialect for SQLite and PostgreSQL:
-- TEXT, BIGINT (times are Unix milliseconds, booleans 0/1), DOUBLE PRECISION (USD), and
-- JSON kept as TEXT.
CREATE TABLE IF NOT EXISTS llmux_keys (
    token TEXT PRIMARY KEY,
    key_name TEXT NOT NULL,
    key_alias TEXT,
    team_id TEXT,
    user_id TEXT,
    models TEXT NOT NULL,
    max_budget DOUBLE PRECISION,
    budget_duration TEXT,
    budget_reset_at BIGINT,
    spend DOUBLE PRECISION NOT NULL,
    rpm_limit BIGINT,
    tpm_limit BIGINT,
    max_parallel_requests BIGINT,
    expires BIGINT,
    blocked BIGINT NOT NULL,
    metadata TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS llmux_keys_team ON llmux_keys (team_id);
CREATE INDEX IF NOT EXISTS llmux_keys_user ON llmux_keys (user_id);
CREATE INDEX IF NOT EXISTS llmux_keys_alias ON llmux_keys (key_alias);

CREATE TABLE IF NOT EXISTS llmux_teams (
    team_id TEXT PRIMARY KEY,
    team_alias TEXT,
    models TEXT NOT NULL,
    max_budget DOUBLE PRECISION,
    budget_duration TEXT,
    budget_reset_at BIGINT,
    spend DOUBLE PRECISION NOT NULL,
    rpm_limit BIGINT,
    tpm_limit BIGINT,
    max_parallel_requests BIGINT,
    blocked BIGINT NOT NULL,
    members TEXT NOT NULL,
    metadata TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS llmux_users (
    user_id TEXT PRIMARY KEY,
    user_email TEXT,
    user_role TEXT,
    models TEXT NOT NULL,
    max_budget DOUBLE PRECISION,
    spend DOUBLE PRECISION NOT NULL,
    metadata TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS llmux_spend_logs (
    request_id TEXT PRIMARY KEY,
    api_key TEXT NOT NULL,
    team_id TEXT,
    user_id TEXT,
    model TEXT NOT NULL,
    model_group TEXT NOT NULL,
    call_type TEXT NOT NULL,
    spend DOUBLE PRECISION NOT NULL,
    prompt_tokens BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    total_tokens BIGINT NOT NULL,
    start_time BIGINT NOT NULL,
    end_time BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS llmux_spend_logs_key ON llmux_spend_logs (api_key);
CREATE INDEX IF NOT EXISTS llmux_spend_logs_start ON llmux_spend_logs (start_time);
