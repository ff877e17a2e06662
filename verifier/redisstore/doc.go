// Package redisstore is a verifier.Store on Redis, so that any number of
// verifier instances share every verification and every limit exactly. It
// is written for Redis 6 and later, Valkey and Redis Cluster: it uses only
// standard commands and EVAL/EVALSHA scripts (no Redis 7 functions). The
// tests run on Redis 7.0, standalone and as a one-node cluster.
//
// # Atomicity
//
// Every method that reads and writes is one Lua script (lua/*.lua), run
// with EVALSHA and loaded again after NOSCRIPT (a restarted Redis), so each
// Store call is atomic and costs one round trip; Get is one GET. Service makes one
// Store call per API request (two for a right code: ReserveCheck, then
// Approve): the scripts refuse another app's verification themselves and
// count PerPhone limits under the record's phone key, so no read comes
// first. Scripts decide with the time the caller passes, never the Redis
// clock, so instances with slightly different clocks agree with themselves
// and tests are exact.
// Redis time only expires keys: a record lives until ExpiresAt + Retention
// (moved on by each resend), a limit counter until its window ends.
//
// # Keys
//
//	<prefix>{<id>}:r2                string: one verification (layout in record.go;
//	                                 the suffix changes with the layout, so a
//	                                 record of another layout is never read)
//	<prefix>{<app>:<phone key>}:n    string: id of the newest verification
//	<prefix>{<limit key>}:l          hash: fixed-window counter {n, e}
//
// A PerPhone limit's key is the key of a limit named Key+phone key. For
// the methods that take an id the script builds it: Go passes the key up
// to the name (prefix, "{", Key) in ARGV, and the script appends the
// record's phone key and "}:l" (limitKeyEnd), so both name the same
// counter.
//
// The phone appears in clear only inside the record (the API returns it
// masked); every key holds keyed hashes (phone keys, limit keys from the
// Service) or random ids.
//
// # Redis Cluster
//
// In a cluster all keys one script touches must share a hash slot. The
// operations are not confined to one verification: Create counts the
// per-phone, per-IP and per-app limits together with the record and the
// newest index, and a check counts the per-phone failure budget, which
// spans verifications. Giving each key its own slot would make those
// limits a sequence of separate scripts (count, then undo on refusal),
// which over-refuses under contention and leaves counts behind when an
// instance dies between steps; exact shared limits are the point of this
// store, so we do not.
//
// Instead, on a cluster the key prefix carries one hash tag
// (DefaultClusterKeyPrefix, "{webotp}:"), so all webotp keys live in one
// slot: every operation is then cluster-safe and atomic, and the cluster
// gives replication and failover, not sharding. That is enough: a pending
// verification is one small string and its counters, and a verification
// costs a handful of script runs (make bench measures both). The per-key tags in braces above are inert under a tagged
// prefix; they name the slot each key would take in a sharded layout. New
// refuses a cluster client whose prefix has no tag, and the conformance
// suite runs against a one-node cluster, which enforces the CROSSSLOT rule.
//
// Some scripts touch a key they build themselves rather than declare in
// KEYS: Newest reads the record whose id the index holds, and ReserveCheck,
// Resend and Approve count a PerPhone limit under the record's phone key
// (unknown before the script reads the record). On a cluster both share
// the slot of the declared keys through the prefix's tag, which Redis and
// Valkey allow: every webotp key is in that one slot, so this stays
// slot-safe. The one-node cluster run of the conformance suite, whose
// per-phone cases go through these scripts, checks it.
//
// # Failures
//
// Connection errors, timeouts, a full pool, and replies such as LOADING or
// READONLY are verifier.StoreUnavailable (HTTP 503 store_unavailable).
// Timeouts are short (DefaultTimeout) and a refused connection fails at
// once, so a dead Redis answers quickly; go-redis reconnects by itself when
// Redis is back.
//
// # Throughput
//
// By default the commands of concurrent calls are auto-pipelined: sent
// together in batches on few connections, which saves most of the system
// calls a round trip per request costs on both sides (Options.NoAutoPipeline
// turns it off). A batch waits up to Options.FlushDelay for more commands
// while the queue is short; a command with at most one other under way
// goes directly, so a lone request never waits for company. The
// conformance suite and the fault tests run every way.
//
// A record is one string, not a hash: a script reads it with one GET and
// changes a counter in place with SETRANGE (record.go).
//
// A command is retried once by default: a script whose
// reply was lost may then run twice, which can only count an event twice
// (limits err on the side of refusing), never approve twice; Create
// recognizes its own earlier run by a nonce.
package redisstore
