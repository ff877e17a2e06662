package redisstore

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/webotp/webotp/verifier"
)

var _ verifier.Store = (*Store)(nil)

// DefaultKeyPrefix starts every key the store writes on a single Redis.
const DefaultKeyPrefix = "webotp:"

// DefaultClusterKeyPrefix is the prefix on Redis Cluster: its hash tag puts
// every key in one slot, so that every script's keys share it.
const DefaultClusterKeyPrefix = "{webotp}:"

// DefaultTimeout bounds dialing, each read and write, and the wait for a
// pooled connection. A refused connection fails at once; a hung Redis
// answers store_unavailable after a write and a read timeout, twice (one
// retry): about one second, four with auto-pipelining, which replays a
// lost batch on a fresh connection. Redis answers in well under a
// millisecond when it answers at all.
const DefaultTimeout = 500 * time.Millisecond

// DefaultFlushDelay is Options.FlushDelay's default: long enough for the
// commands of concurrent requests to gather in one batch, short against a
// request's round trip.
const DefaultFlushDelay = 50 * time.Microsecond

// Options configure a Store. The zero value connects to 127.0.0.1:6379
// with the defaults below.
type Options struct {
	// Client is the Redis client to use, for deployments a URL cannot
	// describe (Sentinel, custom dialers). The Store does not close it.
	// When set, the connection fields below are ignored. A *redis.Ring is
	// refused: it shards keys without hash tags, so scripts would not be
	// atomic.
	Client redis.UniversalClient

	// Addr is host:port of the Redis server; default 127.0.0.1:6379.
	Addr     string
	Username string
	Password string
	DB       int
	// TLS, when not nil, connects with TLS.
	TLS *tls.Config

	// KeyPrefix starts every key; default DefaultKeyPrefix, or
	// DefaultClusterKeyPrefix on Redis Cluster, where a prefix must carry a
	// hash tag ("{...}").
	KeyPrefix string
	// PoolSize is the number of connections per CPU... as go-redis counts:
	// zero means go-redis's default (10 per GOMAXPROCS).
	PoolSize int
	// Timeout bounds dialing, reads, writes and waits for a connection;
	// zero means DefaultTimeout.
	Timeout time.Duration
	// NoAutoPipeline turns off auto-pipelining. By default the commands of
	// concurrent calls are sent together, in batches, on few connections
	// (go-redis's AutoPipeline, marked experimental there): far fewer
	// system calls on both sides under load (BenchmarkServiceWrongCheck
	// compares). A batch lost to a network error is retried whole, so a
	// script may run twice (see MaxRetries).
	NoAutoPipeline bool
	// FlushDelay is how long auto-pipelining waits for more concurrent
	// commands before it sends a batch, at most: go-redis shortens the
	// wait as the queue fills and sends a full batch at once. Fuller
	// batches cost both sides fewer system calls and wake-ups, for a
	// little latency when the verifier is idle. Zero means
	// DefaultFlushDelay; negative, no wait (batches form only from
	// commands that queue while one is in flight).
	FlushDelay time.Duration
	// MaxRetries is how often a failed command is retried; zero means 1,
	// negative none. A retried script may count an event twice (its first
	// run can have happened): limits err on the side of refusing.
	MaxRetries int
}

// Store is a verifier.Store on Redis (or Valkey, or Redis Cluster). It is
// safe for concurrent use, by any number of processes sharing the Redis.
type Store struct {
	// rdb runs the scripts and reads; base is the client itself, for Ping
	// and Close (rdb is base, or base's auto-pipeliner).
	rdb    redis.UniversalClient
	base   redis.UniversalClient
	owned  bool
	prefix string
	// nonce numbers Create calls, so that a Create retried by the client
	// after a lost reply recognizes its own record.
	nonce     atomic.Uint64
	nonceBase string
	// inflight counts the commands under way, to send a lone one directly
	// rather than through the auto-pipeliner (see pick).
	inflight atomic.Int64
	// directMax is the most commands under way that go directly; see
	// pick.
	directMax int64

	scripts
}

