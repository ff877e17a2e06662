package memstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/webotp/webotp/verifier"
)

// Options configure a Store. The zero value means the defaults.
type Options struct {
	// Shards is the number of independently locked shards, rounded up to
	// a power of two (default 64).
	Shards int
	// MaxEntries bounds the verifications kept (default 5,000,000);
	// beyond it Create answers store_unavailable.
	MaxEntries int
	// SweepInterval is how often the background sweeper runs (default one
	// minute); negative starts none (call Sweep yourself).
	SweepInterval time.Duration
	// Now is the sweeper's clock (default time.Now).
	Now func() time.Time
}

// Defaults of Options.
const (
	DefaultShards        = 64
	DefaultMaxEntries    = 5_000_000
	DefaultSweepInterval = time.Minute
)

// Store is a verifier.Store in memory. It is safe for concurrent use.
type Store struct {
	shards     []shard
	mask       uint64
	seeds      [2]maphash.Seed
	entries    atomic.Int64
	maxEntries int64

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

var _ verifier.Store = (*Store)(nil)

type shard struct {
	mu   sync.Mutex
	recs map[[16]byte]*record
	ext  map[[16]byte]*recordExt
	// newest maps a hash of (app, phone key) to the newest verification's
	// id. A collision is caught when the record does not match, and then
	// answers not found: it fails closed.
	newest map[uint64][16]byte
	// counters maps a hash of a limit key to its packed counter. Hashes
	// are seeded per Store, so a collision is out of an attacker's reach.
	counters map[uint64]counter
	names    interner
	_        [64]byte // keeps neighbouring shards' locks off one cache line
}

// counter is one fixed window packed in 64 bits: the window's end in Unix
// milliseconds (42 bits, until 2109) and the events counted (22 bits: a
// Limit.Max beyond maxCount counts as maxCount).
// Packed and keyed by hash like the records, for the same memory bound (BenchmarkPendingMemory, "with limits").
type counter uint64

const (
	countBits = 22
	maxCount  = 1<<countBits - 1
)

func (c counter) n() int64   { return int64(c & maxCount) }
func (c counter) end() int64 { return int64(c >> countBits) }
func makeCounter(n, end int64) counter {
	return counter(uint64(end)<<countBits | uint64(n))
}

// New returns an empty Store and starts its sweeper unless
// opts.SweepInterval is negative. Close stops the sweeper.
func New(opts Options) *Store {
	n := opts.Shards
	if n <= 0 {
		n = DefaultShards
	}
	size := 1
	for size < n {
		size *= 2
	}
	s := &Store{
		shards:     make([]shard, size),
		mask:       uint64(size - 1),
		seeds:      [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		maxEntries: int64(opts.MaxEntries),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	if s.maxEntries <= 0 {
		s.maxEntries = DefaultMaxEntries
	}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.recs = make(map[[16]byte]*record)
		sh.ext = make(map[[16]byte]*recordExt)
		sh.newest = make(map[uint64][16]byte)
		sh.counters = make(map[uint64]counter)
	}
	interval := opts.SweepInterval
	if interval == 0 {
		interval = DefaultSweepInterval
	}
	if interval < 0 {
		close(s.done)
		return s
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	go s.sweeper(interval, now)
	return s
}

func (s *Store) sweeper(interval time.Duration, now func() time.Time) {
	defer close(s.done)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			s.Sweep(now())
		}
	}
}

// Close stops the background sweeper and waits for it. The Store stays
// usable. Close is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.stop) })
	<-s.done
	return nil
}

// Len returns the number of verifications kept.
func (s *Store) Len() int { return int(s.entries.Load()) }

