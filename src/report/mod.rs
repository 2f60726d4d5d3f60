//! Reporters: pure functions of one [`crate::model::RunResult`].