// New returns a Store on opts.Client, or on a new client for opts.Addr. It
// does not contact Redis: use Ping to check the connection.
func New(opts Options) (*Store, error) {
	if opts.Client != nil {
		return newStore(opts.Client, false, opts)
	}
	ro := &redis.Options{
		Addr:      opts.Addr,
		Username:  opts.Username,
		Password:  opts.Password,
		DB:        opts.DB,
		TLSConfig: opts.TLS,
	}
	if ro.Addr == "" {
		ro.Addr = "127.0.0.1:6379"
	}
	applyDefaults(ro, opts)
	return newStore(redis.NewClient(ro), true, opts)
}

// Open returns a Store for a URL:
//
//	redis://[[user]:password@]host[:port][/db]     plain TCP
//	rediss://[[user]:password@]host[:port][/db]    TLS
//	redis+cluster://[:password@]host:port[?addr=host2:port2...]   Redis Cluster (rediss+cluster for TLS)
//
// Query parameters go-redis understands (dial_timeout, pool_size...) take
// precedence over opts. opts.Client must be nil.
func Open(url string, opts Options) (*Store, error) {
	if opts.Client != nil {
		return nil, errors.New("redisstore: open: Options.Client is set; use New")
	}
	if rest, ok := strings.CutPrefix(url, "redis+cluster://"); ok {
		return openCluster("redis://"+rest, opts)
	}
	if rest, ok := strings.CutPrefix(url, "rediss+cluster://"); ok {
		return openCluster("rediss://"+rest, opts)
	}
	if !strings.HasPrefix(url, "redis://") && !strings.HasPrefix(url, "rediss://") {
		return nil, fmt.Errorf("redisstore: open: URL must start with redis://, rediss:// or redis+cluster://")
	}
	ro, err := redis.ParseURL(url)
	if err != nil {
		// The URL may hold a password: do not repeat it.
		return nil, errors.New("redisstore: open: invalid Redis URL")
	}
	if ro.TLSConfig != nil && opts.TLS != nil {
		ro.TLSConfig = opts.TLS
	}
	applyDefaults(ro, opts)
	return newStore(redis.NewClient(ro), true, opts)
}

