/tmp/kiln-rec/ws/target/debug/deps/mylib-540eaa85e1dccdd3.d: mylib/src/lib.rs mylib/src/nested/mod.rs mylib/src/has\ space.rs mylib/src/banner.txt

/tmp/kiln-rec/ws/target/debug/deps/libmylib-540eaa85e1dccdd3.rlib: mylib/src/lib.rs mylib/src/nested/mod.rs mylib/src/has\ space.rs mylib/src/banner.txt

/tmp/kiln-rec/ws/target/debug/deps/libmylib-540eaa85e1dccdd3.rmeta: mylib/src/lib.rs mylib/src/nested/mod.rs mylib/src/has\ space.rs mylib/src/banner.txt

mylib/src/lib.rs:
mylib/src/nested/mod.rs:
mylib/src/has\ space.rs:
mylib/src/banner.txt:

# env-dep:BUILD_GREETING=hello from build.rs
# env-dep:CARGO_PKG_VERSION=0.3.1
# env-dep:KILN_TEST_SURELY_UNSET_VAR
