package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/webotp/webotp/verifier"
)

// memResult is what `webotpbench mem` prints, as one JSON object.
type memResult struct {
	Store    string  `json:"store"`
	N        int     `json:"n"`
	Before   int64   `json:"before"` // heap in use (memstore) or Redis used_memory
	After    int64   `json:"after"`
	BytesPer float64 `json:"bytes_per"`
	Seconds  float64 `json:"seconds"` // to create them
}

// runMem creates n pending verifications through Service.Start (each for
// its own phone number, so each also holds its per-phone start counter, as
// in production) and reports the memory they take: live heap after a
// collection for memstore, Redis's used_memory for Redis.
func runMem(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("mem", flag.ContinueOnError)
	store := fs.String("store", "memory", "memory or redis://host:port/db (flushed first)")
	n := fs.Int("n", 1000000, "pending verifications")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n <= 0 || *n > 8000000 {
		return errors.New("-n must be between 1 and 8,000,000 (distinct +1 415 numbers)")
	}
	// A generous Redis timeout: this measures memory, not latency, and a
	// busy machine can stall Redis beyond the default second.
	st, closeStore, err := openStore(*store, time.Now, 1, 30*time.Second)
	if err != nil {
		return err
	}
	defer closeStore()
	svc, err := verifier.NewService(verifier.Config{
		Store:  st,
		Sender: discardSender{},
		Keys:   []verifier.MasterKey{{ID: "bench", Secret: []byte("bench-master-key-of-at-least-32-bytes")}},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return fmt.Errorf("service: %w", err)
	}
	app := benchApp()

	var rdb *redis.Client
	measure := func() (int64, error) {
		runtime.GC()
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc), nil
	}
	if *store != "memory" {
		u, err := url.Parse(*store)
		if err != nil {
			return fmt.Errorf("--store: %w", err)
		}
		rdb = redis.NewClient(&redis.Options{Addr: u.Host})
		defer rdb.Close()
		if err := rdb.FlushAll(ctx).Err(); err != nil {
			return fmt.Errorf("redis flushall: %w", err)
		}
		measure = func() (int64, error) { return redisUsedMemory(ctx, rdb) }
	}

	res := memResult{Store: *store, N: *n}
	if res.Before, err = measure(); err != nil {
		return err
	}
	began := time.Now()
	const workers = 16
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < *n; i += workers {
				req := verifier.StartRequest{Phone: fmt.Sprintf("+1415%07d", 2000000+i), Origin: benchOrigin}
				if _, err := svc.Start(ctx, app, req); err != nil {
					errs[w] = fmt.Errorf("start %d: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	res.Seconds = time.Since(began).Seconds()
	if res.After, err = measure(); err != nil {
		return err
	}
	res.BytesPer = float64(res.After-res.Before) / float64(*n)
	runtime.KeepAlive(st)
	return json.NewEncoder(stdout).Encode(res)
}

// redisUsedMemory reads used_memory from INFO memory.
func redisUsedMemory(ctx context.Context, rdb *redis.Client) (int64, error) {
	info, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0, fmt.Errorf("redis info: %w", err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, errors.New("redis info: no used_memory")
}
