// Every PostgreSQL advisory-lock key pagelift uses, in one place so that two singletons never share a key by accident.
// Keys are 64-bit; the high bytes spell "pagel" so they do not collide with other applications sharing a database.
#pragma once

#include <cstdint>

namespace pagelift::db::advisory_locks {

inline constexpr std::int64_t kBase = 0x706167656C000000;  // "pagel" followed by a 24-bit slot

// Held (session level) while migrations run, so that copies starting at once migrate exactly once.
inline constexpr std::int64_t kMigrations = kBase + 1;
// Held (transaction level) by the partition maintenance job; another copy that cannot take it skips its run.
inline constexpr std::int64_t kEventPartitions = kBase + 2;

// Two-key locks (pg_advisory_lock(int, int), a key space apart from the 64-bit keys above): the class of the per-target
// lock recommend/patches holds (session level) while it reads, writes and records one patch target of one shop; the
// second key is hashtext(shop_id || ' ' || target).
inline constexpr std::int32_t kPatchTargetClass = 0x706C7470;  // "pltp"

}  // namespace pagelift::db::advisory_locks
