//! Property-based fuzzing of the endpoint (stateless and stateful).
