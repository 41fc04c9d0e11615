// A faster linker for the crates that link: KILN_LINKER=mold|lld (config `linker`).
//
// rustc links through the C compiler (`cc`); `-C link-arg=-fuse-ld=mold` makes cc use mold
// (gcc ≥ 12.1, clang), `-fuse-ld=lld` lld (https://github.com/rui314/mold#how-to-use,
// https://doc.rust-lang.org/rustc/codegen-options/index.html#link-arg). kiln adds the flag to
// invocations that link (bins, dylibs, cdylibs, proc-macros, test harnesses; not rlibs,
// staticlibs or `cargo check`), so it is part of their key like any argument; the linker
// binary itself is an input the tracer sees run, so its identity is in the key too. Left
// alone: invocations where the user chose a linker (`-C linker=…`) or already passes
// `-fuse-ld`. A choice whose linker is not installed adds nothing and says how to fix it.
#pragma once

#include <string>
#include <vector>

#include "rustc/invocation.h"

namespace kiln {

/// What a linker choice adds to one invocation.
struct LinkerChoice {
  std::vector<std::string> args;  // e.g. {"-C", "link-arg=-fuse-ld=mold"}; empty = nothing
  std::string warning;            // "" or why nothing was added, with the fix
};

/// The arguments `choice` ("default", "mold", "lld") adds to `inv`. `find` looks a program up
/// on PATH ("" = not found); tests substitute their own.
LinkerChoice linker_choice(const std::string& choice, const RustcInvocation& inv,
                           std::string (*find)(const std::string&) = nullptr);

}  // namespace kiln
