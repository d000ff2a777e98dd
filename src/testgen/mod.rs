//! Seeded generators of inputs, for benchmarks, examples and scale tests (the `testgen`
//! feature; always built for the crate's own tests).

pub mod console_recording;
