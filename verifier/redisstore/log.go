package redisstore

import (
	"context"
	"fmt"
	"log/slog"
)

// Logger adapts a slog.Logger to go-redis's logging interface. go-redis
// prints its own lines on standard error (one per failed dial while Redis
// is down); main can route them through slog instead, at debug level since
// each failed request is logged anyway:
//
//	redis.SetLogger(redisstore.Logger{Logger: log})
type Logger struct {
	Logger *slog.Logger
}

// Printf logs one go-redis message at debug level.
func (l Logger) Printf(ctx context.Context, format string, v ...any) {
	l.Logger.Log(ctx, slog.LevelDebug, "redis client", "msg", fmt.Sprintf(format, v...))
}
