package main

import (
	"context"
	"fmt"
	"strconv"
)

// memory measures bytes per pending verification on memstore and Redis.
func (r *runner) memory(ctx context.Context) error {
	var m memResult
	if err := r.jsonCommand(ctx, &m, r.self, "mem", "--store", "memory", "-n", strconv.Itoa(r.memN)); err != nil {
		r.fail("memory memstore", err)
	} else {
		r.add("memory", fmt.Sprintf("per pending verification, memstore, %s pending (live heap after GC, / N)", thousands(float64(m.N))),
			fmt.Sprintf("%.0f B", m.BytesPer), "≤ 300 B", verdict(m.BytesPer <= 300))
	}
	addr, stop, err := r.startRedis(ctx, nil)
	if err != nil {
		return err
	}
	defer stop()
	var rm memResult
	if err := r.jsonCommand(ctx, &rm, r.self, "mem", "--store", "redis://"+addr+"/0", "-n", strconv.Itoa(r.redisMemN)); err != nil {
		return err
	}
	r.add("memory", fmt.Sprintf("per pending verification, Redis, %s pending (used_memory delta / N)", thousands(float64(rm.N))),
		fmt.Sprintf("%.0f B", rm.BytesPer), "", "")
	return nil
}
