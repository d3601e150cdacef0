//! The integration tests of `functions/lookup` in one binary: a file below is a module, where it was a
//! binary of its own (one link in every build instead of one per file, and one process whose
//! test threads run every file's tests side by side).

mod browser;
mod lookup;
