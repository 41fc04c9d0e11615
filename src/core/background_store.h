// Storing a miss off cargo's critical path.
//
// A miss used to answer cargo only after its outputs were compressed, digested, written and
// uploaded: on the edit loop that is most of kiln's cost (ripgrep's 42 MB binary). Now the
// wrapper forks once rustc has succeeded: the parent gives cargo rustc's exit code at once,
// and the child — a "background store", named kiln-store in ps — records the action exactly
// as the wrapper would have (the same code; outputs read through core/output_snapshot.h, so
// that a file the next compilation already replaced is never stored under this key), writes
// its stats event and exits.
//
// Bounded: a store holds one of N slots (N = the machine's cores, at least 2), each a lock
// file <store>/pending/slot-<i>.lock held with flock(2) for the store's lifetime. With every
// slot taken the wrapper stores in the foreground as before, so a cold build cannot pile up
// unbounded work or memory. The lock is the open file's: the child inherits it from the
// wrapper, it is released when the child ends however it ends, and a crash leaves no stale
// state. The child runs at a lower priority (nice 10): rustc processes come first.
//
// Crash-safe: the store writes as every store does — blobs first, the entry last, each by
// rename into place — so a store killed at any point leaves at most unreferenced blobs and
// temp files (`kiln cache verify` removes those), never a servable partial entry, and a build
// that looks up the key meanwhile simply misses.
//
// Counted at once: the wrapper writes the miss's stats event before it returns; a store that
// then does not store it writes an "unstored" event with the reason, which amends it. So
// `cargo kiln` reports without waiting. It waits for its session's stores (each slot file
// holds its holder's session, KILN_SESSION) only with remote stores, whose build index needs
// their keys, and on CI (CI set, as CI services do), where the job saves the store next
// (wait_for_background_stores). A bare RUSTC_WRAPPER=kiln has nobody to wait, so
// "auto" stores in the foreground there; `kiln cache wait` is for "on".
//
// Never a duplicate: a slot file also names the action being stored, and a wrapper whose
// lookup missed waits for a running store of its own action, then looks again
// (wait_for_pending_store): a build started while the last one's stores run — `cargo clean &&
// cargo kiln build` right after an edit — hits instead of compiling the same crate twice.
#pragma once

#include <optional>
#include <string>

#include "config/config.h"

namespace kiln {

/// True when this process should store misses in the background: cfg.background_store is
/// "on", or "auto" under `cargo kiln` (a session is set).
bool background_store_enabled(const Config& cfg);

/// The number of background stores a store allows at once: the machine's cores, at least 2.
int background_store_slots();

/// A claimed slot: an open, flock'ed slot file. Closing every copy of `fd` releases it.
struct StoreSlot {
  int fd = -1;
  int index = 0;
};

/// Claims a free slot of the store in `store_dir` for a store of the action `pre_key` (hex) in
/// `session` (both written into the slot file), out of `slots`. Returns nullopt when every
/// slot is taken or pending/ cannot be made (the caller then stores in the foreground).
std::optional<StoreSlot> claim_store_slot(const std::string& store_dir, const std::string& session,
                                          const std::string& pre_key, int slots);

/// When a background store of the action `pre_key` (hex) is running, waits for it to end (at
/// most `timeout_ms`) and returns true: a lookup that missed should look again. False at once
/// when there is none.
bool wait_for_pending_store(const std::string& store_dir, const std::string& pre_key, int timeout_ms);

/// In the child right after fork(): stdin, stdout and stderr to /dev/null (cargo is waiting
/// for the wrapper's pipes to close), nice 10, process name "kiln-store".
void become_background_store();

/// What waiting found.
struct StoreWait {
  int pending = 0;        // stores of the session that were running when the wait began
  int still_running = 0;  // of those, still running at the timeout
  double waited_ms = 0;
};

/// Waits until no slot of the store in `store_dir` is held by a store of `session` (every
/// session when empty), at most `timeout_ms` ms.
StoreWait wait_for_background_stores(const std::string& store_dir, const std::string& session, int timeout_ms);

}  // namespace kiln
