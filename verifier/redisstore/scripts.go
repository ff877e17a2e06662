package redisstore

import (
	_ "embed"
	"strings"

	"github.com/redis/go-redis/v9"
)

// The Lua scripts, one per Store method that reads and writes (lua/*.lua,
// each naming its KEYS and ARGV at the top). Every decision uses the time
// passed in ARGV, never the Redis clock; Redis time only drives key expiry
// (garbage collection). Redis runs a script's whole text on every call and
// keeps nothing between calls, so the helpers the scripts share
// (record.lua, limits.lua) are put before each script that uses them.
//
// A script answers a table whose first element says what happened (decode
// reads it):
//
//	{'ok'}, {'ok', record}      success, with the record after the change
//	{'nf'}                      no such verification
//	{'np', status}              not pending: the status as of now
//	{'rl', retry ms, index}     limit number index (0-based) is full
//	{'sends', retry ms}         no sends left (Resend)
//	{'early', retry ms}         before ResendAfter (Resend)
//	{'key', key id}             derived with a key the caller lacks
//	{'exists'}                  another verification has this id (Create)
var (
	//go:embed lua/record.lua
	recordLua string
	//go:embed lua/limits.lua
	limitsLua string

	//go:embed lua/create.lua
	createLua string
	//go:embed lua/newest.lua
	newestLua string
	//go:embed lua/resend.lua
	resendLua string
	//go:embed lua/reserve.lua
	reserveLua string
	//go:embed lua/approve.lua
	approveLua string
	//go:embed lua/cancel.lua
	cancelLua string
	//go:embed lua/delivery.lua
	deliveryLua string
)

// scripts are the Store's scripts, loaded into Redis on first use and
// run with EVALSHA (EVAL again after NOSCRIPT, when Redis restarted).
type scripts struct {
	create, newest, resend, reserve, approve, cancel, delivery *redis.Script
}

func newScripts() scripts {
	return scripts{
		create:   script(recordLua, limitsLua, createLua),
		newest:   script(newestLua),
		resend:   script(recordLua, limitsLua, resendLua),
		reserve:  script(recordLua, limitsLua, reserveLua),
		approve:  script(recordLua, limitsLua, approveLua),
		cancel:   script(recordLua, cancelLua),
		delivery: script(recordLua, limitsLua, deliveryLua),
	}
}

// script joins the parts of a script: the helpers it uses, then its body.
func script(parts ...string) *redis.Script {
	return redis.NewScript(strings.Join(parts, "\n"))
}
