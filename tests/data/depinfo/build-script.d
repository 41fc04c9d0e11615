/tmp/kiln-rec/ws/target/debug/build/mylib-f31d30fc46ff2851/build_script_build-f31d30fc46ff2851.d: mylib/build.rs

/tmp/kiln-rec/ws/target/debug/build/mylib-f31d30fc46ff2851/build_script_build-f31d30fc46ff2851: mylib/build.rs

mylib/build.rs:
