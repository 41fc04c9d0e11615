/tmp/kiln-rec/ws/target/debug/deps/mytool-0a3fbd4ef85922ec.d: mylib/src/main.rs

/tmp/kiln-rec/ws/target/debug/deps/mytool-0a3fbd4ef85922ec: mylib/src/main.rs

mylib/src/main.rs:
