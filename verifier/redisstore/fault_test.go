package redisstore_test

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/internal/redistest"
	"github.com/webotp/webotp/verifier/redisstore"
	"github.com/webotp/webotp/verifier/storetest"
)

// Bounds on how long a call may take while Redis is down: liveness bounds
// (no call hangs), not performance figures. A stopped Redis refuses
// connections at once; a hung one costs a write and a read timeout
// (DefaultTimeout each) per attempt, two attempts, and the auto-pipeliner
// replays a batch on a fresh connection, which doubles that.
const (
	bound     = 6 * redisstore.DefaultTimeout
	hungBound = 12 * redisstore.DefaultTimeout
)

// pending returns a new pending verification of app "app" created now
// (truncated to the millisecond, as Service does).
func pending(t testing.TB, now time.Time) *verifier.Verification {
	t.Helper()
	return storetest.Pending("app", now)
}

func now() time.Time { return time.Now().Truncate(time.Millisecond).UTC() }

// method is one Store call on a verification.
type method struct {
	name string
	call func(ctx context.Context, s verifier.Store, v *verifier.Verification) error
}

// methods call every Store method once on v.
var methods = []method{
	{"Create", func(ctx context.Context, s verifier.Store, v *verifier.Verification) error {
		fresh := *v
		fresh.ID = v.ID[:21] + "A"
		return s.Create(ctx, &fresh, limits(v))
	}},
	{"Get", func(ctx context.Context, s verifier.Store, v *verifier.Verification) error {
		_, err := s.Get(ctx, v.ID)
		return err
	}},
	{"Newest", func(ctx context.Context, s verifier.Store, v *verifier.Verification) error {
		_, err := s.Newest(ctx, v.AppID, v.PhoneKey)
		return err
	}},
	{"Resend", func(ctx context.Context, s verifier.Store, v *verifier.Verification) error {
		_, err := s.Resend(ctx, v.AppID, v.ID, nil, now().Add(time.Minute), limits(v))
		return err
	}},
	{"ReserveCheck", func(ctx context.Context, s verifier.Store, v *verifier.Verification) error {
		_, err := s.ReserveCheck(ctx, v.AppID, v.ID, nil, now(), limits(v))
		return err
	}},
	{"Approve", func(ctx context.Context, s verifier.Store, v *verifier.Verification) error {
		_, err := s.Approve(ctx, v.ID, 1, now(), limits(v))
		return err
	}},
	{"Cancel", func(ctx context.Context, s verifier.Store, v *verifier.Verification) error {
		_, err := s.Cancel(ctx, v.AppID, v.ID, now())
		return err
	}},
	{"DeliveryFailed", func(ctx context.Context, s verifier.Store, v *verifier.Verification) error {
		return s.DeliveryFailed(ctx, v.ID, 1, "x", now(), limits(v))
	}},
	{"Ping", func(ctx context.Context, s verifier.Store, v *verifier.Verification) error {
		return s.Ping(ctx)
	}},
}

func limits(v *verifier.Verification) []verifier.Limit {
	return []verifier.Limit{{Key: "fault:" + v.PhoneKey, Max: 100, Window: time.Hour}}
}

func wantUnavailable(t *testing.T, what string, err error, took time.Duration) {
	t.Helper()
	wantUnavailableWithin(t, what, err, took, bound)
}

func wantUnavailableWithin(t *testing.T, what string, err error, took, bound time.Duration) {
	t.Helper()
	if code := verifier.ErrorCode(err); code != verifier.CodeStoreUnavailable {
		t.Errorf("%s: %v (code %s), want store_unavailable", what, err, code)
	}
	if took > bound {
		t.Errorf("%s took %v, more than %v", what, took, bound)
	}
}

// goroutines counts goroutines, giving those on their way out up to 2 s
// to finish when there are more than limit.
func goroutines(limit int) int {
	n := runtime.NumGoroutine()
	for i := 0; i < 100 && n > limit; i++ {
		time.Sleep(20 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

// modes are the client set-ups the fault tests run with.
var modes = []struct {
	name string
	opts redisstore.Options
}{
	{"auto-pipelined", redisstore.Options{}},
	{"not pipelined", redisstore.Options{NoAutoPipeline: true}},
}

func TestAStoppedRedisAnswersStoreUnavailableQuicklyAndTheStoreRecovers(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) { testStoppedRedis(t, m.opts) })
	}
}

