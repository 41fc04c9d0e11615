// The doc root (`target/doc`) that every crate's documentation run writes into, and how kiln
// keeps its shared files right when most runs are cache hits.
//
// rustdoc writes two kinds of files. A crate's own pages (`<crate>/…`, `src/<crate>/…`) depend
// only on that crate and are an action's outputs like any other. The doc root's shared files
// — the search index (`search.index/`), `crates.js`, `src-files.js`, `trait.impl/`,
// `type.impl/`, `static.files/` — hold every documented crate: in its default mode
// (`--merge=shared`) rustdoc reads them and merges its crate in. A hit cannot replay such a
// file: what it must contain depends on which other crates are there.
//
// So kiln uses rustdoc's own cross-crate merge (RFC 3662, "mergeable rustdoc cross-crate
// info"): a miss runs `--merge=none --parts-out-dir=DIR`, which writes the crate's pages and
// one file of cross-crate info (`<crate>.json`), and no shared file. kiln keeps that file,
// like the pages, as an output of the action, in `target/doc/.kiln-doc-parts/<crate>/`. After
// every run — hit or miss — `rustdoc --merge=finalize --include-parts-dir=…` with the parts of
// every crate in the doc root rewrites the shared files, under a lock. The flags are unstable,
// so these two rustdoc runs get RUSTC_BOOTSTRAP=1; on a stable toolchain the miss also gets
// `-Zallow-features=` (empty), so that a crate that uses `#![feature]` fails as it would on
// stable (kiln then runs the real command, whose error the user sees).
//
// The root's help.html and settings.html name the crate last documented; `--merge=none` does
// not write them. kiln writes them from a template, made once per toolchain and page flags by
// documenting an empty crate named `kiln_placeholder_crate`, with that name replaced.
//
// A doc root that holds a crate documented without kiln (listed in crates.js, no parts here)
// would lose it in kiln's merge: such runs are passed through as they are, uncached
// (`cargo clean --doc` lets kiln take over the doc root).
#pragma once

#include <string>
#include <vector>

#include "util/expected.h"

namespace kiln {

/// `<out_dir>/.kiln-doc-parts`: the cross-crate info of every crate kiln documented here,
/// one directory per crate name.
std::string doc_parts_root(const std::string& out_dir);

/// The crate names in `<out_dir>/crates.js` (`window.ALL_CRATES = ["a","b"];`), read under
/// the doc root's lock; empty when there is no such file or it does not parse.
std::vector<std::string> documented_crates(const std::string& out_dir);

/// The first crate listed in the doc root that kiln has no parts for, other than
/// `crate_name`; "" when none.
std::string crate_documented_without_kiln(const std::string& out_dir, const std::string& crate_name);

/// Rewrites the doc root's shared files from the parts of every crate in doc_parts_root, by
/// running `rustdoc` (absolute path) with `--merge=finalize` in this process's environment
/// plus RUSTC_BOOTSTRAP=1, under an exclusive flock of `<parts root>/.lock`. Errors: the
/// lock, or rustdoc failed (the start of its stderr in the message).
Status merge_doc_root(const std::string& rustdoc, const std::string& out_dir);

/// The same, coalesced: marks the root dirty and merges only when no merge is running (the
/// running one merges again when it ends, seeing the mark), so that parallel documentation
/// runs do not queue one full merge each. Errors: as merge_doc_root.
Status merge_doc_root_soon(const std::string& rustdoc, const std::string& out_dir);

/// Under `cargo kiln`, the file that names the doc roots whose merge waits for the end of the
/// build (one path per line): cargo kiln merges each once (cli/cargo_subcommand.cpp).
inline constexpr const char* kDocRootsFileVar = "KILN_DOC_ROOTS_FILE";

/// Writes `<out_dir>/help.html` and `<out_dir>/settings.html` as rustdoc would after
/// documenting `crate_name` with `page_args` (flags that shape those pages: headers, themes;
/// relative paths in them are relative to the current directory).
/// The template comes from `<cache_dir>/rustdoc-pages/<template_key>/`, made on first use
/// by documenting an empty crate (see the file comment); `template_key` must identify the
/// rustdoc and the page flags with the contents of the files they name. Errors: the template
/// cannot be made or does not name its placeholder exactly once, a write failed.
Status write_root_pages(const std::string& rustdoc, const std::vector<std::string>& page_args,
                        const std::string& crate_name, const std::string& out_dir, const std::string& cache_dir,
                        const std::string& template_key);

/// The placeholder crate name of the root-page template.
inline constexpr const char* kRootPagePlaceholder = "kiln_placeholder_crate";

/// `text` with the one `data-current-crate="<placeholder>"` replaced by `crate_name`.
/// Errors: the placeholder is not there exactly once.
Result<std::string> fill_root_page(const std::string& text, const std::string& crate_name);

/// The crate names of crates.js text (see documented_crates); empty when it does not parse.
std::vector<std::string> parse_crates_js(const std::string& text);

}  // namespace kiln