// Sweep removes the records whose code expired more than
// verifier.Retention before now and the counters whose window ended.
func (s *Store) Sweep(now time.Time) {
	t := unixMilli(now)
	horizon := t - verifier.Retention.Milliseconds()
	type gone struct {
		id     [16]byte
		newest uint64
	}
	var removed []gone
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for id, r := range sh.recs {
			if r.expiresAt() <= horizon {
				ext := sh.ext[id]
				removed = append(removed, gone{id, s.newestHash(sh.names.profile(r.profile).app, r.phoneKeyString(ext))})
				delete(sh.recs, id)
				delete(sh.ext, id)
				s.entries.Add(-1)
			}
		}
		for k, c := range sh.counters {
			if c.end() <= t {
				delete(sh.counters, k)
			}
		}
		sh.mu.Unlock()
		for _, g := range removed {
			ns := &s.shards[g.newest&s.mask]
			ns.mu.Lock()
			if ns.newest[g.newest] == g.id {
				delete(ns.newest, g.newest)
			}
			ns.mu.Unlock()
		}
		removed = removed[:0]
	}
}

func (s *Store) idShard(id [16]byte) int {
	return int(binary.LittleEndian.Uint64(id[:8]) & s.mask)
}

// newestHash hashes (app, phone key) for the newest index; its low bits
// pick the shard.
func (s *Store) newestHash(app, phoneKey string) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seeds[1])
	h.WriteString(app)
	h.WriteByte(0)
	h.WriteString(phoneKey)
	return h.Sum64()
}

// counterKey hashes the name of lim's counter: lim.Key, followed by
// phoneKey when lim is PerPhone. The hash is that of the concatenation, so
// a PerPhone limit shares its counter with a plain limit named Key+phoneKey.
func (s *Store) counterKey(lim verifier.Limit, phoneKey []byte) uint64 {
	if !lim.PerPhone {
		return maphash.String(s.seeds[0], lim.Key)
	}
	var h maphash.Hash
	h.SetSeed(s.seeds[0])
	h.WriteString(lim.Key)
	h.Write(phoneKey)
	return h.Sum64()
}

// perPhone reports whether a limit needs the verification's phone key.
func perPhone(limits []verifier.Limit) bool {
	for _, l := range limits {
		if l.PerPhone {
			return true
		}
	}
	return false
}

func (s *Store) counterShard(k uint64) int { return int(k & s.mask) }

// locked is a set of shards held in ascending order.
type locked struct {
	s   *Store
	idx []int
	buf [8]int
}

// lock locks the shards of idx plus those of the limits' counters and
// returns the limits' counter keys in keys; phoneKey completes the names
// of PerPhone limits.
func (s *Store) lock(l *locked, limits []verifier.Limit, keys []uint64, phoneKey []byte, idx ...int) {
	l.s = s
	l.idx = append(l.buf[:0], idx...)
	for i, lim := range limits {
		keys[i] = s.counterKey(lim, phoneKey)
		l.idx = append(l.idx, s.counterShard(keys[i]))
	}
	slices.Sort(l.idx)
	l.idx = slices.Compact(l.idx)
	for _, i := range l.idx {
		s.shards[i].mu.Lock()
	}
}

func (l *locked) unlock() {
	for _, i := range slices.Backward(l.idx) {
		l.s.shards[i].mu.Unlock()
	}
}

// counterKeys returns room for the counter keys of limits.
func counterKeys(limits []verifier.Limit, buf *[4]uint64) []uint64 {
	if len(limits) <= len(buf) {
		return buf[:len(limits)]
	}
	return make([]uint64, len(limits))
}

// full returns RateLimited for the first limit without room at now, with
// the time until its window ends, or nil. The caller holds the counters'
// shards.
func (s *Store) full(limits []verifier.Limit, keys []uint64, now int64) error {
	for i, lim := range limits {
		c := s.shards[s.counterShard(keys[i])].counters[keys[i]]
		if c.end() <= now {
			continue
		}
		if c.n() >= min(int64(lim.Max), maxCount) {
			return rateLimited(time.Duration(c.end()-now)*time.Millisecond, lim.Message)
		}
	}
	return nil
}

// count adds one event to each limit but guards. The caller holds the
// counters' shards.
func (s *Store) count(limits []verifier.Limit, keys []uint64, now int64) {
	for i, lim := range limits {
		if lim.Guard {
			continue
		}
		m := s.shards[s.counterShard(keys[i])].counters
		c := m[keys[i]]
		if c.end() <= now {
			c = makeCounter(0, now+lim.Window.Milliseconds())
		}
		if c.n() < maxCount {
			c = makeCounter(c.n()+1, c.end())
		}
		m[keys[i]] = c
	}
}

// refund takes one event back from each limit but guards whose window is
// open. The caller holds the counters' shards.
func (s *Store) refund(limits []verifier.Limit, keys []uint64, now int64) {
	for i := range limits {
		if limits[i].Guard {
			continue
		}
		m := s.shards[s.counterShard(keys[i])].counters
		if c, ok := m[keys[i]]; ok && c.end() > now && c.n() > 0 {
			m[keys[i]] = makeCounter(c.n()-1, c.end())
		}
	}
}

// rateLimited is a limit's refusal, with its message or a generic one.
func rateLimited(d time.Duration, message string) error {
	if message == "" {
		message = "Too many requests; try again later."
	}
	return verifier.RateLimited(d, message)
}

// holds reports whether keyIDs name keyID; nil names every key.
func holds(keyIDs []string, keyID string) bool {
	if keyIDs == nil {
		return true
	}
	for _, k := range keyIDs {
		if k == keyID {
			return true
		}
	}
	return false
}

func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return verifier.StoreUnavailable(fmt.Errorf("memstore: %w", err))
	}
	return nil
}

// Create implements verifier.Store.
func (s *Store) Create(ctx context.Context, v *verifier.Verification, limits []verifier.Limit) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	id, ok := parseID(v.ID)
	if !ok {
		return fmt.Errorf("memstore: create: malformed id %q", v.ID)
	}
	if s.entries.Load() >= s.maxEntries {
		return verifier.StoreUnavailable(fmt.Errorf("memstore: full: %d verifications", s.maxEntries))
	}
	now := unixMilli(v.CreatedAt)
	var kb [4]uint64
	keys := counterKeys(limits, &kb)
	nh := s.newestHash(v.AppID, v.PhoneKey)
	ri, ni := s.idShard(id), int(nh&s.mask)
	var l locked
	var phoneKey []byte
	if perPhone(limits) {
		phoneKey = []byte(v.PhoneKey)
	}
	s.lock(&l, limits, keys, phoneKey, ri, ni)
	defer l.unlock()
	rs := &s.shards[ri]
	if _, exists := rs.recs[id]; exists {
		return fmt.Errorf("memstore: create: id %s exists", v.ID)
	}
	r, ext, err := encode(v, &rs.names)
	if err != nil {
		return fmt.Errorf("memstore: create %s: %w", v.ID, err)
	}
	if err := s.full(limits, keys, now); err != nil {
		return err
	}
	s.count(limits, keys, now)
	rs.recs[id] = r
	if ext != nil {
		rs.ext[id] = ext
	}
	s.entries.Add(1)
	s.shards[ni].newest[nh] = id
	return nil
}

// Get implements verifier.Store.
func (s *Store) Get(ctx context.Context, id string) (*verifier.Verification, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	k, ok := parseID(id)
	if !ok {
		return nil, verifier.ErrNotFound
	}
	return s.get(k, id, nil)
}