func openCluster(url string, opts Options) (*Store, error) {
	co, err := redis.ParseClusterURL(url)
	if err != nil {
		return nil, errors.New("redisstore: open: invalid Redis Cluster URL")
	}
	if co.TLSConfig != nil && opts.TLS != nil {
		co.TLSConfig = opts.TLS
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	setDuration(&co.DialTimeout, timeout)
	setDuration(&co.ReadTimeout, timeout)
	setDuration(&co.WriteTimeout, timeout)
	setDuration(&co.PoolTimeout, timeout)
	if co.PoolSize == 0 {
		co.PoolSize = opts.PoolSize
	}
	if co.MaxRetries == 0 {
		co.MaxRetries = retries(opts.MaxRetries)
	}
	co.ContextTimeoutEnabled = true
	if co.AutoPipelineOptions == nil {
		co.AutoPipelineOptions = autoPipelineOptions(opts)
	}
	return newStore(redis.NewClusterClient(co), true, opts)
}

func applyDefaults(ro *redis.Options, opts Options) {
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	setDuration(&ro.DialTimeout, timeout)
	setDuration(&ro.ReadTimeout, timeout)
	setDuration(&ro.WriteTimeout, timeout)
	setDuration(&ro.PoolTimeout, timeout)
	if ro.PoolSize == 0 {
		ro.PoolSize = opts.PoolSize
	}
	if ro.MaxRetries == 0 {
		ro.MaxRetries = retries(opts.MaxRetries)
	}
	// One dial attempt per command: a refused connection fails at once
	// rather than after go-redis's five attempts with back-off.
	if ro.DialerRetries == 0 {
		ro.DialerRetries = 1
	}
	ro.ContextTimeoutEnabled = true
	if ro.AutoPipelineOptions == nil {
		ro.AutoPipelineOptions = autoPipelineOptions(opts)
	}
}

// autoPipelineOptions are go-redis's blocking auto-pipeline defaults with
// an adaptive flush delay of opts.FlushDelay.
func autoPipelineOptions(opts Options) *redis.AutoPipelineOptions {
	ap := redis.DefaultBlockingAutoPipelineOptions()
	switch d := opts.FlushDelay; {
	case d == 0:
		ap.MaxFlushDelay, ap.AdaptiveDelay = DefaultFlushDelay, true
	case d > 0:
		ap.MaxFlushDelay, ap.AdaptiveDelay = d, true
	}
	return ap
}

func setDuration(d *time.Duration, v time.Duration) {
	if *d == 0 {
		*d = v
	}
}

func retries(n int) int {
	switch {
	case n == 0:
		return 1
	case n < 0:
		return -1
	}
	return n
}

func newStore(rdb redis.UniversalClient, owned bool, opts Options) (*Store, error) {
	prefix := opts.KeyPrefix
	_, cluster := rdb.(*redis.ClusterClient)
	if _, ring := rdb.(*redis.Ring); ring {
		return nil, errors.New("redisstore: a redis.Ring shards keys without hash tags: use a Client or ClusterClient")
	}
	switch {
	case prefix == "" && cluster:
		prefix = DefaultClusterKeyPrefix
	case prefix == "":
		prefix = DefaultKeyPrefix
	case cluster && !hasHashTag(prefix):
		if owned {
			_ = rdb.Close()
		}
		return nil, fmt.Errorf("redisstore: key prefix %q has no hash tag ({...}): on Redis Cluster every script's keys must share a slot", prefix)
	}
	// The nonce starts with random bits so that two Stores (processes)
	// never make the same one.
	var b [6]byte
	_, _ = rand.Read(b[:])
	run := rdb
	if !opts.NoAutoPipeline {
		ap, err := rdb.AutoPipeline()
		if err != nil {
			if owned {
				_ = rdb.Close()
			}
			return nil, fmt.Errorf("redisstore: auto-pipeline: %w", err)
		}
		run = ap
	}
	return &Store{
		nonceBase: base64.RawURLEncoding.EncodeToString(b[:]) + ".",
		rdb:       run,
		base:      rdb,
		owned:     owned,
		prefix:    prefix,
		directMax: defaultDirectMax,
		scripts:   newScripts(),
	}, nil
}

// defaultDirectMax is the most commands under way at which a command goes to
// Redis directly: a lone command then takes one round trip at once. The
// auto-pipeliner's flush delay is a timer, and an idle Go runtime fires
// timers at millisecond granularity, so through it a lone command would
// wait about a millisecond for company that never comes.
const defaultDirectMax = 2

// pick returns the client for one command (the auto-pipeliner, or the
// client itself when few commands are under way) and the function to call
// when the command is done.
// Lone commands sent directly cost far less CPU and latency than through the pipeliner (go test -run '^$' -bench '^BenchmarkCheck$' ./verifier/redisstore/: redis against redis-always-pipeline).
func (s *Store) pick() (redis.UniversalClient, func()) {
	if s.rdb == s.base {
		return s.base, func() {}
	}
	if s.inflight.Add(1) <= s.directMax {
		return s.base, s.done
	}
	return s.rdb, s.done
}

func (s *Store) done() { s.inflight.Add(-1) }

// run runs a script (see pick) and returns its reply.
func (s *Store) run(ctx context.Context, script *redis.Script, keys []string, args ...any) ([]any, error) {
	c, done := s.pick()
	defer done()
	return script.Run(ctx, c, keys, args...).Slice()
}

// hasHashTag reports whether Redis Cluster would hash key by a tag: a
// non-empty "{...}".
func hasHashTag(key string) bool {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return false
	}
	j := strings.IndexByte(key[i+1:], '}')
	return j > 0
}