func testStoppedRedis(t *testing.T, opts redisstore.Options) {
	srv := redistest.New(t, redistest.Options{})
	s := open(t, "redis://"+srv.Addr, opts)
	ctx := t.Context()
	v := pending(t, now())
	if err := s.Create(ctx, v, nil); err != nil {
		t.Fatal(err)
	}
	// Warm the pool so that dead pooled connections are part of the test.
	_, _ = parallelCalls(ctx, s, v, 50)
	before := runtime.NumGoroutine()

	srv.Stop()
	for name, err := range timed(ctx, s, v) {
		wantUnavailable(t, name+" with Redis stopped", err.err, err.took)
	}
	// A burst of requests while Redis is down fails fast and leaves no
	// goroutines behind.
	start := time.Now()
	codes, _ := parallelCalls(ctx, s, v, 200)
	if took := time.Since(start); took > 2*bound {
		t.Errorf("200 parallel calls with Redis stopped took %v", took)
	}
	for code, n := range codes {
		if code != verifier.CodeStoreUnavailable {
			t.Errorf("%d calls answered %s with Redis stopped, want store_unavailable", n, code)
		}
	}
	if after := goroutines(before + 5); after > before+5 {
		t.Errorf("%d goroutines after the burst, %d before", after, before)
	}

	srv.Start()
	w := waitRecovered(t, s)
	if err := s.Create(ctx, w, nil); err != nil {
		t.Fatalf("Create after Redis came back: %v", err)
	}
	if _, err := s.ReserveCheck(ctx, w.AppID, w.ID, nil, now(), nil); err != nil {
		t.Fatalf("ReserveCheck after Redis came back: %v", err)
	}
	// A burst after recovery opens no more connections than the pools
	// hold (go-redis: 10 per CPU, plus 10 for pipelines).
	_, _ = parallelCalls(ctx, s, w, 200)
	maxConns := 10*runtime.GOMAXPROCS(0) + 10 + 1 // +1: the INFO below
	n, _ := strconv.Atoi(srv.Info("connected_clients"))
	if n > maxConns {
		t.Errorf("%d connections to Redis after a burst of 200, want at most %d", n, maxConns)
	}
	if after := goroutines(before + 5); after > before+5 {
		t.Errorf("%d goroutines after recovery, %d before", after, before)
	}
}

// waitRecovered polls Ping until the store answers again and returns a
// fresh verification to continue with.
func waitRecovered(t *testing.T, s *redisstore.Store) *verifier.Verification {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.Ping(t.Context())
		if err == nil {
			return pending(t, now())
		}
		if time.Now().After(deadline) {
			t.Fatalf("store did not recover within 10 s after Redis came back: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestAHungRedisTimesOutWithStoreUnavailable(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) { testHungRedis(t, m.opts) })
	}
}

func testHungRedis(t *testing.T, opts redisstore.Options) {
	srv := redistest.New(t, redistest.Options{})
	s := open(t, "redis://"+srv.Addr, opts)
	ctx := t.Context()
	v := pending(t, now())
	if err := s.Create(ctx, v, nil); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	srv.Freeze()
	for name, err := range timedParallel(ctx, s, v) {
		wantUnavailableWithin(t, name+" with Redis hung", err.err, err.took, hungBound)
	}
	srv.Thaw()
	waitRecovered(t, s)
	if _, err := s.Get(ctx, v.ID); err != nil {
		t.Fatalf("Get after Redis resumed: %v", err)
	}
	if after := goroutines(before + 5); after > before+5 {
		t.Errorf("%d goroutines after Redis resumed, %d before", after, before)
	}
}

func TestAPendingVerificationSurvivesARedisRestartWithPersistence(t *testing.T) {
	srv := redistest.New(t, redistest.Options{Persist: true})
	s := open(t, "redis://"+srv.Addr, redisstore.Options{})
	ctx := t.Context()
	t0 := now()
	v := pending(t, t0)
	l := []verifier.Limit{{Key: "restart:" + v.PhoneKey, Max: 3, Window: time.Hour}}
	if err := s.Create(ctx, v, l); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReserveCheck(ctx, v.AppID, v.ID, nil, t0, l); err != nil {
		t.Fatal(err)
	}

	srv.Stop() // SIGKILL: only what the append-only file holds survives
	srv.Start()
	waitRecovered(t, s)

	got, err := s.Get(ctx, v.ID)
	if err != nil {
		t.Fatalf("Get after the restart: %v", err)
	}
	if got.StatusAt(t0) != verifier.StatusPending || got.Attempts != 1 {
		t.Fatalf("after the restart: status %s, %d attempts; want pending, 1", got.StatusAt(t0), got.Attempts)
	}
	// The limit counter survived too: Create and the first check counted
	// two events of three.
	if _, err := s.ReserveCheck(ctx, v.AppID, v.ID, nil, t0, l); err != nil {
		t.Fatalf("ReserveCheck after the restart: %v", err)
	}
	_, err = s.ReserveCheck(ctx, v.AppID, v.ID, nil, t0, l)
	if verifier.ErrorCode(err) != verifier.CodeRateLimited {
		t.Fatalf("a fourth event against a limit of 3: %v, want rate_limited", err)
	}
}

func TestAnApprovalHappensOnceAcrossTwoStores(t *testing.T) {
	addr, _ := redistest.Start(t)
	a := open(t, "redis://"+addr, redisstore.Options{})
	b := open(t, "redis://"+addr, redisstore.Options{})
	ctx := t.Context()
	for range 20 {
		t0 := now()
		v := pending(t, t0)
		if err := a.Create(ctx, v, nil); err != nil {
			t.Fatal(err)
		}
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			approved int
		)
		gate := make(chan struct{})
		for i := range 40 {
			s := a
			if i%2 == 1 {
				s = b
			}
			wg.Go(func() {
				<-gate
				_, err := s.Approve(ctx, v.ID, 1, t0, nil)
				if err == nil {
					mu.Lock()
					approved++
					mu.Unlock()
				} else if verifier.ErrorCode(err) != verifier.CodeNotPending {
					t.Errorf("Approve: %v, want nil or not_pending", err)
				}
			})
		}
		close(gate)
		wg.Wait()
		if approved != 1 {
			t.Fatalf("%d of 40 parallel approvals from two stores succeeded, want 1", approved)
		}
	}
}

