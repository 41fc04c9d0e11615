fn main() {
    let input = b"kiln";
    let sha = ring::digest::digest(&ring::digest::SHA256, input);
    println!("sha256: {:02x?}", sha.as_ref());
    println!("blake3: {}", blake3::hash(input).to_hex());
    println!("stack pointer known: {}", !psm::stack_pointer().is_null());
}
