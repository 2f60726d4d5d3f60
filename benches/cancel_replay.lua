-- wrk script: replays POST /v1/operations/{id}:cancel with one Idempotency-Key,
-- so every request after the first is a byte-identical replay of the first 202.
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer sk_akua_test_alpha"
wrk.headers["Idempotency-Key"] = "bench-replay-1"
