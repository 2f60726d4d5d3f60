//! The runner: plan, HTTP client, fixtures, steps, captures, eventually.
