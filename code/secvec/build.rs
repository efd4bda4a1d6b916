//! Turns the inline-assembly load in `src/sync.rs` off under a sanitizer.
//!
//! ThreadSanitizer and AddressSanitizer watch the loads and stores the
//! compiler emits, not the ones inside `asm!`: a race detector that cannot
//! see an `Acquire` load reports the reads after it as races. `cfg(sanitize)`
//! is not stable, but Cargo tells build scripts which sanitizers are on.

fn main() {
    println!("cargo:rustc-check-cfg=cfg(secvec_no_asm)");
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_SANITIZE").is_ok_and(|s| !s.is_empty()) {
        println!("cargo:rustc-cfg=secvec_no_asm");
    }
}