type result struct {
	err  error
	took time.Duration
}

// timed runs every method once, timing each.
func timed(ctx context.Context, s verifier.Store, v *verifier.Verification) map[string]result {
	out := map[string]result{}
	for _, m := range methods {
		start := time.Now()
		err := m.call(ctx, s, v)
		out[m.name] = result{err, time.Since(start)}
	}
	return out
}

// timedParallel runs every method once, all at the same time, timing each.
func timedParallel(ctx context.Context, s verifier.Store, v *verifier.Verification) map[string]result {
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		out = map[string]result{}
	)
	for _, m := range methods {
		wg.Go(func() {
			start := time.Now()
			err := m.call(ctx, s, v)
			mu.Lock()
			out[m.name] = result{err, time.Since(start)}
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// parallelCalls runs n goroutines each calling every method once and
// counts the error codes.
func parallelCalls(ctx context.Context, s verifier.Store, v *verifier.Verification, n int) (map[verifier.Code]int, int) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		codes = map[verifier.Code]int{}
		ok    int
	)
	for range n {
		wg.Go(func() {
			for _, m := range methods {
				err := m.call(ctx, s, v)
				mu.Lock()
				if err == nil {
					ok++
				} else {
					codes[verifier.ErrorCode(err)]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return codes, ok
}

func TestARedisOutOfMemoryAnswersStoreUnavailable(t *testing.T) {
	srv := redistest.New(t, redistest.Options{})
	s := open(t, "redis://"+srv.Addr, redisstore.Options{})
	ctx := t.Context()
	v := pending(t, now())
	if err := s.Create(ctx, v, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Command("CONFIG", "SET", "maxmemory", "1"); err != nil {
		t.Fatal(err)
	}
	_, err := s.ReserveCheck(ctx, v.AppID, v.ID, nil, now(), nil)
	if code := verifier.ErrorCode(err); code != verifier.CodeStoreUnavailable {
		t.Fatalf("ReserveCheck with Redis out of memory: %v (code %s), want store_unavailable", err, code)
	}
	if _, err := srv.Command("CONFIG", "SET", "maxmemory", "0"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReserveCheck(ctx, v.AppID, v.ID, nil, now(), nil); err != nil {
		t.Fatalf("ReserveCheck once memory is back: %v", err)
	}
}

func TestClosingAStoreLeavesNoGoroutines(t *testing.T) {
	addr, _ := redistest.Start(t)
	ctx := t.Context()
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			for range 10 {
				s, err := redisstore.Open("redis://"+addr, m.opts)
				if err != nil {
					t.Fatal(err)
				}
				v := pending(t, now())
				if err := s.Create(ctx, v, nil); err != nil {
					t.Fatal(err)
				}
				_, _ = parallelCalls(ctx, s, v, 20)
				if err := s.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
			}
			if after := goroutines(before + 2); after > before+2 {
				t.Fatalf("%d goroutines after opening, using and closing 10 stores, %d before", after, before)
			}
		})
	}
}
