package redisstore_test

import (
	"testing"

	"github.com/webotp/webotp/verifier"
	"github.com/webotp/webotp/verifier/internal/redistest"
	"github.com/webotp/webotp/verifier/redisstore"
	"github.com/webotp/webotp/verifier/storetest"
)

// open returns a Store on url, closed when the test ends.
func open(t testing.TB, url string, opts redisstore.Options) *redisstore.Store {
	t.Helper()
	s, err := redisstore.Open(url, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", url, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	addr, _ := redistest.Start(t)
	s := open(t, "redis://"+addr+"/0", redisstore.Options{})
	storetest.Run(t, func(t *testing.T) verifier.Store { return s })
}

// The suite calls one method at a time, which the store sends to Redis
// directly; here every call goes through the auto-pipeliner instead.
func TestConformanceThroughTheAutoPipeliner(t *testing.T) {
	addr, _ := redistest.Start(t)
	s := open(t, "redis://"+addr+"/0", redisstore.Options{})
	redisstore.AlwaysPipeline(s)
	storetest.Run(t, func(t *testing.T) verifier.Store { return s })
}

func TestConformanceWithoutAutoPipeline(t *testing.T) {
	addr, _ := redistest.Start(t)
	s := open(t, "redis://"+addr+"/0", redisstore.Options{NoAutoPipeline: true})
	storetest.Run(t, func(t *testing.T) verifier.Store { return s })
}

func TestConformanceOnADatabaseOtherThanZeroWithAPrefix(t *testing.T) {
	addr, _ := redistest.Start(t)
	s := open(t, "redis://"+addr+"/3", redisstore.Options{KeyPrefix: "otp:"})
	storetest.Run(t, func(t *testing.T) verifier.Store { return s })
}

// A one-node Redis Cluster enforces the CROSSSLOT rule on every script, so
// the suite passing here shows every script's keys share a slot.
func TestConformanceOnRedisCluster(t *testing.T) {
	srv := redistest.New(t, redistest.Options{Cluster: true})
	s := open(t, "redis+cluster://"+srv.Addr, redisstore.Options{})
	storetest.Run(t, func(t *testing.T) verifier.Store { return s })
}
