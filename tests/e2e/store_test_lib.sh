# Shared by the local-store end-to-end tests (test_store_*.sh), sourced, not run: the small
# cargo workspace they build and the digests of its outputs.

# make_project DIR: a small workspace without external crates: five independent libraries
# (so killing one compilation leaves the others to finish under --keep-going) and a binary.
make_project() {
  local d=$1 libs=(l1 l2 l3 l4 l5) l
  mkdir -p "$d/app/src"
  printf '[workspace]\nmembers = ["app", "l1", "l2", "l3", "l4", "l5"]\nresolver = "2"\n' >"$d/Cargo.toml"
  printf '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n' >"$d/app/Cargo.toml"
  echo 'fn main() {' >"$d/app/src/main.rs"
  for l in "${libs[@]}"; do
    mkdir -p "$d/$l/src"
    printf '[package]\nname = "%s"\nversion = "0.1.0"\nedition = "2021"\n' "$l" >"$d/$l/Cargo.toml"
    echo "$l = { path = \"../$l\" }" >>"$d/app/Cargo.toml"
    cat >"$d/$l/src/lib.rs" <<EOF
use std::collections::BTreeMap;
macro_rules! funcs { (\$(\$n:ident),*) => { \$(pub fn \$n(x: u64) -> u64 { let mut v: Vec<u64> = (0..x).map(|i| i.wrapping_mul(stringify!(\$n).len() as u64 + ${l#l})).collect(); v.sort(); v.iter().fold(7, |a, b| a.wrapping_mul(31).wrapping_add(*b)) })* } }
funcs!(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, b0, b1, b2, b3, b4, b5, b6, b7, b8, b9);
#[derive(Debug, Clone, PartialEq)]
pub struct Item { pub name: String, pub weight: u64 }
pub fn build(n: u64) -> BTreeMap<String, Item> {
    (0..n).map(|i| (format!("$l-{i}"), Item { name: format!("$l-{i}"), weight: a0(i) ^ b9(i) })).collect()
}
EOF
    echo "    println!(\"{}\", $l::build(5).values().map(|i| i.weight % 1000).sum::<u64>());" >>"$d/app/src/main.rs"
  done
  echo '}' >>"$d/app/src/main.rs"
}

# Digests of the build's outputs (binary, rlibs, rmetas), relative to target/debug.
outputs() { (cd "$1/target/debug" && sha256sum app deps/*.rlib deps/*.rmeta | sort -k2); }