// get returns the verification of k, named id, if match accepts it.
func (s *Store) get(k [16]byte, id string, match func(r *record, ext *recordExt, in *interner) bool) (*verifier.Verification, error) {
	sh := &s.shards[s.idShard(k)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	r, ok := sh.recs[k]
	if !ok {
		return nil, verifier.ErrNotFound
	}
	ext := sh.extOf(k, r)
	if match != nil && !match(r, ext, &sh.names) {
		return nil, verifier.ErrNotFound
	}
	return r.decode(id, ext, &sh.names), nil
}

func (sh *shard) extOf(k [16]byte, r *record) *recordExt {
	if r.flags&hasExt == 0 {
		return nil
	}
	return sh.ext[k]
}

// Newest implements verifier.Store.
func (s *Store) Newest(ctx context.Context, appID, phoneKey string) (*verifier.Verification, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	nh := s.newestHash(appID, phoneKey)
	sh := &s.shards[nh&s.mask]
	sh.mu.Lock()
	id, found := sh.newest[nh]
	sh.mu.Unlock()
	if !found {
		return nil, verifier.ErrNotFound
	}
	return s.get(id, formatID(id), func(r *record, ext *recordExt, in *interner) bool {
		return in.profile(r.profile).app == appID && r.samePhoneKey(phoneKey, ext)
	})
}

// update runs f on the record of id with its shard and the limits'
// counters locked, and returns the record as f left it. A record of
// another app than *appID is not found, and f does not run; a nil appID
// accepts any app (Approve, which follows a reservation that checked it).
// f gets the shard's interner, to read the record's profile.
//
// The counters of PerPhone limits are named after the record's phone key:
// it is read under the record's lock first, then every shard is locked in
// order. Should the record have been swept (and its id created again) in
// between, the record is not found: a pointer that changed fails closed.
func (s *Store) update(ctx context.Context, appID *string, id string, limits []verifier.Limit, f func(r *record, keys []uint64, in *interner) error) (*verifier.Verification, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	k, ok := parseID(id)
	if !ok {
		return nil, verifier.ErrNotFound
	}
	var kb [4]uint64
	keys := counterKeys(limits, &kb)
	ri := s.idShard(k)
	sh := &s.shards[ri]
	var (
		l    locked
		seen *record
	)
	if perPhone(limits) {
		var pk [64]byte
		sh.mu.Lock()
		r, ok := sh.recs[k]
		if !ok || !sh.owns(r, appID) {
			sh.mu.Unlock()
			return nil, verifier.ErrNotFound
		}
		phoneKey := r.appendPhoneKey(pk[:0], sh.extOf(k, r))
		sh.mu.Unlock()
		seen = r
		s.lock(&l, limits, keys, phoneKey, ri)
	} else {
		s.lock(&l, limits, keys, nil, ri)
	}
	defer l.unlock()
	r, ok := sh.recs[k]
	if !ok || seen != nil && r != seen || !sh.owns(r, appID) {
		return nil, verifier.ErrNotFound
	}
	if err := f(r, keys, &sh.names); err != nil {
		return nil, err
	}
	return r.decode(id, sh.extOf(k, r), &sh.names), nil
}

// owns reports whether r is a verification of *appID (of any app when
// appID is nil). The caller holds sh's lock.
func (sh *shard) owns(r *record, appID *string) bool {
	return appID == nil || sh.names.profile(r.profile).app == *appID
}

// Resend implements verifier.Store.
func (s *Store) Resend(ctx context.Context, appID, id string, keyIDs []string, now time.Time, limits []verifier.Limit) (*verifier.Verification, error) {
	t := unixMilli(now)
	k, _ := parseID(id)
	return s.update(ctx, &appID, id, limits, func(r *record, keys []uint64, in *interner) error {
		if st := r.status(t); st != verifier.StatusPending {
			return verifier.NotPending(st)
		}
		if kid := in.profile(r.profile).keyID; !holds(keyIDs, kid) {
			return verifier.KeyUnavailable(kid)
		}
		if r.sends >= r.maxSends {
			return verifier.RateLimited(time.Duration(r.expiresAt()-t)*time.Millisecond, "No more codes can be sent for this verification; start a new one when it expires.")
		}
		if after := r.created + int64(r.resendAfter); t < after {
			return verifier.RateLimited(time.Duration(after-t)*time.Millisecond, "A new code cannot be sent yet.")
		}
		if err := s.full(limits, keys, t); err != nil {
			return err
		}
		if err := r.resent(t); err != nil {
			return fmt.Errorf("memstore: %s: %w", id, err)
		}
		s.count(limits, keys, t)
		s.shards[s.idShard(k)].setDeliveryError(k, r, "")
		return nil
	})
}

// ReserveCheck implements verifier.Store.
func (s *Store) ReserveCheck(ctx context.Context, appID, id string, keyIDs []string, now time.Time, limits []verifier.Limit) (*verifier.Verification, error) {
	t := unixMilli(now)
	return s.update(ctx, &appID, id, limits, func(r *record, keys []uint64, in *interner) error {
		if st := r.status(t); st != verifier.StatusPending {
			return verifier.NotPending(st)
		}
		if kid := in.profile(r.profile).keyID; !holds(keyIDs, kid) {
			return verifier.KeyUnavailable(kid)
		}
		if err := s.full(limits, keys, t); err != nil {
			return err
		}
		s.count(limits, keys, t)
		r.attempts++
		return nil
	})
}

// Approve implements verifier.Store.
func (s *Store) Approve(ctx context.Context, id string, sends int, now time.Time, refund []verifier.Limit) (*verifier.Verification, error) {
	t := unixMilli(now)
	return s.update(ctx, nil, id, refund, func(r *record, keys []uint64, _ *interner) error {
		if r.stored != storedPending {
			return verifier.NotPending(r.storedStatus())
		}
		if t >= r.expiresAt() {
			return verifier.NotPending(verifier.StatusExpired)
		}
		if int(r.sends) != sends {
			return verifier.NotPending(r.status(t))
		}
		r.stored = storedApproved
		s.refund(refund, keys, t)
		return nil
	})
}

// Cancel implements verifier.Store.
func (s *Store) Cancel(ctx context.Context, appID, id string, now time.Time) (*verifier.Verification, error) {
	t := unixMilli(now)
	return s.update(ctx, &appID, id, nil, func(r *record, _ []uint64, _ *interner) error {
		if st := r.status(t); st != verifier.StatusPending {
			return verifier.NotPending(st)
		}
		r.stored = storedCanceled
		return nil
	})
}

// DeliveryFailed implements verifier.Store.
func (s *Store) DeliveryFailed(ctx context.Context, id string, sends int, reason string, now time.Time, refund []verifier.Limit) error {
	if reason == "" {
		return fmt.Errorf("memstore: delivery failed %s: no reason", id)
	}
	t := unixMilli(now)
	k, _ := parseID(id)
	sh := &s.shards[s.idShard(k)]
	_, err := s.update(ctx, nil, id, refund, func(r *record, keys []uint64, _ *interner) error {
		if int(r.sends) != sends {
			return nil
		}
		if ext := sh.extOf(k, r); ext != nil && ext.deliveryError != "" {
			return nil // already recorded, and given back
		}
		sh.setDeliveryError(k, r, reason)
		if after := t - r.created; after < int64(r.resendAfter) && after >= math.MinInt32 {
			r.resendAfter = int32(after)
		}
		s.refund(refund, keys, t)
		return nil
	})
	return err
}

// setDeliveryError records reason in r's ext, dropping the ext when it no
// longer holds anything. The caller holds sh's lock.
func (sh *shard) setDeliveryError(k [16]byte, r *record, reason string) {
	ext := sh.extOf(k, r)
	if ext == nil {
		if reason == "" {
			return
		}
		ext = &recordExt{}
		sh.ext[k] = ext
		r.flags |= hasExt
	}
	ext.deliveryError = reason
	if *ext == (recordExt{}) {
		delete(sh.ext, k)
		r.flags &^= hasExt
	}
}

// Ping implements verifier.Store: memory always answers.
func (s *Store) Ping(ctx context.Context) error { return ctxErr(ctx) }
