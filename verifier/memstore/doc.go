// Package memstore is the verifier.Store kept in process memory: the
// embedded default for a single instance.
//
// Records and counters live in sharded maps, each shard behind its own
// mutex; an operation locks every shard it touches in ascending order, so
// each operation is atomic and shards never deadlock. Records are packed
// (ids as 16-byte keys, times as Unix milliseconds, repeated strings
// interned), so that a million pending verifications fit in a few hundred
// megabytes (record.go).
//
// Records are kept until their code's expiry plus verifier.Retention and
// counters until their window ends; Sweep removes the others, and New
// starts a sweeper that calls it periodically until Close.
//
// Memory is bounded: beyond Options.MaxEntries verifications, Create
// answers store_unavailable (503) rather than evicting anyone's pending
// verification or blaming the caller with rate_limited: a full store is
// the operator's capacity problem, one that readiness checks and alerts
// should see.
//
// A restart loses every verification. They then fail closed: not_found,
// never approved.
package memstore
