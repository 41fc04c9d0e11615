/tmp/kiln-rec/ws/target/debug/build/mylib-15148cb9a24e1a99/build_script_build-15148cb9a24e1a99.d: mylib/build.rs Cargo.toml

/tmp/kiln-rec/ws/target/debug/build/mylib-15148cb9a24e1a99/build_script_build-15148cb9a24e1a99: mylib/build.rs Cargo.toml

mylib/build.rs:
Cargo.toml:

# env-dep:CLIPPY_ARGS=
# env-dep:CLIPPY_CONF_DIR