// Close closes the client the Store opened; a client passed in
// Options.Client is left open.
func (s *Store) Close() error {
	if !s.owned {
		return nil
	}
	return s.base.Close()
}

// Ping reports whether Redis answers, as StoreUnavailable when it does not.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return s.fail("ping", err)
	}
	if err := s.base.Ping(ctx).Err(); err != nil {
		return s.fail("ping", err)
	}
	return nil
}

// Keys. The part in braces is the hash tag Redis Cluster would hash were
// the prefix to carry none (see doc.go).

func (s *Store) recordKey(id string) string { return s.prefix + "{" + id + recordKeyEnd }

// recordKeyEnd ends every record key, in Go and in lua/newest.lua.
const recordKeyEnd = "}:r2"

func (s *Store) newestKey(appID, phoneKey string) string {
	return s.prefix + "{" + appID + ":" + phoneKey + "}:n"
}

func (s *Store) limitKey(key string) string { return s.limitKeyStart(key) + limitKeyEnd }

// limitKeyStart is a limit key up to the counter's name included: a
// PerPhone limit's script appends the record's phone key and limitKeyEnd,
// so that its key is limitKey(key + phone key).
func (s *Store) limitKeyStart(key string) string { return s.prefix + "{" + key }

// limitKeyEnd ends every limit key, in Go and in lua/limits.lua.
const limitKeyEnd = "}:l"

// Create stores v if every limit has room; see verifier.Store.
func (s *Store) Create(ctx context.Context, v *verifier.Verification, limits []verifier.Limit) error {
	if !validID(v.ID) {
		return fmt.Errorf("redisstore: create: malformed verification id %q", v.ID)
	}
	if err := ctx.Err(); err != nil {
		return s.fail("create", err)
	}
	now := v.CreatedAt
	keys := make([]string, 0, 2+len(limits))
	keys = append(keys, s.recordKey(v.ID), s.newestKey(v.AppID, v.PhoneKey))
	keys = s.appendLimitKeys(keys, limits, true, v.PhoneKey)
	// The newest index lives as long as the record can: resends move
	// ExpiresAt by at most Lifetime each, MaxSends times in all.
	newestTTL := v.ExpiresAt.Add(time.Duration(v.MaxSends) * v.Lifetime).Add(verifier.Retention).Sub(now)
	nonce := s.nonceBase + strconv.FormatUint(s.nonce.Add(1), 36)
	rec, err := encodeRecord(v, nonce)
	if err != nil {
		return fmt.Errorf("redisstore: create %s: %w", v.ID, err)
	}
	args := make([]any, 0, 7+4*len(limits))
	args = append(args, ms(now), ttl(v.ExpiresAt.Add(verifier.Retention).Sub(now)), ttl(newestTTL),
		v.ID, nonce, len(limits))
	args = s.appendLimitArgs(args, limits, true)
	args = append(args, rec)
	reply, err := s.run(ctx, s.create, keys, args...)
	if err != nil {
		return s.fail("create", err)
	}
	if _, err := decode(reply, 0, "", limits); err != nil {
		return fmt.Errorf("redisstore: create: %w", err)
	}
	return nil
}

// Get returns the verification or verifier.ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (*verifier.Verification, error) {
	if err := ctx.Err(); err != nil {
		return nil, s.fail("get", err)
	}
	if !validID(id) {
		return nil, verifier.ErrNotFound
	}
	c, done := s.pick()
	rec, err := c.Get(ctx, s.recordKey(id)).Result()
	done()
	if err != nil {
		return nil, s.fail("get", err)
	}
	return decodeRecord(id, rec)
}

// Newest returns the newest verification of the app and phone key.
func (s *Store) Newest(ctx context.Context, appID, phoneKey string) (*verifier.Verification, error) {
	if err := ctx.Err(); err != nil {
		return nil, s.fail("newest", err)
	}
	reply, err := s.run(ctx, s.newest, []string{s.newestKey(appID, phoneKey)}, s.prefix)
	if err != nil {
		return nil, s.fail("newest", err)
	}
	if len(reply) > 1 {
		id, _ := reply[1].(string)
		return decode(reply, 1, id, nil)
	}
	return decode(reply, 0, "", nil)
}

