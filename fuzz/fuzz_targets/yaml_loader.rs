//! Fuzz target: `rbacgraph::fuzzing::yaml_loader` (see that function for what it drives).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(broken) = rbacgraph::fuzzing::yaml_loader(data) {
        panic!("invariant broken: {broken}");
    }
});
