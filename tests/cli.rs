use super::runner::fake;