// Resend counts a new send on a verification of appID; see
// verifier.Store.
func (s *Store) Resend(ctx context.Context, appID, id string, keyIDs []string, now time.Time, limits []verifier.Limit) (*verifier.Verification, error) {
	if err := ctx.Err(); err != nil {
		return nil, s.fail("resend", err)
	}
	if !validID(id) {
		return nil, verifier.ErrNotFound
	}
	keys := s.appendLimitKeys(append(make([]string, 0, 1+len(limits)), s.recordKey(id)), limits, false, "")
	args := append(make([]any, 0, 5+4*len(limits)), ms(now), verifier.Retention.Milliseconds(), appID, s.keyList(keyIDs), len(limits))
	args = s.appendLimitArgs(args, limits, false)
	reply, err := s.run(ctx, s.resend, keys, args...)
	if err != nil {
		return nil, s.fail("resend", err)
	}
	return decode(reply, 0, id, limits)
}

// ReserveCheck counts one check attempt on a verification of appID; see
// verifier.Store.
func (s *Store) ReserveCheck(ctx context.Context, appID, id string, keyIDs []string, now time.Time, limits []verifier.Limit) (*verifier.Verification, error) {
	if err := ctx.Err(); err != nil {
		return nil, s.fail("reserve check", err)
	}
	if !validID(id) {
		return nil, verifier.ErrNotFound
	}
	keys := s.appendLimitKeys(append(make([]string, 0, 1+len(limits)), s.recordKey(id)), limits, false, "")
	args := append(make([]any, 0, 4+4*len(limits)), ms(now), appID, s.keyList(keyIDs), len(limits))
	args = s.appendLimitArgs(args, limits, false)
	reply, err := s.run(ctx, s.reserve, keys, args...)
	if err != nil {
		return nil, s.fail("reserve check", err)
	}
	return decode(reply, 0, id, limits)
}

// keyList is keyIDs as the scripts read them: each between NUL bytes
// (records hold no NUL, so neither does a key id that matches), "" for
// nil, which accepts any key.
func (s *Store) keyList(keyIDs []string) string {
	if keyIDs == nil {
		return ""
	}
	return "\x00" + strings.Join(keyIDs, "\x00") + "\x00"
}

// Approve marks a reserved, still current verification approved; see
// verifier.Store.
func (s *Store) Approve(ctx context.Context, id string, sends int, now time.Time, refund []verifier.Limit) (*verifier.Verification, error) {
	if err := ctx.Err(); err != nil {
		return nil, s.fail("approve", err)
	}
	if !validID(id) {
		return nil, verifier.ErrNotFound
	}
	keys := s.appendLimitKeys(append(make([]string, 0, 1+len(refund)), s.recordKey(id)), refund, false, "")
	args := append(make([]any, 0, 3+4*len(refund)), ms(now), sends, len(refund))
	args = s.appendLimitArgs(args, refund, false)
	reply, err := s.run(ctx, s.approve, keys, args...)
	if err != nil {
		return nil, s.fail("approve", err)
	}
	return decode(reply, 0, id, nil)
}

// Cancel marks a pending verification of appID canceled.
func (s *Store) Cancel(ctx context.Context, appID, id string, now time.Time) (*verifier.Verification, error) {
	if err := ctx.Err(); err != nil {
		return nil, s.fail("cancel", err)
	}
	if !validID(id) {
		return nil, verifier.ErrNotFound
	}
	reply, err := s.run(ctx, s.cancel, []string{s.recordKey(id)}, ms(now), appID)
	if err != nil {
		return nil, s.fail("cancel", err)
	}
	return decode(reply, 0, id, nil)
}

