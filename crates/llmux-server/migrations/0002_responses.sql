-- Stored /v1/responses answers: what previous_response_id, GET /v1/responses/{id} and
-- .../input_items read, shared by every instance on the database. A row is one turn: its
-- own input items and the response object as the client got it (both JSON text), linked
-- to the turn it continued. A conversation's turns share `conversation_id` (its first
-- turn's id), so a new turn extends the expiry of every earlier one in one statement.
-- `deleted` hides a turn from GET and DELETE but keeps it as history for later turns.
CREATE TABLE IF NOT EXISTS llmux_responses (
    response_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    previous_response_id TEXT,
    native_deployment TEXT,
    response TEXT NOT NULL,
    input TEXT NOT NULL,
    deleted BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS llmux_responses_conversation ON llmux_responses (conversation_id);
CREATE INDEX IF NOT EXISTS llmux_responses_expires ON llmux_responses (expires_at);