// DeliveryFailed records a failed send and gives it back; see
// verifier.Store.
func (s *Store) DeliveryFailed(ctx context.Context, id string, sends int, reason string, now time.Time, refund []verifier.Limit) error {
	if err := ctx.Err(); err != nil {
		return s.fail("delivery failed", err)
	}
	if reason == "" {
		return fmt.Errorf("redisstore: delivery failed %s: no reason", id)
	}
	if !validID(id) {
		return verifier.ErrNotFound
	}
	keys := s.appendLimitKeys(append(make([]string, 0, 1+len(refund)), s.recordKey(id)), refund, false, "")
	args := append(make([]any, 0, 4+4*len(refund)), ms(now), sends, reason, len(refund))
	args = s.appendLimitArgs(args, refund, false)
	reply, err := s.run(ctx, s.delivery, keys, args...)
	if err != nil {
		return s.fail("delivery failed", err)
	}
	_, err = decode(reply, 0, "", nil)
	return err
}

// appendLimitKeys appends the keys of the limits a script declares: all
// of them when resolved, with phoneKey completing PerPhone limits' names
// (Create knows the phone key), else those of the limits that are not
// PerPhone (the script names the others after the record's phone key; see
// appendLimitArgs).
func (s *Store) appendLimitKeys(keys []string, limits []verifier.Limit, resolved bool, phoneKey string) []string {
	for _, l := range limits {
		switch {
		case !l.PerPhone:
			keys = append(keys, s.limitKey(l.Key))
		case resolved:
			keys = append(keys, s.limitKey(l.Key+phoneKey))
		}
	}
	return keys
}

// appendLimitArgs appends each limit's (max, window, phone prefix,
// guard): the phone prefix is limitKeyStart(Key) for a PerPhone limit
// whose key the script builds, "" for a limit whose key appendLimitKeys
// declared; guard is "g" for a Guard limit, else "". resolved says that
// appendLimitKeys declared every key (Create).
func (s *Store) appendLimitArgs(args []any, limits []verifier.Limit, resolved bool) []any {
	for _, l := range limits {
		p, g := "", ""
		if l.PerPhone && !resolved {
			p = s.limitKeyStart(l.Key)
		}
		if l.Guard {
			g = "g"
		}
		args = append(args, l.Max, l.Window.Milliseconds(), p, g)
	}
	return args
}

// fail maps a client error: redis.Nil is ErrNotFound; a reply error that
// says the server cannot serve now, and every connection, timeout and pool
// error, is StoreUnavailable; any other reply error (a bug: wrong type, a
// script error) is returned wrapped, to be logged as internal.
func (s *Store) fail(op string, err error) error {
	if errors.Is(err, redis.Nil) {
		return verifier.ErrNotFound
	}
	var rerr redis.Error
	if errors.As(err, &rerr) && !busyReply(rerr.Error()) {
		return fmt.Errorf("redisstore: %s: %w", op, err)
	}
	return verifier.StoreUnavailable(fmt.Errorf("redisstore: %s: %w", op, err))
}

// busyReply reports whether a Redis error reply means the store cannot
// serve: loading, failing over, out of memory, unable to persist, or
// refusing our credentials (a configuration error an operator sees in
// /readyz, not a bug in a request).
func busyReply(msg string) bool {
	for _, p := range []string{"LOADING", "BUSY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN",
		"READONLY", "NOREPLICAS", "OOM", "MISCONF", "MOVED", "ASK", "NOAUTH", "WRONGPASS"} {
		if strings.HasPrefix(msg, p+" ") {
			return true
		}
	}
	return false
}

// validID reports whether id has the form Service gives ids: 22
// base64url characters. Other ids are never stored, and never put in a key
// (a brace would change its hash tag).
func validID(id string) bool {
	if len(id) != 22 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ms is t as unix milliseconds, the unit of every stored time.
func ms(t time.Time) int64 { return t.UnixMilli() }

// ttl is d in milliseconds, at least 1 (PEXPIRE 0 would delete the key).
func ttl(d time.Duration) int64 {
	if n := d.Milliseconds(); n > 0 {
		return n
	}
	return 1
}
